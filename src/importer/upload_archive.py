"""Reads a folder a user uploaded, as a .zip or a .tar.gz, under the rules a repository's archive is read by.

The format is told by the archive's first bytes, not by a name or a header the client chose. The
folder's entries are at the archive's root (an optional leading `./`); what is refused — `unsafe_archive`
unless said otherwise — is what importer/tar_archive.py refuses (absolute paths, drive letters, `..`,
empty or `.` parts, names that are not UTF-8, the same path twice, more entries or a higher expansion
than the limits) and, in an upload, any link: a symbolic or hard link could only point the import at
something that is not the user's folder. A zip's entries may also not be encrypted. An upload larger
than MAX_UPLOAD_BYTES is `too_large`.

A zip's index is at its end, so the archive is held in memory (at most MAX_UPLOAD_BYTES); a tar.gz is
read as it streams, like GitHub's.
"""

from __future__ import annotations

import io
import stat
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import replace

from domain.context_policy import BudgetUse, ContentJudges, ContextPolicy, KeptFile
from domain.uploads import MAX_UPLOAD_BYTES, UploadFormat
from importer.tar_archive import (
    ArchiveLayout,
    ArchiveLimits,
    ArchiveReading,
    CountingReader,
    ImportedTree,
    ReadableStream,
    read_archive,
    read_file,
    refuse_link,
    unsafe,
    upload_path,
)

UPLOAD_LIMITS = replace(ArchiveLimits(), max_archive_bytes=MAX_UPLOAD_BYTES)
_READ_BYTES = 1024 * 1024
_ZIP_STARTS = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header; an empty archive's end record
_GZIP_START = b"\x1f\x8b"
_ENCRYPTED = 0x1  # general purpose bit 0
_UTF8_NAMES = 0x800  # general purpose bit 11: the name is UTF-8 (else CP437, by the format's rules)


def upload_format(head: bytes) -> UploadFormat | None:
    """The archive's format by its first bytes; None for anything else."""
    if head.startswith(_ZIP_STARTS):
        return UploadFormat.ZIP
    if head.startswith(_GZIP_START):
        return UploadFormat.TAR_GZ
    return None


def read_upload(
    stream: ReadableStream,
    *,
    policy: ContextPolicy,
    budget: BudgetUse,
    judges: ContentJudges,
    keep: Callable[[KeptFile], None],
    limits: ArchiveLimits = UPLOAD_LIMITS,
) -> ImportedTree:
    """Every file of an uploaded .zip or .tar.gz, judged by the policy; `keep` receives each kept file once.

    Raises ImportFailed as read_archive does; files already given to `keep` are then the caller's to discard.
    """
    compressed = CountingReader(stream, limits)
    data = _read_all(compressed)
    found = upload_format(data[:4])
    if found is UploadFormat.TAR_GZ:
        return read_archive(
            io.BytesIO(data),
            policy=policy,
            budget=budget,
            judges=judges,
            keep=keep,
            limits=limits,
            layout=ArchiveLayout.UPLOAD,
        )
    if found is UploadFormat.ZIP:
        reading = ArchiveReading(policy, budget, judges, keep, limits, compressed, ArchiveLayout.UPLOAD)
        _read_zip(reading, data)
        return reading.tree
    raise unsafe("The upload is neither a .zip nor a .tar.gz.")


def _read_all(compressed: CountingReader) -> bytes:
    """The whole upload (the counting reader refuses one past the limit as it reads)."""
    parts: list[bytes] = []
    while chunk := compressed.read(_READ_BYTES):
        parts.append(chunk)
    return b"".join(parts)


def _read_zip(reading: ArchiveReading, data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            if len(entries) > reading.limits.max_entries:  # refused before any entry is read
                raise unsafe(f"The archive has more than {reading.limits.max_entries} entries.")
            expanded = 0
            for entry in entries:
                expanded += _read_zip_entry(reading, archive, entry, expanded)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
        raise unsafe(f"The upload is not a readable .zip ({error}).") from error


def _read_zip_entry(reading: ArchiveReading, archive: zipfile.ZipFile, entry: zipfile.ZipInfo, expanded: int) -> int:
    """Read one entry; how many bytes it expanded to."""
    reading.count_entry()
    name = _zip_name(entry)
    if entry.is_dir():
        if name not in {".", "./"}:
            upload_path(name.removesuffix("/"))  # a folder's name is checked too
        return 0
    path = upload_path(name)
    if path is None:
        raise unsafe("An entry's path has an empty, '.' or '..' part.")
    if stat.S_ISLNK(entry.external_attr >> 16):
        raise refuse_link()
    if entry.flag_bits & _ENCRYPTED:
        raise unsafe("The upload holds an encrypted entry; upload it unencrypted.")
    reading.claim_path(path)
    reading.check_expanded(expanded + entry.file_size)
    with archive.open(entry) as source:
        read_file(reading, path, entry.file_size, source, expanded)
    return entry.file_size


def _zip_name(entry: zipfile.ZipInfo) -> str:
    """The entry's name as UTF-8: zipfile reads a name without the UTF-8 flag as CP437, whose bytes
    (what macOS and others write UTF-8 names as, without the flag) must then be UTF-8 themselves."""
    if entry.flag_bits & _UTF8_NAMES:
        return entry.filename
    raw = entry.filename.encode("cp437")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise unsafe("An entry's name is not valid UTF-8.") from None
