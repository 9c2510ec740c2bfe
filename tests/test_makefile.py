"""The Makefile's own promises: `make help` names every target, and the README's commands exist."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")


def phony_targets() -> set[str]:
    [line] = [line for line in MAKEFILE.splitlines() if line.startswith(".PHONY:")]
    return set(line.removeprefix(".PHONY:").split())


def test_make_help_lists_every_target_with_what_it_does() -> None:
    printed = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    described = dict(re.findall(r"^make (\S+) +(\S.*)$", printed, re.MULTILINE))
    assert set(described) == phony_targets()
    assert all(len(what) > 10 for what in described.values()), described


def test_every_make_command_the_readme_and_contributing_name_is_a_target() -> None:
    for document in ("README.md", "CONTRIBUTING.md"):
        named = set(re.findall(r"`make ([a-z-]+)", (ROOT / document).read_text(encoding="utf-8")))
        assert named, document
        assert named <= phony_targets(), (document, named - phony_targets())


def test_the_pre_commit_hooks_pass_without_fetching_anything(tmp_path: Path) -> None:
    # An empty PRE_COMMIT_HOME: a hook that needed a repository or an environment would download it.
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "pre-commit"), "run", "--all-files"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PRE_COMMIT_HOME": str(tmp_path / "cache")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.findall(r"^(ruff [a-z]+)\b.*Passed$", result.stdout, re.MULTILINE) == ["ruff check", "ruff format"]
    assert not (tmp_path / "cache" / "repo").exists()


def test_make_test_names_missing_api_documents_in_one_line_before_anything_installs(tmp_path: Path) -> None:
    missing = tmp_path / "no-shared" / "api"
    result = subprocess.run(
        ["make", "-s", "prerequisites", f"API_DOCUMENTS={missing}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    named, *make_says = result.stderr.strip().splitlines()  # then make's own "*** [...] Error 1"
    assert named == (
        f"make test runs the users' API documents' examples and needs them in {missing}: put shared/api beside"
        " this clone, as CI checks it out (or set API_DOCUMENTS)"
    )
    assert len(make_says) == 1
