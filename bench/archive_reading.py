"""Reading repository archives: the importer's core against `tar -xzf` of the same archive.

Each archive is GitHub's layout (a pax header with the commit, one top folder), built once with a fixed
seed: source-like text files of a few KB, the manifests and docs the policy keeps, and, in the largest,
incompressible assets so that it is about 100 MB as it arrives. Each round reads an archive in a fresh
process with the importer (bench.archive_reading_child) and extracts it with tar into an empty folder,
alternately; the figures are medians, the ratios medians of each round's pair.
"""

from __future__ import annotations

import io
import json
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.cold_start import ROOT, child_environment

ROUNDS = 3
_WORDS = (
    "import", "export", "const", "return", "function", "class", "self", "value", "items", "config", "await",
)  # fmt: skip
# The files the context policy keeps, in every archive the bench builds (bench/import_requests.py too).
KEPT_FILES = {
    "package.json": b'{"name": "bench", "scripts": {"test": "vitest"}}\n',
    "Dockerfile": b'FROM node:22-slim\nCMD ["npm", "start"]\n',
    ".github/workflows/test.yml": b"on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n",
    "README.md": b"# Bench\n\nA repository built for make bench.\n",
}


@dataclass(frozen=True)
class ArchiveShape:
    label: str
    text_files: int
    text_bytes: int  # per file, about
    asset_files: int = 0
    asset_bytes: int = 0


SHAPES = (
    ArchiveShape("100 files", 100, 4096),
    ArchiveShape("1,000 files", 1000, 4096),
    ArchiveShape("10,000 files", 10_000, 4096),
    ArchiveShape("100 MB archive", 4000, 20_000, asset_files=40, asset_bytes=2 * 1024 * 1024),
)


@dataclass(frozen=True)
class ArchiveReading:
    label: str
    archive_mib: float
    entries: int
    kept: int
    seconds: float  # the importer's read, median
    tar_seconds: float
    time_ratio: float  # importer / tar, median of each round's ratio
    peak_rss_mib: float  # the importer's process, median
    rss_growth_mib: float  # its peak RSS over its RSS once imports were done, median


def build(shape: ArchiveShape, folder: Path) -> Path:
    """The shape's archive, written once into folder."""
    chance = random.Random(shape.label)  # noqa: S311 - a fixed seed for repeatable archives
    path = folder / (shape.label.replace(" ", "_").replace(",", "") + ".tar.gz")
    top = "bench-repository-0123456"
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT, pax_headers={"comment": "ab" * 20}) as archive:
        _add(archive, top, None)
        for name, content in KEPT_FILES.items():
            _add(archive, f"{top}/{name}", content)
        for n in range(shape.text_files):
            words = chance.choices(_WORDS, k=shape.text_bytes // 6)
            _add(archive, f"{top}/src/module{n // 100}/file{n}.ts", " ".join(words).encode())
        for n in range(shape.asset_files):
            _add(archive, f"{top}/assets/blob{n}.bin", chance.randbytes(shape.asset_bytes))
    return path


def _add(archive: tarfile.TarFile, name: str, content: bytes | None) -> None:
    info = tarfile.TarInfo(name)
    if content is None:
        info.type = tarfile.DIRTYPE
        archive.addfile(info)
        return
    info.size = len(content)
    archive.addfile(info, io.BytesIO(content))


def read_with_importer(path: Path) -> dict[str, float]:
    finished = subprocess.run(
        [sys.executable, "-m", "bench.archive_reading_child", str(path)],
        env=child_environment(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if finished.returncode != 0:
        raise RuntimeError(f"reading {path.name} failed: {finished.stderr}")
    figures: dict[str, float] = json.loads(finished.stdout.strip().splitlines()[-1])
    return figures


def extract_with_tar(path: Path) -> float:
    """Seconds of `tar -xzf` into an empty folder. (Not its memory: a forked child's peak RSS counts the
    Python parent's pages from before exec, so ru_maxrss would report ours.)"""
    with tempfile.TemporaryDirectory(prefix="bench-tar-") as folder:
        started = time.perf_counter()
        subprocess.run(["tar", "-xzf", str(path), "-C", folder], check=True)
        return time.perf_counter() - started


def measure(shapes: tuple[ArchiveShape, ...] = SHAPES, rounds: int = ROUNDS) -> list[ArchiveReading]:
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-archives-") as folder:
        for shape in shapes:
            path = build(shape, Path(folder))
            results.append(_measure_one(shape, path, rounds))
            path.unlink()
    return results


def _measure_one(shape: ArchiveShape, path: Path, rounds: int) -> ArchiveReading:
    runs: list[dict[str, float]] = []
    tar_runs: list[float] = []
    for _ in range(rounds):
        runs.append(read_with_importer(path))
        tar_runs.append(extract_with_tar(path))
    return ArchiveReading(
        label=shape.label,
        archive_mib=path.stat().st_size / (1024 * 1024),
        entries=int(runs[0]["files"]),
        kept=int(runs[0]["kept"]),
        seconds=statistics.median(run["seconds"] for run in runs),
        tar_seconds=statistics.median(tar_runs),
        time_ratio=statistics.median(run["seconds"] / tar for run, tar in zip(runs, tar_runs, strict=True)),
        peak_rss_mib=statistics.median(run["peak_rss_kib"] / 1024 for run in runs),
        rss_growth_mib=statistics.median((run["peak_rss_kib"] - run["rss_before_kib"]) / 1024 for run in runs),
    )
