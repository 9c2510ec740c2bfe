"""The import jobs queue's messages: what is accepted, and how long a job meant for later waits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from domain.import_runs import ImportJob
from handlers.import_messages import LONGEST_DELAY_SECONDS, ReleaseMessage, RunMessage, delay_seconds, parse_message

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
JOB = ImportJob(1, 789, 42, "a" * 32)


def test_a_run_message_carries_its_job_through_the_queue() -> None:
    sent = RunMessage.of(JOB, NOW + timedelta(minutes=5)).model_dump_json()

    received = parse_message(sent)

    assert isinstance(received, RunMessage)
    assert (received.job, received.not_before) == (JOB, NOW + timedelta(minutes=5))


@pytest.mark.parametrize(
    "prefix",
    [
        "imports/1/789/42/runs/../../",
        "imports/1/789/42/",
        "other/1/789/42/runs/" + "a" * 32 + "/",
        "imports/1/789/42/runs/" + "a" * 32,
    ],
)
def test_a_release_names_only_a_runs_prefix(prefix: str) -> None:
    with pytest.raises(ValidationError):
        parse_message(ReleaseMessage.model_construct(prefix=prefix).model_dump_json())


def test_a_release_of_a_runs_prefix_is_accepted() -> None:
    prefix = "imports/1/789/42/runs/" + "0123456789abcdef" * 2 + "/"

    assert parse_message(ReleaseMessage(prefix=prefix).model_dump_json()) == ReleaseMessage(prefix=prefix)


@pytest.mark.parametrize("body", ["", "[]", '{"kind": "run"}', '{"kind": "run", "user_id": "1"}', '{"kind": "delete"}'])
def test_anything_else_is_refused(body: str) -> None:
    with pytest.raises(ValidationError):
        parse_message(body)


@pytest.mark.parametrize(
    ("not_before", "delay"),
    [(None, 0), (NOW - timedelta(seconds=5), 0), (NOW + timedelta(seconds=90), 91), (NOW + timedelta(hours=2), 900)],
)
def test_a_delay_is_within_what_sqs_allows(not_before: datetime | None, delay: int) -> None:
    assert delay_seconds(not_before, NOW) == delay
    assert 0 <= delay <= LONGEST_DELAY_SECONDS
