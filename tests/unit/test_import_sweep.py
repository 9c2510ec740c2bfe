"""The sweep's rules: overdue runs' jobs sent again, each run then due again later, not at every sweep."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from domain.import_runs import OVERDUE_AFTER, ImportJob
from domain.import_sweep import OverdueRun, sweep
from domain.models import SourceType

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def overdue_run(import_id: int, due_at: datetime = NOW - timedelta(minutes=1)) -> OverdueRun:
    return OverdueRun(ImportJob(1, 789, import_id, f"start-{import_id}"), SourceType.GITHUB, due_at)


@dataclass
class FakeRuns:
    """Open runs by import id; `overdue` is what a query of the index would list."""

    open_runs: dict[int, OverdueRun]
    moved_on: set[int] = field(default_factory=set)

    def overdue(self, now: datetime, limit: int) -> list[OverdueRun]:
        return [run for run in self.open_runs.values() if run.due_at <= now][:limit]

    def postpone(self, run: OverdueRun, until: datetime) -> bool:
        if run.job.import_id in self.moved_on:
            return False
        self.open_runs[run.job.import_id] = OverdueRun(run.job, run.source_type, until)
        return True


@dataclass
class FakeQueue:
    sent: list[ImportJob] = field(default_factory=list)
    broken: bool = False

    def send(self, jobs: Sequence[ImportJob]) -> None:
        if self.broken:
            raise ConnectionError("SQS is down")
        self.sent.extend(jobs)


def test_overdue_runs_are_sent_again_and_due_again_only_after_another_wait() -> None:
    runs = FakeRuns({1: overdue_run(1), 2: overdue_run(2), 3: overdue_run(3, due_at=NOW + timedelta(minutes=5))})
    queue = FakeQueue()

    result = sweep(runs, queue, NOW)

    assert [job.import_id for job in queue.sent] == [1, 2]
    assert (result.sent, result.more) == (2, False)
    assert runs.open_runs[1].due_at == runs.open_runs[2].due_at == NOW + OVERDUE_AFTER
    assert sweep(runs, queue, NOW + OVERDUE_AFTER - timedelta(seconds=1)).sent == 1  # only the third, now due
    assert sweep(runs, queue, NOW + OVERDUE_AFTER).sent == 2  # the first two, lost again


def test_a_sweep_sends_at_most_its_limit_and_says_more_may_wait() -> None:
    runs = FakeRuns({number: overdue_run(number) for number in range(5)})
    queue = FakeQueue()

    first = sweep(runs, queue, NOW, limit=3)
    second = sweep(runs, queue, NOW, limit=3)

    assert (first.sent, first.more, second.sent, second.more) == (3, True, 2, False)
    assert sorted(job.import_id for job in queue.sent) == [0, 1, 2, 3, 4]


def test_a_run_that_moved_on_meanwhile_is_left_as_it_is() -> None:
    runs = FakeRuns({1: overdue_run(1)}, moved_on={1})

    assert sweep(runs, FakeQueue(), NOW).sent == 1  # its job is harmless: the claim refuses a stale start
    assert runs.open_runs[1].due_at < NOW


def test_when_the_queue_refuses_nothing_is_postponed_so_the_next_sweep_sends_it() -> None:
    runs = FakeRuns({1: overdue_run(1)})

    with pytest.raises(ConnectionError):
        sweep(runs, FakeQueue(broken=True), NOW)

    assert runs.open_runs[1].due_at < NOW
    assert sweep(runs, FakeQueue(), NOW + timedelta(minutes=15)).sent == 1
