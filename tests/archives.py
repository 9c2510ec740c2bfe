"""Archives laid out as GitHub's tarball and codeload archives are, built in memory for the tests.

GitHub writes a pax global header whose `comment` is the commit SHA, then one top folder
`<owner>-<repo>-<short sha>/` holding the tree (tests/integration/test_github_recordings.py reads a real one).
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable, Mapping

from domain.context_policy import ContentJudges, SecretFinding

COMMIT = "900f3f818d8c2ac46196b3cdaee655d1ee986381"
TOP = f"octo-demo-{COMMIT[:7]}"

Member = Callable[[tarfile.TarFile], None]


def github_archive(
    files: Mapping[str, bytes],
    *,
    commit: str | None = COMMIT,
    extra: tuple[Member, ...] = (),
    top: str = TOP,
) -> bytes:
    """A tar.gz of `files` (paths inside the top folder) and of whatever `extra` adds, in that order."""
    buffer = io.BytesIO()
    headers = {"comment": commit} if commit else {}
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT, pax_headers=headers) as archive:
        folder = tarfile.TarInfo(top)
        folder.type = tarfile.DIRTYPE
        folder.mode = 0o775
        archive.addfile(folder)
        for path, content in files.items():
            add_file(archive, f"{top}/{path}", content)
        for member in extra:
            member(archive)
    return buffer.getvalue()


def add_file(archive: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    info.mode = 0o664
    archive.addfile(info, io.BytesIO(content))


def file_at(name: str, content: bytes = b"x") -> Member:
    """An entry with exactly this name, wherever it points."""
    return lambda archive: add_file(archive, name, content)


def link(name: str, target: str, *, hard: bool = False) -> Member:
    def add(archive: tarfile.TarFile) -> None:
        info = tarfile.TarInfo(name)
        info.type = tarfile.LNKTYPE if hard else tarfile.SYMTYPE
        info.linkname = target
        archive.addfile(info)

    return add


def special(name: str, kind: bytes) -> Member:
    """A device, FIFO or other entry no repository holds."""

    def add(archive: tarfile.TarFile) -> None:
        info = tarfile.TarInfo(name)
        info.type = kind
        archive.addfile(info)

    return add


class FakeScanner:
    """Finds a secret in any text holding the word PLANTED; records what it was asked to scan."""

    def __init__(self) -> None:
        self.scanned: list[str] = []

    def findings(self, path: str, text: str) -> list[SecretFinding]:
        self.scanned.append(path)
        return [SecretFinding(n, "Planted") for n, line in enumerate(text.splitlines(), 1) if "PLANTED" in line]


class WordTokens:
    """A stand-in tokenizer: one token per whitespace-separated word (o200k_base is tested on its own)."""

    def count(self, text: str) -> int:
        return len(text.split())


def fake_judges(scanner: FakeScanner | None = None) -> ContentJudges:
    return ContentJudges(scanner or FakeScanner(), WordTokens())
