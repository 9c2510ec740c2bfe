"""The requirements file `sam build` installs is the lock's runtime part, exactly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_src_requirements_match_the_lock() -> None:
    exported = subprocess.run(
        [
            sys.executable,
            "-m",
            "uv",
            "export",
            "--frozen",
            "--no-dev",
            "--no-emit-project",
            "--no-header",
            "--format",
            "requirements-txt",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    committed = (ROOT / "src" / "requirements.txt").read_text(encoding="utf-8")
    assert committed == exported, "src/requirements.txt drifted from uv.lock: run `make requirements`"


def test_runtime_dependencies_are_pinned() -> None:
    requirements = (ROOT / "src" / "requirements.txt").read_text(encoding="utf-8")
    pinned = [line for line in requirements.splitlines() if line and not line.startswith((" ", "#"))]
    assert pinned
    assert all("==" in line for line in pinned)
    assert all(name in requirements for name in ("aws-lambda-powertools==", "pydantic==", "boto3=="))
