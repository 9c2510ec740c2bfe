"""A project's context for its chat: every completed import's digest in one Markdown document, one budget.

Behind the same gate as every project route (session, path, user, query, project). Its imports come in
id order, which is the order they were created in; each shows what its last completed run kept, like
its own digest (domain/import_files.py), one heading level down. `max_tokens` and the response's size
are one budget spent across them: once a file does not fit, it and everything after it, in later
imports too, are left out and listed. A `github` import GitHub no longer lets its user read (the same
rule as its own digest's 403) is left out whole, listed with `access`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from domain.access import ProjectKey
from domain.errors import RequestRejected
from domain.gate import Gate, Reads, accepted
from domain.github_access import without_github_access
from domain.import_digest import (
    DIGEST_FORMAT,
    DigestBudget,
    ImportLeftOut,
    KeptEntry,
    LeftOutReason,
    ProjectDigest,
    ResponseLimit,
    render_project_digest,
    within,
)
from domain.import_files import (
    MAX_DIGEST_FILE_BYTES,
    UNLIMITED_RESPONSE,
    DigestQuery,
    ImportDigest,
    KeptContentReader,
    PlannedImport,
    digest_sections,
    read_again_if_replaced,
)
from domain.models import StoredImport
from domain.ports import ImportStore

# The project's heading is the document's; each import's is one level below it.
_IMPORT_LEVEL = 2
# The most imports whose lists of kept files are read side by side. The windows grow from 1 (1, 2, 4,
# 8, 16, 16, ...), so a project of 1,000 imports waits for 66 rounds of GETs, not 1,000, and the lists
# read past the point where the budget is spent are never more than those read before it.
ENTRIES_READ_AHEAD = 16


@dataclass(frozen=True)
class ProjectDigestCommand:
    session_token: str | None
    path: ProjectKey | RequestRejected
    query: DigestQuery | RequestRejected
    # If-None-Match: the versions the client holds (None: any version, `*`); none without the header.
    unchanged_if: frozenset[str] | None = frozenset()
    limit: ResponseLimit = UNLIMITED_RESPONSE


class ProjectContext:
    def __init__(self, store: ImportStore, content: KeptContentReader) -> None:
        self._store = store
        self._content = content
        self._gate = Gate(store)

    @read_again_if_replaced
    def digest(self, command: ProjectDigestCommand) -> ImportDigest:
        project = self._gate.admit(command.session_token, command.path, [command.query], Reads()).project
        query = accepted(command.query)
        completed = self._store.list_completed_imports(project)
        unreadable = without_github_access(self._store, [each.import_ for each in completed])
        etag = project_digest_etag(completed, unreadable, query.max_tokens)
        if command.unchanged_if is None or etag in command.unchanged_if:
            return ImportDigest(etag, None)
        digest = self._planned(project, completed, unreadable, query.max_tokens)
        markdown = within(command.limit, digest.sections, lambda: render_project_digest(digest), _IMPORT_LEVEL)
        return ImportDigest(etag, markdown)

    def _planned(
        self, project: ProjectKey, completed: list[StoredImport], unreadable: set[int], max_tokens: int | None
    ) -> ProjectDigest:
        """Each import's section, read only while the budget lasts: the kept files' lists in growing
        windows of imports (ENTRIES_READ_AHEAD), then every included file in one batch; no import after
        the window in which the budget is spent costs a request."""
        digest = ProjectDigest(project.project_id)
        budget = DigestBudget(max_tokens, MAX_DIGEST_FILE_BYTES)
        readable = [stored for stored in completed if stored.import_.id not in unreadable]
        entries_in_order = self._kept_entries_ahead(readable)
        planned: list[PlannedImport] = []
        for stored in completed:
            if stored.import_.id in unreadable:
                digest.imports_left_out.append(_left_out_whole(stored, LeftOutReason.ACCESS))
            elif budget.spent is not None:
                digest.imports_left_out.append(_left_out_whole(stored, budget.spent))
            else:
                entries = next(entries_in_order)
                plan = budget.plan(entries)
                if entries and not plan.included:
                    digest.imports_left_out.append(_left_out_whole(stored, plan.left_out[0].reason))
                else:
                    planned.append(PlannedImport(stored, plan))
        digest.sections = digest_sections(self._content, planned)
        return digest

    def _kept_entries_ahead(self, imports: Sequence[StoredImport]) -> Iterator[list[KeptEntry]]:
        """Each import's kept files, in order, read a window at a time as the caller goes on."""
        start, size = 0, 1
        while start < len(imports):
            window = imports[start : start + size]
            yield from self._content.kept_entries([_content_prefix(each) for each in window])
            start, size = start + len(window), min(size * 2, ENTRIES_READ_AHEAD)


def _content_prefix(stored: StoredImport) -> str:
    if stored.content_prefix is None:  # listed as completed
        raise ValueError("a completed import has a content prefix")
    return stored.content_prefix


def _left_out_whole(stored: StoredImport, reason: LeftOutReason) -> ImportLeftOut:
    context = stored.import_.context
    return ImportLeftOut(
        import_id=stored.import_.id,
        source_type=stored.import_.source_type.value,
        source_path=stored.import_.source_path,
        kept_files=context.files if context else 0,
        kept_tokens=context.tokens if context else None,
        reason=reason,
    )


def project_digest_etag(completed: list[StoredImport], unreadable: set[int], max_tokens: int | None) -> str:
    """Names what a project's digest shows: each import's content and fields (prefix and version),
    which of them are left out for access, the bound and the format."""
    imports = ";".join(
        f"{each.import_.id}:{each.content_prefix}:{each.version}:{each.import_.id in unreadable}" for each in completed
    )
    named = f"{DIGEST_FORMAT}:project:{max_tokens}:{imports}"
    return hashlib.sha256(named.encode()).hexdigest()[:32]
