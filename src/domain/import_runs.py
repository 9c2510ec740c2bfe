"""An import run: fetch an import's repository, keep what the policy keeps, and record the outcome once.

A run is started by a job `(import, start id)`: every write that starts an import (a create, a refresh, a
change of the source) sets it `pending` under a new start id of its own, unconditionally (no write needs
to read the run state first). The run

1. claims the import: only a `pending` import of the job's start id, or an `importing` one whose
   lease has ended (its run died: what it wrote is discarded), is claimed, in one conditional write; a
   duplicate or stale job claims nothing and ends there;
2. reads the archive under the policy, writing each kept file under a prefix of its own (per import,
   per run), which no record points at yet;
3. records `completed` with the commit, the summary and the prefix, in one write conditioned on the
   claim still being this run's. Until then nothing a client reads changes, so a partial result is
   never shown; a run that lost its claim (the import was deleted, changed or taken over) discards its
   prefix and records nothing.

A failure the client can act on is recorded as `failed` with its code; a rate limit puts the import back
to `pending` with the time GitHub names, and the caller schedules the job again for then. Anything else
is left to the caller's retries: the claim's lease lets a later try take over.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from domain.context_policy import (
    BudgetUse,
    ContentJudges,
    ContextPolicy,
    KeptFile,
    ListedFile,
    SecretScanner,
    TokenCounter,
)
from domain.import_failures import FailureCode, ImportFailed
from domain.models import SourceType

# Longer than the importer function's timeout (15 minutes): a live run never loses its claim.
RUN_LEASE = timedelta(minutes=16)
# How long past the moment its run should have moved on an open run (pending or importing) waits before
# the sweep sends its job again: far longer than the stream and the queue take to deliver a job (seconds)
# or than a failed try is hidden (at most 15 minutes), so a sweep only ever sends what was lost.
OVERDUE_AFTER = timedelta(minutes=30)


# At most this many runs of one user import at once (the worker runs at most 10 in all: template.yaml),
# so that one user's many imports cannot keep everyone else's waiting. A job over the cap waits this
# long, pending, and is tried again (not counted as a try).
MAX_RUNS_IMPORTING_PER_USER = 3
USER_SLOT_WAIT = timedelta(seconds=60)


def run_due_at(moment: datetime) -> datetime:
    """When an open run that should move on at `moment` (wanted, its lease's end, a rate limit's reset)
    is overdue, and the sweep may send its job again."""
    return moment + OVERDUE_AFTER


@dataclass(frozen=True)
class ImportJob:
    """What the queue carries: which import, and which start of it (a newer start makes this job stale)."""

    user_id: int
    project_id: int
    import_id: int
    start_id: str


@dataclass(frozen=True)
class ClaimedRun:
    """An import this run holds, as it stood when claimed."""

    job: ImportJob
    run_id: str
    source_type: SourceType
    source_path: str
    source_ref: str | None
    # A `local_folder` import's upload this run reads (the storage's own name for it).
    upload_key: str | None = None
    # The run whose lease this one took over: it died, and may have left content under its prefix.
    overtaken_run_id: str | None = None


@dataclass(frozen=True)
class ContextSummary:
    """The `context` of a completed import."""

    files: int
    bytes: int
    skipped_files: int
    secrets_found: int
    tokens: int  # the kept files' o200k_base counts, summed


@dataclass(frozen=True)
class CompletedRun:
    commit_sha: str | None
    summary: ContextSummary
    content_prefix: str


class RunOutcome(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    DEFERRED = "deferred"  # rate-limited: back to pending until the run's retry_at
    NOT_CLAIMED = "not_claimed"  # a duplicate, stale or early job: another run holds or held it
    WAITING = "waiting"  # its user has MAX_RUNS_IMPORTING_PER_USER runs importing: not claimed, try at retry_at
    LOST = "lost"  # the import was deleted, changed or taken over while this run read it


@dataclass(frozen=True)
class RunResult:
    outcome: RunOutcome
    retry_at: datetime | None = None


class RunStore(Protocol):
    """The import's run state; every write is conditioned on the claim (start id and run id)."""

    def runs_importing(self, user_id: int, now: datetime) -> int:
        """How many of the user's runs hold a claim whose lease has not ended (read eventually consistently)."""
        ...

    def claim(self, job: ImportJob, run_id: str, now: datetime, lease_until: datetime) -> ClaimedRun | None:
        """The import, now `importing` for this run; None when the job's start is not claimable."""
        ...

    def complete(self, run: ClaimedRun, completed: CompletedRun, now: datetime) -> bool:
        """Records `completed`; False when the claim is no longer this run's (nothing is written then)."""
        ...

    def fail(self, run: ClaimedRun, failure: ImportFailed, now: datetime) -> bool:
        """Records `failed` with the failure's code and message; False when the claim was lost."""
        ...

    def defer(self, run: ClaimedRun, failure: ImportFailed, now: datetime) -> bool:
        """Back to `pending`, with the rate limit as the import's error until the next try."""
        ...

    def release(self, run: ClaimedRun) -> bool:
        """Back to `pending` after a try that crashed, so the next try claims at once."""
        ...

    def abandon(self, job: ImportJob, failure: ImportFailed, now: datetime) -> bool:
        """`failed` for a job no try could finish (its last try crashed); False when it had moved on."""
        ...


class ContentWriter(Protocol):
    def keep(self, file: KeptFile) -> None: ...

    def finish(self, listing: ImportedListing) -> None:
        """Writes what the files routes read (the listing); the content is complete once it returns."""
        ...


class ImportedListing(Protocol):
    """What a content store needs of a read archive (importer.tar_archive.ImportedTree has it)."""

    commit_sha: str | None
    files: list[ListedFile]
    kept_files: int
    kept_bytes: int
    kept_tokens: int

    @property
    def skipped_files(self) -> int: ...

    @property
    def secrets_found(self) -> int: ...


class ContentStore(Protocol):
    def prefix_for(self, job: ImportJob, run_id: str) -> str:
        """Where one run's content goes: per import and per run, never built from an archive's paths."""
        ...

    def writer(self, prefix: str) -> ContentWriter: ...

    def discard(self, prefix: str) -> None:
        """Deletes everything under the prefix; nothing refers to it any more."""
        ...


class ArchiveSource(Protocol):
    """Opens the archive a claimed run reads (raises ImportFailed when it cannot)."""

    def open(self, run: ClaimedRun) -> AbstractContextManager[ArchiveStream]: ...


class ArchiveStream(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class ArchiveReader(Protocol):
    """Reads an archive under the policy (importer.tar_archive.read_archive): the domain names no format."""

    def __call__(
        self,
        stream: ArchiveStream,
        *,
        policy: ContextPolicy,
        budget: BudgetUse,
        judges: ContentJudges,
        keep: Callable[[KeptFile], None],
    ) -> ImportedListing: ...


@dataclass(frozen=True)
class Archives:
    """Where a kind of import's archive comes from, and the reader of its layout."""

    source: ArchiveSource
    read: ArchiveReader


@dataclass(frozen=True)
class Importer:
    runs: RunStore
    content: ContentStore
    # A repository's archive (github, public_github_repository_url).
    source: ArchiveSource
    read_archive: ArchiveReader
    # A scanner for one run: detect-secrets holds its settings while open.
    open_scanner: Callable[[], AbstractContextManager[SecretScanner]]
    token_counter: TokenCounter
    clock: Callable[[], datetime]
    new_run_id: Callable[[], str]
    # A folder's uploaded archive (local_folder); None where none is read (a run of one is then `internal`).
    uploads: Archives | None = None

    def run(self, job: ImportJob) -> RunResult:
        """One try of the job; raises only what the caller should retry (the lease makes that safe)."""
        now = self.clock()
        # Soft: two of one user's jobs claimed at the same moment may both pass (the count is read
        # eventually consistently and before the claim); the worker's own concurrency bounds the rest.
        if self.runs.runs_importing(job.user_id, now) >= MAX_RUNS_IMPORTING_PER_USER:
            return RunResult(RunOutcome.WAITING, retry_at=now + USER_SLOT_WAIT)
        run = self.runs.claim(job, self.new_run_id(), now, now + RUN_LEASE)
        if run is None:
            return RunResult(RunOutcome.NOT_CLAIMED)
        if run.overtaken_run_id is not None:
            self.content.discard(self.content.prefix_for(job, run.overtaken_run_id))
        prefix = self.content.prefix_for(job, run.run_id)
        # The outcome is recorded before the prefix is discarded: a discard that fails then leaves an
        # orphan prefix nothing points at, never an import held by a run that is over.
        try:
            completed = self._read(run, prefix)
        except ImportFailed as failure:
            result = self._record_failure(run, failure)
            self.content.discard(prefix)
            return result
        except BaseException:
            self.runs.release(run)
            self.content.discard(prefix)
            raise
        if not self.runs.complete(run, completed, self.clock()):
            self.content.discard(prefix)
            return RunResult(RunOutcome.LOST)
        return RunResult(RunOutcome.COMPLETED)

    def _read(self, run: ClaimedRun, prefix: str) -> CompletedRun:
        writer = self.content.writer(prefix)
        archives = self._archives_of(run)
        with self.open_scanner() as scanner, archives.source.open(run) as stream:
            judges = ContentJudges(scanner, self.token_counter)
            listing = archives.read(stream, policy=ContextPolicy(), budget=BudgetUse(), judges=judges, keep=writer.keep)
        if listing.commit_sha is None and run.source_type is not SourceType.LOCAL_FOLDER:
            raise ImportFailed(FailureCode.INTERNAL, "GitHub's archive did not name its commit.")
        writer.finish(listing)
        summary = ContextSummary(
            listing.kept_files, listing.kept_bytes, listing.skipped_files, listing.secrets_found, listing.kept_tokens
        )
        return CompletedRun(listing.commit_sha, summary, prefix)

    def _archives_of(self, run: ClaimedRun) -> Archives:
        if run.source_type is not SourceType.LOCAL_FOLDER:
            return Archives(self.source, self.read_archive)
        if self.uploads is None or run.upload_key is None:  # a folder's run is started by its upload only
            raise ImportFailed(FailureCode.INTERNAL, "The folder's run has no upload to read; upload it again.")
        return self.uploads

    def give_up(self, job: ImportJob) -> bool:
        """After the job's last try: the import is `failed` with `internal`, unless it has moved on."""
        failure = ImportFailed(FailureCode.INTERNAL, "The import failed on every try; refresh it to try again.")
        return self.runs.abandon(job, failure, self.clock())

    def _record_failure(self, run: ClaimedRun, failure: ImportFailed) -> RunResult:
        now = self.clock()
        if failure.code is FailureCode.RATE_LIMITED:
            recorded = self.runs.defer(run, failure, now)
            outcome = RunOutcome.DEFERRED
        else:
            recorded = self.runs.fail(run, failure, now)
            outcome = RunOutcome.FAILED
        if not recorded:
            return RunResult(RunOutcome.LOST)
        return RunResult(outcome, failure.retry_at)
