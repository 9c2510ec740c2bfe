"""Local git repositories for the tests that import them through make run's GitHub stand-in."""

from __future__ import annotations

import subprocess
from pathlib import Path

_IDENTITY = ("-c", "user.name=Neptun Test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main")


def git(repository: Path, *arguments: str) -> str:
    """git's output in the repository (a fixed identity, `main` as the first branch)."""
    finished = subprocess.run(
        ["git", *_IDENTITY, "-C", str(repository), *arguments], capture_output=True, text=True, check=True
    )
    return finished.stdout.strip()


def new_repository(folder: Path) -> Path:
    folder.mkdir(parents=True)
    git(folder, "init", "--quiet")
    return folder


def commit(repository: Path, files: dict[str, bytes], message: str) -> str:
    """Writes the files, commits them all, and returns the new commit's SHA."""
    for path, content in files.items():
        (repository / path).parent.mkdir(parents=True, exist_ok=True)
        (repository / path).write_bytes(content)
    git(repository, "add", "--all")
    git(repository, "commit", "--quiet", "-m", message)
    return git(repository, "rev-parse", "HEAD")
