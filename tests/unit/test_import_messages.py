"""The import jobs queue's messages: what is accepted, and how long a job meant for later waits."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from domain.import_runs import ImportJob
from handlers.import_messages import (
    LONGEST_DELAY_SECONDS,
    ArrivedObject,
    ReleaseMessage,
    ReleaseUploadMessage,
    RunMessage,
    delay_seconds,
    parse_arrival,
    parse_message,
)

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


UPLOAD_KEY = "uploads/1/789/42/" + "0123456789abcdef" * 2


def test_an_upload_release_names_only_an_upload_the_service_signed() -> None:
    assert parse_message(ReleaseUploadMessage(key=UPLOAD_KEY).model_dump_json()) == ReleaseUploadMessage(key=UPLOAD_KEY)
    for key in ("imports/1/789/42/runs/" + "a" * 32 + "/", UPLOAD_KEY + "/..", "uploads/1/789/42/chosen"):
        with pytest.raises(ValidationError):
            parse_message(ReleaseUploadMessage.model_construct(key=key).model_dump_json())


def s3_notification(event_name: str, key: str, event_time: str | None = "2026-12-03T06:40:01.234Z") -> str:
    """An S3 event notification as S3 sends it to SQS (the fields the worker reads, as documented)."""
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "eventTime": event_time,
        "eventName": event_name,
        "s3": {"bucket": {"name": "uploads-bucket"}, "object": {"key": key, "size": 10}},
    }
    return json.dumps({"Records": [{name: value for name, value in record.items() if value is not None}]})


def test_an_s3_notification_names_the_objects_created_with_their_keys_decoded_and_when_s3_stored_them() -> None:
    arrived = parse_arrival(s3_notification("ObjectCreated:Post", "uploads/1/789/42/a%2Bb+c"))

    stored_at = datetime(2026, 12, 3, 6, 40, 1, 234000, tzinfo=UTC)
    assert arrived == [ArrivedObject("uploads-bucket", "uploads/1/789/42/a+b c", stored_at)]
    assert parse_arrival(s3_notification("ObjectRemoved:Delete", UPLOAD_KEY)) == []


def test_a_notification_without_s3s_time_of_storing_is_not_one() -> None:
    for event_time in (None, "yesterday", "2026-12-03T06:40:01.234"):  # the last: no time zone
        assert parse_arrival(s3_notification("ObjectCreated:Post", UPLOAD_KEY, event_time)) is None


def test_s3s_test_event_names_nothing_and_the_services_own_messages_are_not_notifications() -> None:
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "uploads-bucket"}

    assert parse_arrival(json.dumps(test_event)) == []
    assert parse_arrival(RunMessage.of(JOB).model_dump_json()) is None
    assert parse_arrival("not json") is None
    assert parse_arrival("[]") is None
