"""tools/prerequisites.sh: what `make test` needs besides Python, said in one line before anything runs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tools" / "prerequisites.sh"
BASH = shutil.which("bash") or "/bin/bash"
EVERY_PACKAGE = ["openjdk-17-jre-headless", "npm", "nodejs", "chromium", "chromium-driver", "curl"]


def prerequisites(option: str, path: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BASH, str(SCRIPT), option], env={"PATH": path}, capture_output=True, text=True, timeout=30, check=False
    )


def test_a_machine_without_them_gets_one_line_naming_each_and_the_command_that_installs_them() -> None:
    result = prerequisites("--check", "/nonexistent")
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert f"sudo apt-get install -y {' '.join(EVERY_PACKAGE)}" in line
    assert "bash .ci/run" in line
    assert prerequisites("--missing", "/nonexistent").stdout.split() == EVERY_PACKAGE


def test_a_machine_with_them_passes_silently_and_ci_installs_nothing(tmp_path: Path) -> None:
    for command in ["java", "npm", "node", "chromium", "chromedriver", "curl"]:
        stand_in = tmp_path / command
        stand_in.write_text("#!/bin/sh\n", encoding="utf-8")
        stand_in.chmod(0o755)
    assert prerequisites("--check", str(tmp_path)).returncode == 0
    assert prerequisites("--missing", str(tmp_path)).stdout == ""  # no empty line for apt-get to install


def test_make_test_and_ci_use_the_one_list() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "test: prerequisites " in makefile
    assert "tools/prerequisites.sh --check" in makefile
    assert "tools/prerequisites.sh --missing" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
