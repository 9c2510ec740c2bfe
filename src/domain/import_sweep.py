"""The sweep: the jobs of open runs that are overdue, sent again.

Every write that starts a run, claims one or defers one also says when that run is overdue
(import_runs.run_due_at): long after its job should have reached the worker and its try should have
ended. A run still open (pending or importing) past that moment lost its job on the way: a stream
record the outbox never handed on (the stream keeps records 24 hours), a message deleted by hand, a
worker that died without its retry. The sweep sends that job again and makes the run due again later,
so a run whose job keeps getting lost is sent once every OVERDUE_AFTER, not at every sweep.

A job sent twice is harmless: the worker's claim lets one try of a start through (import_runs.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from domain.import_runs import ImportJob, run_due_at

if TYPE_CHECKING:
    from datetime import datetime

    from domain.models import SourceType

# At most this many jobs a sweep (a few seconds of sends); the rest are still overdue at the next one.
SWEEP_LIMIT = 2000


@dataclass(frozen=True)
class OverdueRun:
    job: ImportJob
    source_type: SourceType
    due_at: datetime  # as stored: postponing is conditioned on it, so a run that moved on is left be


class OverdueRuns(Protocol):
    def overdue(self, now: datetime, limit: int) -> list[OverdueRun]:
        """Open runs whose due time has passed, at most `limit` of them."""
        ...

    def postpone(self, run: OverdueRun, until: datetime) -> bool:
        """Due at `until` instead; False (nothing written) when the run moved on since it was read."""
        ...


class JobQueue(Protocol):
    def send(self, jobs: Sequence[ImportJob]) -> None:
        """Queues every job for the worker, or raises."""
        ...


@dataclass(frozen=True)
class SweepResult:
    sent: int
    more: bool  # the limit was reached: more may be overdue


def sweep(runs: OverdueRuns, queue: JobQueue, now: datetime, limit: int = SWEEP_LIMIT) -> SweepResult:
    """Sends the overdue runs' jobs, then postpones each run (sent first: a crash between the two sends
    a job twice at the next sweep rather than never)."""
    overdue = runs.overdue(now, limit)
    queue.send([run.job for run in overdue])
    for run in overdue:
        runs.postpone(run, run_due_at(now))
    return SweepResult(sent=len(overdue), more=len(overdue) >= limit)
