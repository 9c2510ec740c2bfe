"""Reading what an import's last completed run kept: its files listing, page by page, and a kept file.

Behind the same gate as every route (session, path, user, query, project, import), then, for a
`github` import, the same access as a create: the App's installation must still cover the repository
and its installer must still be linked to the user (403 otherwise), so access ends when GitHub takes
it away. An import no run has completed yet has nothing to read (409).
"""

from __future__ import annotations

import functools
import hashlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from domain.access import ImportKey
from domain.context_policy import Category, SkipReason, language_of
from domain.errors import (
    ContentReplaced,
    FilesChanged,
    ImportNotFound,
    KeptFileNotFound,
    NothingImportedYet,
    RequestRejected,
)
from domain.gate import Gate, Reads, accepted
from domain.github_access import require_github_access
from domain.import_digest import (
    DIGEST_FORMAT,
    DigestFile,
    DigestPlan,
    DigestSection,
    DigestSource,
    KeptEntry,
    ResponseLimit,
    plan_digest,
    render_digest,
    within,
)
from domain.models import FilesPosition, ProjectImport, SourceType, StoredImport, format_utc_timestamp
from domain.ports import ImportStore

MAX_FILES_PAGE = 1000
# A digest carries at most this many bytes of files (a Lambda response carries 6 MB, escaped as JSON).
MAX_DIGEST_FILE_BYTES = 4 * 1024 * 1024
MAX_DIGEST_TOKENS = 100_000_000
UNLIMITED_RESPONSE = ResponseLimit(len, sys.maxsize)


@dataclass(frozen=True)
class FilesQuery:
    limit: int = MAX_FILES_PAGE
    after: FilesPosition | None = None  # None: the first page


@dataclass(frozen=True)
class FilesPage:
    commit_sha: str | None
    rows: list[dict[str, Any]]
    next_position: FilesPosition | None  # None on the last page


@dataclass(frozen=True)
class KeptText:
    """A kept file: its blob SHA, and its bytes unless the client already holds that version."""

    sha: str
    content: bytes | None


class SecretFindingRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    line: int = Field(description="The line (from 1) the scanner found it on.")
    kind: str = Field(description="The scanner's name for the kind of secret; the value is never recorded.")


class ListedFileRow(BaseModel):
    """One path of the imported tree, and why it was kept or not."""

    model_config = ConfigDict(frozen=True)

    path: str = Field(description="The path in the repository, `/`-separated, without the archive's top folder.")
    size: int = Field(description="Bytes, as the archive held the file (0 for a link).")
    sha: str = Field(description="git's blob SHA-1 of the entry, as `git hash-object` gives it: a kept file's ETag.")
    category: Category
    language: str | None = Field(description="The file's language by its name (e.g. `python`, `markdown`).")
    included: bool = Field(description="Whether the file was kept (its content can be read).")
    skipped_reason: SkipReason | None = Field(description="Why it was not kept; null when included.")
    secrets: list[SecretFindingRow] = Field(description="The secret scanner's findings (a `secret` skip).")
    tokens: int | None = Field(
        default=None,
        description=(
            "A kept file's tokens with OpenAI's `o200k_base` encoding (special tokens' text counted as"
            " text); null for a file not kept, or listed by an import completed before tokens were counted."
        ),
    )


class ImportFilesPage(BaseModel):
    """The body of a files listing page."""

    model_config = ConfigDict(frozen=True)

    commit_sha: str | None = Field(description="The commit the listed tree came from.")
    files: list[ListedFileRow]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class KeptContentReader(Protocol):
    def listing_rows(self, prefix: str, offset: int, limit: int) -> list[dict[str, Any]]:
        """Rows `offset` to `offset + limit` of the listing under the prefix, all of which exist."""
        ...

    def kept_sha(self, prefix: str, path: str) -> str | None:
        """The blob SHA of the kept file at `path`; None when that path was not kept."""
        ...

    def kept_bytes(self, prefix: str, path: str) -> bytes:
        """The kept file's bytes (its path was kept)."""
        ...

    def kept_entries(self, prefixes: Sequence[str]) -> list[list[KeptEntry]]:
        """Each prefix's kept files, in the archive's order; the prefixes are read side by side."""
        ...

    def kept_texts(self, entries: Sequence[KeptEntry]) -> list[bytes]:
        """The bytes of each entry (as kept_entries gave it, of any prefix), in order, read side by side."""
        ...


@dataclass(frozen=True)
class FilesCommand:
    session_token: str | None
    path: ImportKey | RequestRejected
    query: FilesQuery | RequestRejected


@dataclass(frozen=True)
class FileCommand:
    session_token: str | None
    path: ImportKey | RequestRejected
    file_path: str | RequestRejected
    # If-None-Match: the versions the client holds (None: any version, `*`); none without the header.
    unchanged_if: frozenset[str] | None = frozenset()
    envelope: RequestRejected | None = None


@dataclass(frozen=True)
class DigestQuery:
    max_tokens: int | None = None  # None: no bound but the response's


@dataclass(frozen=True)
class DigestCommand:
    session_token: str | None
    path: ImportKey | RequestRejected
    query: DigestQuery | RequestRejected
    # If-None-Match: as FileCommand's.
    unchanged_if: frozenset[str] | None = frozenset()
    # What one response carries (the edge knows how it is carried).
    limit: ResponseLimit = UNLIMITED_RESPONSE


@dataclass(frozen=True)
class ImportDigest:
    """The digest's version tag, and its Markdown unless the client already holds that version."""

    etag: str
    markdown: str | None


# A newer run's completion deletes the older run's content once nothing points at it, so a read that
# began before may find it gone: the use case then reads the import again (it points at the newer
# content now), at most this often in all.
MAX_CONTENT_READS = 3
_Parameters = ParamSpec("_Parameters")
_Result = TypeVar("_Result")


def read_again_if_replaced(use_case: Callable[_Parameters, _Result]) -> Callable[_Parameters, _Result]:
    @functools.wraps(use_case)
    def reading(*args: _Parameters.args, **kwargs: _Parameters.kwargs) -> _Result:
        for _ in range(MAX_CONTENT_READS - 1):
            try:
                return use_case(*args, **kwargs)
            except ContentReplaced:
                continue
        return use_case(*args, **kwargs)  # replaced every time: a fault, not a race

    return reading


class ImportFiles:
    def __init__(self, store: ImportStore, content: KeptContentReader) -> None:
        self._store = store
        self._content = content
        self._gate = Gate(store)

    @read_again_if_replaced
    def list_files(self, command: FilesCommand) -> FilesPage:
        prefix, stored = self._readable(command.session_token, command.path, [command.query])
        query = accepted(command.query)
        listing = listing_name(prefix)
        if query.after is not None and query.after.listing != listing:
            raise FilesChanged
        offset = query.after.offset if query.after else 0
        # Never past the listing's end, which the import's summary knows: no request for a page that is not there.
        total = _listed_files(stored.import_)
        wanted = min(query.limit, total - offset)
        rows = self._content.listing_rows(prefix, offset, wanted) if wanted > 0 else []
        end = offset + len(rows)
        more = end < total
        return FilesPage(stored.import_.commit_sha, rows, FilesPosition(listing, end) if more else None)

    @read_again_if_replaced
    def read_file(self, command: FileCommand) -> KeptText:
        prefix, _ = self._readable(command.session_token, command.path, [command.file_path, command.envelope])
        path = accepted(command.file_path)
        sha = self._content.kept_sha(prefix, path)
        if sha is None:
            raise KeptFileNotFound
        if command.unchanged_if is None or sha in command.unchanged_if:
            return KeptText(sha, None)
        return KeptText(sha, self._content.kept_bytes(prefix, path))

    @read_again_if_replaced
    def digest(self, command: DigestCommand) -> ImportDigest:
        prefix, stored = self._readable(command.session_token, command.path, [command.query])
        query = accepted(command.query)
        etag = digest_etag(prefix, stored.version, query.max_tokens)
        if command.unchanged_if is None or etag in command.unchanged_if:
            return ImportDigest(etag, None)
        [entries] = self._content.kept_entries([prefix])
        plan = plan_digest(entries, query.max_tokens, MAX_DIGEST_FILE_BYTES)
        [section] = digest_sections(self._content, [PlannedImport(stored, plan)])
        markdown = within(command.limit, [section], lambda: render_digest(section))
        return ImportDigest(etag, markdown)

    def _readable(
        self, session_token: str | None, path: ImportKey | RequestRejected, parts: Sequence[object | RequestRejected]
    ) -> tuple[str, StoredImport]:
        """The content prefix of the import's last completed run, once every check has passed."""
        project = path.project if isinstance(path, ImportKey) else path
        reads = Reads(import_id=path.import_id) if isinstance(path, ImportKey) else Reads()
        stored = self._gate.admit(session_token, project, parts, reads).facts.stored_import
        if stored is None:
            raise ImportNotFound
        if stored.import_.source_type is SourceType.GITHUB:
            require_github_access(self._store, stored.import_)
        if stored.content_prefix is None:
            raise NothingImportedYet
        return stored.content_prefix, stored


def listing_name(prefix: str) -> str:
    """What a cursor names its listing by: the run's prefix, shortened (a cursor stays small)."""
    return hashlib.sha256(prefix.encode()).hexdigest()[:16]


def _listed_files(stored: ProjectImport) -> int:
    context = stored.context
    return context.files + context.skipped_files if context is not None else 0


def digest_etag(prefix: str, version: int, max_tokens: int | None) -> str:
    """Names what a digest shows: the run's content (its prefix), the import's fields in the header (its
    version), the bound and the format."""
    named = f"{DIGEST_FORMAT}:{prefix}:{version}:{max_tokens}"
    return hashlib.sha256(named.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class PlannedImport:
    """An import whose digest part is planned: which of its kept files the budget takes."""

    stored: StoredImport
    plan: DigestPlan


def digest_sections(content: KeptContentReader, planned: Sequence[PlannedImport]) -> list[DigestSection]:
    """Each import's part of a digest as planned, its included files read: every import's in one batch,
    side by side, so that a project of many imports waits for S3 in rounds, not import after import."""
    texts = iter(content.kept_texts([entry for each in planned for entry in each.plan.included]))
    return [_section(each, [next(texts) for _ in each.plan.included]) for each in planned]


def _section(planned: PlannedImport, texts: Sequence[bytes]) -> DigestSection:
    files = [
        DigestFile(entry.path, language_of(entry.path), entry.tokens, text.decode("utf-8"))
        for entry, text in zip(planned.plan.included, texts, strict=True)
    ]
    return DigestSection(digest_source(planned.stored.import_), files, list(planned.plan.left_out))


def digest_source(stored: ProjectImport) -> DigestSource:
    context = stored.context
    if context is None or stored.imported_at is None:  # only completed imports are readable
        raise ValueError("a readable import has a context and an imported_at")
    return DigestSource(
        import_id=stored.id,
        title=stored.title or stored.source_path,
        source_type=stored.source_type.value,
        source_path=stored.source_path,
        source_ref=stored.source_ref,
        commit_sha=stored.commit_sha,
        imported_at=format_utc_timestamp(stored.imported_at),
        kept_files=context.files,
        kept_bytes=context.bytes,
        kept_tokens=context.tokens,
        skipped_files=context.skipped_files,
        secrets_found=context.secrets_found,
    )
