"""Size of the function in `sam build` output, unzipped, and its largest top-level packages."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD_DIR = ROOT / ".aws-sam" / "bench-build"


@dataclass(frozen=True)
class Artifact:
    total_mib: float
    largest: list[tuple[str, float]]  # (top-level entry, MiB)


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(child.stat().st_size for child in path.rglob("*") if child.is_file())


def measure() -> Artifact:
    subprocess.run(
        ["make", "--no-print-directory", "-s", "build", f"BUILD_DIR={BUILD_DIR}"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    function_dir = BUILD_DIR / "CreateImportFunction"
    # dist-info folders are counted with the package they describe.
    sizes: dict[str, int] = {}
    for entry in function_dir.iterdir():
        name = entry.name.split("-")[0].lower() if entry.name.endswith(".dist-info") else entry.name
        sizes[name] = sizes.get(name, 0) + _size(entry)
    largest = sorted(sizes.items(), key=lambda item: item[1], reverse=True)[:8]
    return Artifact(total_mib=sum(sizes.values()) / 2**20, largest=[(name, size / 2**20) for name, size in largest])
