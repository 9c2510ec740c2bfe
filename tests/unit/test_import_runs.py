"""The import run's use case with in-memory ports: claims, outcomes, and what is never shown or kept."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest

from domain.context_policy import KeptFile
from domain.import_failures import FailureCode, ImportFailed
from domain.import_runs import (
    MAX_RUNS_IMPORTING_PER_USER,
    RUN_LEASE,
    USER_SLOT_WAIT,
    Archives,
    ArchiveStream,
    ClaimedRun,
    CompletedRun,
    ImportedListing,
    Importer,
    ImportJob,
    RunOutcome,
)
from domain.models import RunStatus, SourceType
from importer.tar_archive import read_archive
from importer.upload_archive import read_upload
from tests.archives import COMMIT, FakeScanner, WordTokens, file_at, github_archive, zipped

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
JOB = ImportJob(user_id=1, project_id=2, import_id=3, start_id="start-1")


@dataclass
class StoredRun:
    status: RunStatus = RunStatus.PENDING
    start_id: str = "start-1"
    run_id: str | None = None
    lease_until: datetime | None = None
    error: ImportFailed | None = None
    completed: CompletedRun | None = None
    exists: bool = True
    source_type: SourceType = SourceType.GITHUB
    upload_key: str | None = None


@dataclass
class MemoryRuns:
    """The RunStore's conditions, as the DynamoDB adapter writes them."""

    stored: StoredRun = field(default_factory=StoredRun)
    # Leases of the user's other runs that hold a claim now (the runs_importing index).
    others_importing: list[datetime] = field(default_factory=list)

    def runs_importing(self, user_id: int, now: datetime) -> int:
        this_run = [self.stored.lease_until] if self.stored.status is RunStatus.IMPORTING else []
        return sum(1 for lease in [*self.others_importing, *this_run] if lease is not None and lease > now)

    def claim(self, job: ImportJob, run_id: str, now: datetime, lease_until: datetime) -> ClaimedRun | None:
        run = self.stored
        lease_over = run.status is RunStatus.IMPORTING and run.lease_until is not None and run.lease_until < now
        if not run.exists or run.start_id != job.start_id or not (run.status is RunStatus.PENDING or lease_over):
            return None
        overtaken = run.run_id if lease_over else None
        run.status, run.run_id, run.lease_until = RunStatus.IMPORTING, run_id, lease_until
        return ClaimedRun(
            job, run_id, run.source_type, "octo/demo", None, upload_key=run.upload_key, overtaken_run_id=overtaken
        )

    def _holds(self, claimed: ClaimedRun) -> bool:
        run = self.stored
        return run.exists and run.start_id == claimed.job.start_id and run.run_id == claimed.run_id

    def complete(self, claimed: ClaimedRun, completed: CompletedRun, now: datetime) -> bool:
        if not self._holds(claimed):
            return False
        self.stored.status, self.stored.completed, self.stored.error = RunStatus.COMPLETED, completed, None
        return True

    def fail(self, claimed: ClaimedRun, failure: ImportFailed, now: datetime) -> bool:
        if not self._holds(claimed):
            return False
        self.stored.status, self.stored.error = RunStatus.FAILED, failure
        return True

    def defer(self, claimed: ClaimedRun, failure: ImportFailed, now: datetime) -> bool:
        if not self._holds(claimed):
            return False
        self.stored.status, self.stored.error, self.stored.run_id = RunStatus.PENDING, failure, None
        return True

    def release(self, claimed: ClaimedRun) -> bool:
        if not self._holds(claimed):
            return False
        self.stored.status, self.stored.run_id, self.stored.lease_until = RunStatus.PENDING, None, None
        return True

    def abandon(self, job: ImportJob, failure: ImportFailed, now: datetime) -> bool:
        run = self.stored
        if not run.exists or run.start_id != job.start_id or run.status not in {RunStatus.PENDING, RunStatus.IMPORTING}:
            return False
        run.status, run.error = RunStatus.FAILED, failure
        return True


@dataclass
class MemoryContent:
    files: dict[str, dict[str, bytes]] = field(default_factory=dict)
    listings: dict[str, ImportedListing] = field(default_factory=dict)
    discarded: list[str] = field(default_factory=list)

    def prefix_for(self, job: ImportJob, run_id: str) -> str:
        return f"imports/{job.import_id}/runs/{run_id}/"

    def writer(self, prefix: str) -> MemoryContent.Writer:
        return MemoryContent.Writer(self, prefix)

    def discard(self, prefix: str) -> None:
        self.files.pop(prefix, None)
        self.listings.pop(prefix, None)
        self.discarded.append(prefix)

    @dataclass
    class Writer:
        store: MemoryContent
        prefix: str

        def keep(self, file: KeptFile) -> None:
            self.store.files.setdefault(self.prefix, {})[file.path] = file.content

        def finish(self, listing: ImportedListing) -> None:
            self.store.listings[self.prefix] = listing


@dataclass
class ScriptedSource:
    archive: bytes = field(default_factory=lambda: github_archive({"README.md": b"# Demo\n", "src/a.py": b"x = 1\n"}))
    failure: BaseException | None = None
    fail_after_bytes: int | None = None
    during: list[Callable[[], object]] = field(default_factory=list)  # run while the archive is open
    opened: int = 0

    @contextmanager
    def open(self, run: ClaimedRun) -> Iterator[ArchiveStream]:
        self.opened += 1
        if self.failure is not None and self.fail_after_bytes is None:
            raise self.failure
        for callback in self.during:
            callback()
        yield _Cut(io.BytesIO(self.archive), self.fail_after_bytes, self.failure)


class _Cut:
    def __init__(self, stream: io.BytesIO, after: int | None, failure: BaseException | None) -> None:
        self._stream, self._after, self._failure = stream, after, failure

    def read(self, size: int = -1, /) -> bytes:
        if self._after is not None and self._stream.tell() >= self._after and self._failure is not None:
            raise self._failure
        return self._stream.read(size if self._after is None else min(size, 512))


def importer(
    runs: MemoryRuns, content: MemoryContent, source: ScriptedSource, clock: list[datetime] | None = None
) -> Importer:
    ids = iter(f"run{n}" for n in range(1, 100))
    times = clock or [NOW]
    return Importer(
        runs=runs,
        content=content,
        source=source,
        read_archive=read_archive,
        open_scanner=lambda: nullcontext(FakeScanner()),
        token_counter=WordTokens(),
        clock=lambda: times[0],
        new_run_id=lambda: next(ids),
    )


def test_a_run_keeps_the_policys_files_and_records_completed_with_the_commit() -> None:
    runs, content = MemoryRuns(), MemoryContent()

    result = importer(runs, content, ScriptedSource()).run(JOB)

    assert result.outcome is RunOutcome.COMPLETED
    completed = runs.stored.completed
    assert completed is not None
    assert (runs.stored.status, completed.commit_sha) == (RunStatus.COMPLETED, COMMIT)
    assert content.files[completed.content_prefix] == {"README.md": b"# Demo\n"}
    assert (completed.summary.files, completed.summary.skipped_files) == (1, 1)
    assert content.listings[completed.content_prefix].commit_sha == COMMIT


def test_a_duplicate_job_after_completion_claims_nothing_and_changes_nothing() -> None:
    runs, content = MemoryRuns(), MemoryContent()
    importer(runs, content, ScriptedSource()).run(JOB)
    before = (runs.stored.completed, dict(content.files))

    result = importer(runs, content, ScriptedSource()).run(JOB)

    assert result.outcome is RunOutcome.NOT_CLAIMED
    assert (runs.stored.completed, content.files) == before


def test_a_job_of_an_earlier_start_claims_nothing() -> None:
    runs = MemoryRuns(StoredRun(start_id="start-2"))

    assert importer(runs, MemoryContent(), ScriptedSource()).run(JOB).outcome is RunOutcome.NOT_CLAIMED
    assert runs.stored.status is RunStatus.PENDING


def test_a_live_run_is_not_taken_over_but_one_whose_lease_ended_is() -> None:
    live = MemoryRuns(StoredRun(status=RunStatus.IMPORTING, run_id="other", lease_until=NOW + timedelta(minutes=1)))
    dead = MemoryRuns(StoredRun(status=RunStatus.IMPORTING, run_id="other", lease_until=NOW - timedelta(seconds=1)))

    assert importer(live, MemoryContent(), ScriptedSource()).run(JOB).outcome is RunOutcome.NOT_CLAIMED
    assert importer(dead, MemoryContent(), ScriptedSource()).run(JOB).outcome is RunOutcome.COMPLETED


def test_the_claim_leases_the_import_for_longer_than_a_run_can_last() -> None:
    runs = MemoryRuns()
    source = ScriptedSource()
    seen: list[tuple[RunStatus, datetime | None]] = []
    source.during.append(lambda: seen.append((runs.stored.status, runs.stored.lease_until)))

    importer(runs, MemoryContent(), source).run(JOB)

    assert seen == [(RunStatus.IMPORTING, NOW + RUN_LEASE)]
    assert timedelta(minutes=15) < RUN_LEASE


@pytest.mark.parametrize(
    "code", [FailureCode.NOT_FOUND_OR_NO_ACCESS, FailureCode.EMPTY_REPOSITORY, FailureCode.INSTALLATION_MISSING]
)
def test_a_failure_is_recorded_with_its_code_and_nothing_is_kept(code: FailureCode) -> None:
    runs, content = MemoryRuns(), MemoryContent()

    result = importer(runs, content, ScriptedSource(failure=ImportFailed(code, "no"))).run(JOB)

    assert result.outcome is RunOutcome.FAILED
    assert runs.stored.status is RunStatus.FAILED
    assert runs.stored.error is not None
    assert runs.stored.error.code is code
    assert content.files == {}
    assert content.discarded == ["imports/3/runs/run1/"]


def test_an_unsafe_archive_found_midway_keeps_nothing_of_what_was_read_before() -> None:
    runs, content = MemoryRuns(), MemoryContent()
    archive = github_archive({"README.md": b"# kept first\n"}, extra=(file_at("../escape", b"x"),))

    result = importer(runs, content, ScriptedSource(archive=archive)).run(JOB)

    assert result.outcome is RunOutcome.FAILED
    assert runs.stored.error is not None
    assert runs.stored.error.code is FailureCode.UNSAFE_ARCHIVE
    assert content.files == {}


def test_a_rate_limit_puts_the_import_back_to_pending_until_githubs_reset() -> None:
    runs = MemoryRuns()
    limited = ImportFailed(FailureCode.RATE_LIMITED, "limited", retry_at=NOW + timedelta(minutes=20))

    result = importer(runs, MemoryContent(), ScriptedSource(failure=limited)).run(JOB)

    assert (result.outcome, result.retry_at) == (RunOutcome.DEFERRED, NOW + timedelta(minutes=20))
    assert runs.stored.status is RunStatus.PENDING
    assert importer(runs, MemoryContent(), ScriptedSource()).run(JOB).outcome is RunOutcome.COMPLETED


def test_a_crash_midway_shows_no_partial_content_and_the_next_try_claims_at_once() -> None:
    runs, content = MemoryRuns(), MemoryContent()
    archive = github_archive({f"docs/page{n}.md": os.urandom(2000).hex().encode() for n in range(20)})
    crashing = ScriptedSource(archive=archive, failure=MemoryError("out of memory"), fail_after_bytes=len(archive) // 2)

    with pytest.raises(MemoryError):
        importer(runs, content, crashing).run(JOB)

    assert runs.stored.status is RunStatus.PENDING
    assert runs.stored.completed is None
    assert content.files == {}
    assert importer(runs, content, ScriptedSource(archive=archive)).run(JOB).outcome is RunOutcome.COMPLETED


def test_a_run_that_takes_over_a_dead_one_discards_what_the_dead_one_wrote() -> None:
    runs = MemoryRuns(StoredRun(status=RunStatus.IMPORTING, run_id="dead", lease_until=NOW - timedelta(seconds=1)))
    content = MemoryContent(files={"imports/3/runs/dead/": {"README.md": b"half"}})

    importer(runs, content, ScriptedSource()).run(JOB)

    assert "imports/3/runs/dead/" not in content.files
    assert content.discarded[0] == "imports/3/runs/dead/"


def test_a_run_that_finishes_after_its_import_was_deleted_stores_nothing() -> None:
    runs, content = MemoryRuns(), MemoryContent()
    source = ScriptedSource()
    source.during.append(lambda: setattr(runs.stored, "exists", False))

    result = importer(runs, content, source).run(JOB)

    assert result.outcome is RunOutcome.LOST
    assert content.files == {}
    assert runs.stored.completed is None


def test_a_run_overtaken_by_a_newer_start_stores_nothing() -> None:
    runs, content = MemoryRuns(), MemoryContent()
    source = ScriptedSource()
    source.during.append(lambda: setattr(runs.stored, "start_id", "start-2"))

    assert importer(runs, content, source).run(JOB).outcome is RunOutcome.LOST
    assert content.files == {}


def test_an_archive_without_its_commit_fails_as_internal() -> None:
    runs = MemoryRuns()

    importer(runs, MemoryContent(), ScriptedSource(archive=github_archive({"README.md": b"x"}, commit=None))).run(JOB)

    assert runs.stored.error is not None
    assert runs.stored.error.code is FailureCode.INTERNAL


def test_giving_up_after_the_last_try_records_internal_unless_the_import_moved_on() -> None:
    runs = MemoryRuns(StoredRun(status=RunStatus.IMPORTING, run_id="crashed"))
    moved_on = MemoryRuns(StoredRun(start_id="start-2"))

    assert importer(runs, MemoryContent(), ScriptedSource()).give_up(JOB)
    assert not importer(moved_on, MemoryContent(), ScriptedSource()).give_up(JOB)
    assert runs.stored.error is not None
    assert (runs.stored.status, runs.stored.error.code) == (RunStatus.FAILED, FailureCode.INTERNAL)
    assert moved_on.stored.status is RunStatus.PENDING


def test_a_user_with_the_most_runs_importing_waits_and_nothing_is_claimed_or_asked() -> None:
    live = [NOW + timedelta(minutes=10)] * MAX_RUNS_IMPORTING_PER_USER
    runs, source = MemoryRuns(others_importing=live), ScriptedSource()

    result = importer(runs, MemoryContent(), source).run(JOB)

    assert (result.outcome, result.retry_at) == (RunOutcome.WAITING, NOW + USER_SLOT_WAIT)
    assert (runs.stored.status, runs.stored.run_id) == (RunStatus.PENDING, None)
    assert source.opened == 0


def test_runs_whose_lease_ended_do_not_count_against_their_user() -> None:
    dead = [NOW - timedelta(seconds=1)] * MAX_RUNS_IMPORTING_PER_USER
    live = [NOW + timedelta(minutes=10)] * (MAX_RUNS_IMPORTING_PER_USER - 1)
    runs = MemoryRuns(others_importing=dead + live)

    assert importer(runs, MemoryContent(), ScriptedSource()).run(JOB).outcome is RunOutcome.COMPLETED


FOLDER_FILES = {"README.md": b"# Demo\n", "src/a.py": b"x = 1\n"}


def test_a_folders_run_reads_its_upload_with_the_upload_reader_and_records_no_commit() -> None:
    runs = MemoryRuns(StoredRun(source_type=SourceType.LOCAL_FOLDER, upload_key="uploads/1/789/3/" + "a" * 32))
    content, repository, upload = MemoryContent(), ScriptedSource(), ScriptedSource(archive=zipped(FOLDER_FILES))
    reading = replace(importer(runs, content, repository), uploads=Archives(upload, read_upload))

    assert reading.run(JOB).outcome is RunOutcome.COMPLETED

    assert (repository.opened, upload.opened) == (0, 1)
    completed = runs.stored.completed
    github_runs = MemoryRuns()
    importer(github_runs, MemoryContent(), ScriptedSource(archive=github_archive(FOLDER_FILES))).run(JOB)
    assert completed is not None
    assert github_runs.stored.completed is not None
    assert (completed.commit_sha, completed.summary) == (None, github_runs.stored.completed.summary)


@pytest.mark.parametrize("upload_key", [None, "uploads/1/789/3/" + "a" * 32])
def test_a_folders_run_without_an_upload_to_read_fails_internal(upload_key: str | None) -> None:
    runs = MemoryRuns(StoredRun(source_type=SourceType.LOCAL_FOLDER, upload_key=upload_key))
    upload = ScriptedSource(archive=zipped(FOLDER_FILES))
    uploads = Archives(upload, read_upload) if upload_key is None else None  # either one missing

    result = replace(importer(runs, MemoryContent(), ScriptedSource()), uploads=uploads).run(JOB)

    assert result.outcome is RunOutcome.FAILED
    assert runs.stored.error is not None
    assert runs.stored.error.code is FailureCode.INTERNAL
    assert upload.opened == 0
