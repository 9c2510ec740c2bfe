"""Reads a repository's tar.gz as it streams in and applies the context policy to every entry.

Memory stays bounded whatever the archive's size: the gzip and tar layers read in blocks, a file's content
is held only when the policy may keep it (at most MAX_FILE_BYTES), and what grows with the archive is one
small listing row per entry (bounded by `ArchiveLimits.max_entries`). Nothing is written to disk and no
path from the archive is ever used as a file name or a storage key: the archive's paths are data.

GitHub's layout (its tarball and codeload archives): a pax global header whose `comment` is the commit's
SHA, then one top folder named `<owner>-<repo>-<short sha>/` holding the tree. An uploaded folder's
layout (importer/upload_archive.py): the folder's entries at the archive's root, an optional leading
`./` (as `tar -C folder .` writes), and no links at all.

The rules every archive is read under (names, duplicates, entries, sizes, expansion) are here, once;
importer/upload_archive.py reads a .zip under the same ones.
"""

from __future__ import annotations

import hashlib
import re
import tarfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import IO, Protocol

from domain.context_policy import (
    MAX_FILE_BYTES,
    BudgetUse,
    ContentJudges,
    ContextPolicy,
    KeptFile,
    ListedFile,
    SkipReason,
    Verdict,
    judge_content,
)
from domain.import_failures import FailureCode, ImportFailed

_CHUNK_BYTES = 64 * 1024
_COMMIT_SHA = re.compile(r"[0-9a-f]{40}")
_DRIVE_LETTER = re.compile(r"[A-Za-z]:")


class ArchiveLayout(StrEnum):
    GITHUB = "github"  # one top folder; links listed (skipped as `link`); the commit in a pax header
    UPLOAD = "upload"  # the folder's entries at the root; a link refuses the archive


class ReadableStream(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class ArchiveLimits:
    """Where an archive stops being read: each limit fails the import with the code it names."""

    # too_large: the compressed archive GitHub sends, and what it expands to.
    max_archive_bytes: int = 512 * 1024 * 1024
    max_expanded_bytes: int = 4 * 1024 * 1024 * 1024
    # unsafe_archive: a bomb has many entries or expands far more than source code does (3-10x).
    max_entries: int = 100_000
    max_expansion_ratio: int = 100
    # The ratio is judged only past this much expanded content: small archives of text compress well too.
    ratio_judged_after_bytes: int = 64 * 1024 * 1024


@dataclass
class ImportedTree:
    """What was read: the commit (GitHub's archives carry it), every file's listing row, what was kept."""

    commit_sha: str | None = None
    files: list[ListedFile] = field(default_factory=list)
    kept_files: int = 0
    kept_bytes: int = 0
    kept_tokens: int = 0

    @property
    def skipped_files(self) -> int:
        return len(self.files) - self.kept_files

    @property
    def secrets_found(self) -> int:
        return sum(len(listed.secrets) for listed in self.files)


class CountingReader:
    """The compressed bytes read so far, for the size limit and the expansion ratio."""

    def __init__(self, stream: ReadableStream, limits: ArchiveLimits) -> None:
        self._stream = stream
        self._limits = limits
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.count += len(data)
        if self.count > self._limits.max_archive_bytes:
            raise ImportFailed(
                FailureCode.TOO_LARGE,
                f"The archive is larger than {self._limits.max_archive_bytes // (1024 * 1024)} MiB.",
            )
        return data


def git_blob_sha(content: bytes) -> str:
    """The SHA git (and GitHub's contents API) gives this content as a blob."""
    hasher = _blob_hasher(len(content))
    hasher.update(content)
    return hasher.hexdigest()


def _blob_hasher(size: int) -> hashlib._Hash:
    hasher = hashlib.sha1(usedforsecurity=False)  # git's object id, not a security measure
    hasher.update(b"blob %d\0" % size)
    return hasher


@dataclass
class ArchiveReading:
    """One archive's reading: what it is judged by, its limits, and what was read so far."""

    policy: ContextPolicy
    budget: BudgetUse
    judges: ContentJudges
    keep: Callable[[KeptFile], None]
    limits: ArchiveLimits
    compressed: CountingReader
    layout: ArchiveLayout = ArchiveLayout.GITHUB
    tree: ImportedTree = field(default_factory=ImportedTree)
    top_folder: str | None = None
    seen: set[str] = field(default_factory=set)
    entries: int = 0

    def count_entry(self) -> None:
        self.entries += 1
        if self.entries > self.limits.max_entries:
            raise unsafe(f"The archive has more than {self.limits.max_entries} entries.")

    def check_expanded(self, expanded: int) -> None:
        if expanded > self.limits.max_expanded_bytes:
            raise ImportFailed(
                FailureCode.TOO_LARGE,
                f"The archive expands to more than {self.limits.max_expanded_bytes // (1024 * 1024)} MiB.",
            )

    def claim_path(self, path: str) -> None:
        if path in self.seen:
            raise unsafe("The archive holds the same path twice.")
        self.seen.add(path)


def read_archive(
    stream: ReadableStream,
    *,
    policy: ContextPolicy,
    budget: BudgetUse,
    judges: ContentJudges,
    keep: Callable[[KeptFile], None],
    limits: ArchiveLimits | None = None,
    layout: ArchiveLayout = ArchiveLayout.GITHUB,
) -> ImportedTree:
    """Every file of a tar.gz in the layout, judged by the policy; `keep` receives each kept file once.

    Raises ImportFailed (`unsafe_archive`, `too_large`) for an archive the service will not read further;
    files already given to `keep` are then the caller's to discard.
    """
    chosen = limits or ArchiveLimits()
    reading = ArchiveReading(policy, budget, judges, keep, chosen, CountingReader(stream, chosen), layout)
    try:
        with tarfile.open(fileobj=reading.compressed, mode="r|gz") as archive:  # type: ignore[call-overload]
            for member in archive:
                _read_member(reading, archive, member)
                # A streamed TarFile remembers every member it read; nothing here needs them again.
                archive.members.clear()
            reading.tree.commit_sha = _commit_sha(archive) if layout is ArchiveLayout.GITHUB else None
    except (tarfile.TarError, EOFError, zlib.error) as error:
        raise ImportFailed(FailureCode.UNSAFE_ARCHIVE, f"The archive is not a readable tar.gz ({error}).") from error
    return reading.tree


def _commit_sha(archive: tarfile.TarFile) -> str | None:
    comment = archive.pax_headers.get("comment", "")
    return comment if _COMMIT_SHA.fullmatch(comment) else None


def unsafe(message: str) -> ImportFailed:
    return ImportFailed(FailureCode.UNSAFE_ARCHIVE, message)


def refuse_link() -> ImportFailed:
    return unsafe("The upload holds a link; upload the files it points at instead.")


def _read_member(reading: ArchiveReading, archive: tarfile.TarFile, member: tarfile.TarInfo) -> None:
    reading.count_entry()
    reading.check_expanded(archive.offset)
    path = _tree_path(reading, member)
    if path is None:
        return
    if member.isdir():
        return
    reading.claim_path(path)
    if member.issym() or member.islnk():
        if reading.layout is ArchiveLayout.UPLOAD:
            raise refuse_link()
        _list_link(reading, path, member)
    elif member.isreg() and not member.issparse():
        source = archive.extractfile(member)
        if source is None:  # pragma: no cover - extractfile returns None only for non-files
            raise unsafe("A file entry of the archive has no content.")
        read_file(reading, path, member.size, source, member.offset_data)
    else:
        raise unsafe("The archive holds an entry that is neither a file, a folder nor a link.")


def upload_path(name: str) -> str | None:
    """An uploaded entry's path: its name without a leading `./`; None for the root (`.`) itself."""
    if name in {".", "./"}:
        return None
    path = name.removeprefix("./")
    check_name(path)
    return path


def _tree_path(reading: ArchiveReading, member: tarfile.TarInfo) -> str | None:
    """The entry's path inside the top folder; None for the top folder itself."""
    name = member.name
    if reading.layout is ArchiveLayout.UPLOAD:
        return upload_path(name)
    check_name(name)
    top, _, rest = name.partition("/")
    if reading.top_folder is None:
        if not member.isdir() or rest:
            raise unsafe("The archive does not begin with its top folder, as GitHub's archives do.")
        reading.top_folder = top
        return None
    if top != reading.top_folder or not rest:
        raise unsafe("An entry of the archive lies outside its top folder.")
    return rest


def check_name(name: str) -> None:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise unsafe("An entry's name is not valid UTF-8.") from None
    if name.startswith("/") or _DRIVE_LETTER.match(name):
        raise unsafe("An entry's path is absolute.")
    if any(part in {"", ".", ".."} for part in name.split("/")):
        raise unsafe("An entry's path has an empty, '.' or '..' part.")


def _list_link(reading: ArchiveReading, path: str, member: tarfile.TarInfo) -> None:
    target = member.linkname.encode("utf-8", "surrogateescape")
    selection = reading.policy.select(path)
    sha = git_blob_sha(target)  # git stores a link as a blob holding its target
    reading.tree.files.append(
        ListedFile(path, len(target), sha, selection.category, selection.language, SkipReason.LINK)
    )


def read_file(reading: ArchiveReading, path: str, size: int, source: IO[bytes], expanded_before: int) -> None:
    """Read one file entry of `size` bytes from `source`, list it and keep it if the policy does;
    `expanded_before` is how much the archive had expanded to before it (for the bomb check)."""
    selection = reading.policy.select(path)
    reason = selection.reason
    if reason is None and size > MAX_FILE_BYTES:
        reason = SkipReason.TOO_LARGE
    content, sha = _content_and_sha(reading, source, size, expanded_before, hold=reason is None)
    verdict = Verdict(reason) if reason else judge_content(path, content, reading.budget, reading.judges)
    listed = ListedFile(
        path, size, sha, selection.category, selection.language, verdict.reason, verdict.secrets, verdict.tokens
    )
    reading.tree.files.append(listed)
    if verdict.tokens is not None:  # counted: kept
        reading.keep(KeptFile(path, sha, content, verdict.tokens))
        reading.tree.kept_files += 1
        reading.tree.kept_bytes += len(content)
        reading.tree.kept_tokens += verdict.tokens


def _content_and_sha(
    reading: ArchiveReading, source: IO[bytes], size: int, expanded_before: int, *, hold: bool
) -> tuple[bytes, str]:
    """The blob SHA of every file, and the content of one the policy may keep (else b'')."""
    hasher = _blob_hasher(size)
    held = bytearray()
    read = 0
    while chunk := source.read(_CHUNK_BYTES):
        read += len(chunk)
        hasher.update(chunk)
        if hold:
            held += chunk
        check_ratio(reading, expanded_before + read)
    return bytes(held), hasher.hexdigest()


def check_ratio(reading: ArchiveReading, expanded: int) -> None:
    limits = reading.limits
    if expanded > limits.ratio_judged_after_bytes and expanded > limits.max_expansion_ratio * reading.compressed.count:
        raise unsafe(f"The archive expands more than {limits.max_expansion_ratio} times: a compression bomb.")
