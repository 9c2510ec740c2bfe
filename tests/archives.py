"""Archives laid out as GitHub's tarball and codeload archives are, built in memory for the tests.

GitHub writes a pax global header whose `comment` is the commit SHA, then one top folder
`<owner>-<repo>-<short sha>/` holding the tree (tests/integration/test_github_recordings.py reads a real one).
An uploaded folder's archive holds the tree at its root, as a .zip or a .tar.gz; `hostile_uploads` are the
ones the service refuses.
"""

from __future__ import annotations

import io
import stat
import tarfile
import warnings
import zipfile
from collections.abc import Callable, Mapping
from functools import cache

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


def zipped(files: dict[str, bytes], *, prefix: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, content in files.items():
            archive.writestr(prefix + path, content)
    return buffer.getvalue()


def tarred(files: dict[str, bytes], *, prefix: str = "", extra: tuple[tarfile.TarInfo, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as archive:
        for path, content in files.items():
            add_file(archive, prefix + path, content)
        for member in extra:
            archive.addfile(member)
    return buffer.getvalue()


def _zip_with(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of a duplicate name, and writes it
        for entry, content in entries:
            archive.writestr(entry, content)
    return buffer.getvalue()


def _zip_symlink() -> bytes:
    entry = zipfile.ZipInfo("docs/current.md")
    entry.external_attr = (stat.S_IFLNK | 0o777) << 16
    return _zip_with([("README.md", b"x\n"), (entry, b"../../../../etc/passwd")])


def _tar_hard_link() -> bytes:
    info = tarfile.TarInfo("docs/current.md")
    info.type, info.linkname = tarfile.LNKTYPE, "README.md"
    return tarred({"README.md": b"x\n"}, extra=(info,))


@cache
def hostile_uploads() -> dict[str, bytes]:
    """An upload of each kind the service refuses (`unsafe_archive`), at the service's real limits (made
    once: the bomb and the 100,001 entries take a second)."""
    return {
        "parent": tarred({"README.md": b"x\n", "../evil.md": b"x\n"}),
        "absolute": tarred({"README.md": b"x\n", "/etc/evil.md": b"x\n"}),
        "drive_letter": zipped({"README.md": b"x\n", "C:/evil.md": b"x\n"}),
        "symbolic_link": _zip_symlink(),
        "hard_link": _tar_hard_link(),
        "too_many_entries": zipped({f"d/{number}": b"" for number in range(100_001)}),
        # 80 MiB of zeros in well under 1 MiB: expanding more than 100 times once past 64 MiB.
        "compression_bomb": zipped({"README.md": b"# bomb\n", "docs/zeros.md": bytes(80 * 1024 * 1024)}),
        "same_path_twice": _zip_with([("README.md", b"first\n"), ("README.md", b"second\n")]),
        "name_not_utf8": zipped({"README.md": b"x\n", "docs/X.md": b"x"}).replace(b"docs/X.md", b"docs/\xff.md"),
    }
