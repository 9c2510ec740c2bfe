"""Which committed writes of the data table ask for work: runs wanted, content released."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.import_runs import ImportJob
from domain.models import ProjectImport, RunStatus, SourceType
from dynamodb_store.runs import start_attributes
from dynamodb_store.store import import_item, source_type_copy
from dynamodb_store.stream_records import ContentReleased, RunWanted, UploadReleased, work_from_record

MOMENT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
IMPORT = ProjectImport(
    id=42,
    source_type=SourceType.GITHUB,
    source_path="octo/demo",
    source_ref=None,
    title="Demo",
    description=None,
    created_at=MOMENT,
    updated_at=MOMENT,
    neptun_user_id=1,
    project_id=789,
)


def image(status: RunStatus, start: str = "s1", extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return import_item(IMPORT, 1) | start_attributes(status, start, MOMENT) | (extra or {})


def record(event: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, Any]:
    change: dict[str, Any] = {"Keys": {}, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    if old is not None:
        change["OldImage"] = old
    if new is not None:
        change["NewImage"] = new
    return {"eventName": event, "eventSource": "aws:dynamodb", "dynamodb": change}


JOB = ImportJob(user_id=1, project_id=789, import_id=42, start_id="s1")
PREFIX = {"content_prefix": {"S": "imports/1/789/42/runs/r1/"}}


def test_a_created_import_wants_a_run() -> None:
    assert work_from_record(record("INSERT", None, image(RunStatus.PENDING))) == [RunWanted(JOB)]


def test_a_created_folder_wants_nothing_until_its_upload() -> None:
    assert work_from_record(record("INSERT", None, image(RunStatus.AWAITING_UPLOAD))) == []


def test_a_run_claiming_or_completing_wants_nothing_more() -> None:
    claimed = record("MODIFY", image(RunStatus.PENDING), image(RunStatus.IMPORTING))
    completed = record("MODIFY", image(RunStatus.IMPORTING), image(RunStatus.COMPLETED, extra=PREFIX))

    assert work_from_record(claimed) == work_from_record(completed) == []


def test_a_title_change_of_a_pending_import_wants_no_second_run() -> None:
    assert (
        work_from_record(
            record("MODIFY", image(RunStatus.PENDING), image(RunStatus.PENDING, extra={"title": {"S": "x"}}))
        )
        == []
    )


def test_a_new_start_wants_a_run_of_that_start_and_releases_the_old_content() -> None:
    work = work_from_record(record("MODIFY", image(RunStatus.COMPLETED, extra=PREFIX), image(RunStatus.PENDING, "s2")))

    assert work == [RunWanted(ImportJob(1, 789, 42, "s2")), ContentReleased("imports/1/789/42/runs/r1/")]


def test_a_rate_limited_run_back_to_pending_wants_a_run_not_before_the_reset() -> None:
    error = {
        "run_error": {
            "M": {"code": {"S": "rate_limited"}, "message": {"S": "x"}, "retry_at": {"S": "2026-12-01T12:20:00.000Z"}}
        }
    }

    work = work_from_record(record("MODIFY", image(RunStatus.IMPORTING), image(RunStatus.PENDING, extra=error)))

    assert work == [RunWanted(JOB, datetime(2026, 12, 1, 12, 20, tzinfo=UTC))]


def test_a_newer_completed_run_releases_the_older_runs_content() -> None:
    newer = {"content_prefix": {"S": "imports/1/789/42/runs/r2/"}}

    work = work_from_record(
        record("MODIFY", image(RunStatus.IMPORTING, extra=PREFIX), image(RunStatus.COMPLETED, extra=newer))
    )

    assert work == [ContentReleased("imports/1/789/42/runs/r1/")]


def test_a_deleted_import_releases_its_content() -> None:
    assert work_from_record(record("REMOVE", image(RunStatus.COMPLETED, extra=PREFIX), None)) == [
        ContentReleased("imports/1/789/42/runs/r1/")
    ]


def test_copies_and_other_items_ask_for_nothing() -> None:
    copy = source_type_copy(IMPORT, 1) | start_attributes(RunStatus.PENDING, "s1", MOMENT)
    project = {"PK": {"S": "USER#1"}, "SK": {"S": "PROJECT#789"}}

    assert work_from_record(record("INSERT", None, copy)) == []
    assert work_from_record(record("INSERT", None, project)) == []
    assert work_from_record(record("REMOVE", copy | PREFIX, None)) == []


def test_an_import_stored_before_runs_existed_asks_for_nothing_when_its_title_changes() -> None:
    legacy = import_item(IMPORT, 1)

    assert work_from_record(record("MODIFY", legacy, legacy | {"title": {"S": "new"}})) == []


UPLOAD = {"upload_key": {"S": "uploads/1/789/42/" + "a" * 32}}


def test_a_folders_run_that_ended_releases_its_upload_and_a_try_again_keeps_it() -> None:
    ended = record("MODIFY", image(RunStatus.IMPORTING, extra=UPLOAD), image(RunStatus.FAILED))
    tried_again = record("MODIFY", image(RunStatus.IMPORTING, extra=UPLOAD), image(RunStatus.PENDING, extra=UPLOAD))

    assert work_from_record(ended) == [UploadReleased(UPLOAD["upload_key"]["S"])]
    assert work_from_record(tried_again) == [RunWanted(JOB)]  # a crashed try, released: no upload released


def test_a_newer_upload_releases_the_older_one() -> None:
    newer = {"upload_key": {"S": "uploads/1/789/42/" + "b" * 32}}

    work = work_from_record(
        record("MODIFY", image(RunStatus.PENDING, extra=UPLOAD), image(RunStatus.PENDING, "s2", newer))
    )

    assert work == [RunWanted(ImportJob(1, 789, 42, "s2")), UploadReleased(UPLOAD["upload_key"]["S"])]


def test_a_deleted_folder_releases_its_upload_not_yet_read() -> None:
    assert work_from_record(record("REMOVE", image(RunStatus.PENDING, extra=UPLOAD), None)) == [
        UploadReleased(UPLOAD["upload_key"]["S"])
    ]
