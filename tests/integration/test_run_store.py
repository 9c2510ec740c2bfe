"""The import run's state on DynamoDB (moto): claims, outcomes, and what a client's change keeps or resets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from domain.import_failures import FailureCode, ImportFailed
from domain.import_runs import OVERDUE_AFTER, CompletedRun, ContextSummary, ImportJob
from dynamodb_store.runs import DynamoRunStore
from tests.api_client import (
    FOLDER_IMPORT,
    GITHUB_IMPORT,
    assert_copies_match_imports,
    call,
    import_path,
    imports_path,
    post_imports,
    stored_import_item,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

pytestmark = pytest.mark.usefixtures("demo_token")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LEASE = NOW + timedelta(minutes=16)
PARTITION = {"S": "USER#1#PROJECT#789"}
COMPLETED = CompletedRun(
    "ab" * 20, ContextSummary(files=3, bytes=120, skipped_files=7, secrets_found=1, tokens=40), "p/run1/"
)


def created(body: dict[str, Any]) -> tuple[int, str]:
    response = post_imports(body)
    assert response.status == 201, response.text
    import_id: int = response.json()["import"]["id"]
    return import_id, call("GET", import_path(import_id)).headers["etag"]


def job_of(dynamodb: DynamoDBClient, import_id: int) -> ImportJob:
    return ImportJob(1, 789, import_id, stored_import_item(dynamodb, import_id)["run_start_id"]["S"])


def complete(dynamodb: DynamoDBClient, job: ImportJob) -> None:
    runs = DynamoRunStore(dynamodb, "DataTable")
    claimed = runs.claim(job, "run1", NOW, LEASE)
    assert claimed is not None
    assert runs.complete(claimed, COMPLETED, NOW)


def completed_import(dynamodb: DynamoDBClient) -> tuple[int, str]:
    """A `github` import whose first run completed with COMPLETED; its id and ETag."""
    import_id, etag = created(GITHUB_IMPORT)
    complete(dynamodb, job_of(dynamodb, import_id))
    return import_id, etag


def test_a_created_import_is_pending_under_a_start_of_its_own_and_a_folder_awaits_its_upload(
    dynamodb: DynamoDBClient,
) -> None:
    github, _ = created(GITHUB_IMPORT)
    folder, _ = created(FOLDER_IMPORT)

    assert stored_import_item(dynamodb, github)["run_status"] == {"S": "pending"}
    assert stored_import_item(dynamodb, folder)["run_status"] == {"S": "awaiting_upload"}
    assert stored_import_item(dynamodb, github)["run_start_id"] != stored_import_item(dynamodb, folder)["run_start_id"]
    assert_copies_match_imports(dynamodb)


def test_a_run_claims_completes_and_its_copy_says_the_same(dynamodb: DynamoDBClient) -> None:
    import_id, _ = created(GITHUB_IMPORT)
    runs = DynamoRunStore(dynamodb, "DataTable")

    claimed = runs.claim(job_of(dynamodb, import_id), "run1", NOW, LEASE)
    assert claimed is not None
    assert (claimed.source_path, claimed.source_ref, claimed.overtaken_run_id) == ("username/repository", None, None)
    assert stored_import_item(dynamodb, import_id)["run_status"] == {"S": "importing"}
    assert runs.complete(claimed, COMPLETED, NOW)

    item = stored_import_item(dynamodb, import_id)
    assert item["run_status"] == {"S": "completed"}
    assert item["commit_sha"] == {"S": "ab" * 20}
    assert item["context"]["M"]["secrets_found"] == {"N": "1"}
    assert "run_id" not in item
    assert "run_lease_until" not in item
    assert_copies_match_imports(dynamodb)


def test_a_second_claim_of_the_same_start_is_refused_while_the_lease_holds(dynamodb: DynamoDBClient) -> None:
    import_id, _ = created(GITHUB_IMPORT)
    runs = DynamoRunStore(dynamodb, "DataTable")
    job = job_of(dynamodb, import_id)

    assert runs.claim(job, "run1", NOW, LEASE) is not None
    assert runs.claim(job, "run2", NOW + timedelta(minutes=1), LEASE) is None
    taken_over = runs.claim(job, "run3", LEASE + timedelta(seconds=1), LEASE + timedelta(minutes=20))

    assert taken_over is not None
    assert taken_over.overtaken_run_id == "run1"


def test_a_job_of_another_start_claims_nothing(dynamodb: DynamoDBClient) -> None:
    import_id, _ = created(GITHUB_IMPORT)

    assert (
        DynamoRunStore(dynamodb, "DataTable").claim(ImportJob(1, 789, import_id, "stale"), "run1", NOW, LEASE) is None
    )
    assert stored_import_item(dynamodb, import_id)["run_status"] == {"S": "pending"}


def test_a_completion_after_another_run_took_over_records_nothing(dynamodb: DynamoDBClient) -> None:
    import_id, _ = created(GITHUB_IMPORT)
    runs = DynamoRunStore(dynamodb, "DataTable")
    job = job_of(dynamodb, import_id)
    first = runs.claim(job, "run1", NOW, LEASE)
    assert first is not None
    assert runs.claim(job, "run2", LEASE + timedelta(seconds=1), LEASE + timedelta(minutes=20)) is not None

    assert not runs.complete(first, COMPLETED, NOW)
    assert not runs.fail(first, ImportFailed(FailureCode.INTERNAL, "x"), NOW)
    assert stored_import_item(dynamodb, import_id)["run_id"] == {"S": "run2"}


def test_a_completion_after_the_import_was_deleted_records_nothing(dynamodb: DynamoDBClient) -> None:
    import_id, _ = created(GITHUB_IMPORT)
    runs = DynamoRunStore(dynamodb, "DataTable")
    claimed = runs.claim(job_of(dynamodb, import_id), "run1", NOW, LEASE)
    assert claimed is not None
    assert call("DELETE", import_path(import_id)).status == 204

    assert not runs.complete(claimed, COMPLETED, NOW)
    assert stored_import_item(dynamodb, import_id) == {}


def test_a_failure_and_a_rate_limit_are_recorded_with_their_error(dynamodb: DynamoDBClient) -> None:
    failed_id, _ = created(GITHUB_IMPORT)
    limited_id, _ = created(GITHUB_IMPORT | {"title": "limited"})
    runs = DynamoRunStore(dynamodb, "DataTable")

    failed = runs.claim(job_of(dynamodb, failed_id), "run1", NOW, LEASE)
    limited = runs.claim(job_of(dynamodb, limited_id), "run2", NOW, LEASE)
    assert failed is not None
    assert limited is not None
    assert runs.fail(failed, ImportFailed(FailureCode.NOT_FOUND_OR_NO_ACCESS, "No such repository."), NOW)
    reset = NOW + timedelta(minutes=20)
    assert runs.defer(limited, ImportFailed(FailureCode.RATE_LIMITED, "Limited.", retry_at=reset), NOW)

    assert stored_import_item(dynamodb, failed_id)["run_status"] == {"S": "failed"}
    assert stored_import_item(dynamodb, failed_id)["run_error"]["M"]["code"] == {"S": "not_found_or_no_access"}
    limited_item = stored_import_item(dynamodb, limited_id)
    assert limited_item["run_status"] == {"S": "pending"}
    assert limited_item["run_error"]["M"]["retry_at"] == {"S": "2026-12-01T12:20:00.000Z"}
    assert runs.claim(job_of(dynamodb, limited_id), "run3", reset, reset + timedelta(minutes=16)) is not None
    assert_copies_match_imports(dynamodb)


def test_giving_up_fails_a_pending_or_importing_job_and_nothing_else(dynamodb: DynamoDBClient) -> None:
    import_id, _ = created(GITHUB_IMPORT)
    runs = DynamoRunStore(dynamodb, "DataTable")
    job = job_of(dynamodb, import_id)

    assert runs.abandon(job, ImportFailed(FailureCode.INTERNAL, "Every try failed."), NOW)
    assert not runs.abandon(job, ImportFailed(FailureCode.INTERNAL, "again"), NOW)
    assert stored_import_item(dynamodb, import_id)["run_error"]["M"]["code"] == {"S": "internal"}
    assert not runs.abandon(ImportJob(1, 789, 999_999, "x"), ImportFailed(FailureCode.INTERNAL, "gone"), NOW)


def test_a_run_keeps_the_clients_etag_valid_and_a_title_change_keeps_the_run(dynamodb: DynamoDBClient) -> None:
    import_id, etag = completed_import(dynamodb)
    assert call("GET", import_path(import_id)).headers["etag"] == etag

    changed = call("PUT", import_path(import_id), GITHUB_IMPORT | {"title": "Renamed"}, headers={"if-match": etag})

    assert changed.status == 200, changed.text
    item = stored_import_item(dynamodb, import_id)
    assert item["title"] == {"S": "Renamed"}
    assert (item["run_status"], item["commit_sha"], item["content_prefix"]) == (
        {"S": "completed"},
        {"S": "ab" * 20},
        {"S": "p/run1/"},
    )
    assert_copies_match_imports(dynamodb)


@pytest.mark.parametrize(
    "change",
    [
        {"source_path": "username/other"},
        {"source_ref": "v2"},
        {"source_type": "public_github_repository_url", "source_path": "https://github.com/username/repository"},
    ],
)
def test_a_new_source_starts_a_new_run_and_drops_the_old_sources_result(
    dynamodb: DynamoDBClient, change: dict[str, str]
) -> None:
    import_id, etag = created(GITHUB_IMPORT)
    old_job = job_of(dynamodb, import_id)
    complete(dynamodb, old_job)

    changed = call("PUT", import_path(import_id), GITHUB_IMPORT | change, headers={"if-match": etag})

    assert changed.status == 200, changed.text
    item = stored_import_item(dynamodb, import_id)
    assert item["run_status"] == {"S": "pending"}
    assert item["run_start_id"]["S"] != old_job.start_id
    assert not {"commit_sha", "context", "content_prefix", "imported_at", "run_error"} & set(item)
    assert DynamoRunStore(dynamodb, "DataTable").claim(old_job, "late", NOW, LEASE) is None
    assert_copies_match_imports(dynamodb)


def test_a_crashed_try_releases_its_claim_for_the_next_one(dynamodb: DynamoDBClient) -> None:
    import_id, _ = created(GITHUB_IMPORT)
    runs = DynamoRunStore(dynamodb, "DataTable")
    job = job_of(dynamodb, import_id)
    crashed = runs.claim(job, "run1", NOW, LEASE)
    assert crashed is not None

    assert runs.release(crashed)

    assert stored_import_item(dynamodb, import_id)["run_status"] == {"S": "pending"}
    assert "run_id" not in stored_import_item(dynamodb, import_id)
    assert runs.claim(job, "run2", NOW, LEASE) is not None
    assert not runs.release(crashed)  # the claim is run2's now


def test_a_completed_run_shows_in_the_import_and_in_both_kinds_of_list_page(dynamodb: DynamoDBClient) -> None:
    import_id, _ = completed_import(dynamodb)

    read = call("GET", import_path(import_id)).json()["import"]
    listed = call("GET", imports_path()).json()["imports"]
    filtered = call("GET", imports_path(), query="source_type=github").json()["imports"]

    expected = {
        "status": "completed",
        "commit_sha": "ab" * 20,
        "imported_at": "2026-12-01T12:00:00.000Z",
        "error": None,
        "context": {"files": 3, "bytes": 120, "skipped_files": 7, "secrets_found": 1, "tokens": 40},
    }
    assert {name: read[name] for name in expected} == expected
    assert [{name: each[name] for name in expected} for each in listed if each["id"] == import_id] == [expected]
    assert [{name: each[name] for name in expected} for each in filtered if each["id"] == import_id] == [expected]


def test_an_import_completed_before_token_counts_shows_tokens_null(dynamodb: DynamoDBClient) -> None:
    import_id, _ = completed_import(dynamodb)
    # As a run completed before tokens were counted left the import and its copy.
    for item in dynamodb.scan(TableName="DataTable")["Items"]:
        if item.get("id") == {"N": str(import_id)} and "context" in item:
            key = {"PK": item["PK"], "SK": item["SK"]}
            dynamodb.update_item(
                TableName="DataTable",
                Key=key,
                UpdateExpression="REMOVE #c.tokens",
                ExpressionAttributeNames={"#c": "context"},
            )

    read = call("GET", import_path(import_id)).json()["import"]

    assert read["context"] == {"files": 3, "bytes": 120, "skipped_files": 7, "secrets_found": 1, "tokens": None}


def test_a_failure_shows_its_code_message_and_retry_at(dynamodb: DynamoDBClient) -> None:
    import_id, _ = created(GITHUB_IMPORT)
    runs = DynamoRunStore(dynamodb, "DataTable")
    claimed = runs.claim(job_of(dynamodb, import_id), "run1", NOW, LEASE)
    assert claimed is not None
    limited = ImportFailed(
        FailureCode.RATE_LIMITED, "GitHub's rate limit was reached.", retry_at=NOW + timedelta(minutes=9)
    )
    assert runs.defer(claimed, limited, NOW)

    read = call("GET", import_path(import_id)).json()["import"]

    assert (read["status"], read["commit_sha"], read["context"]) == ("pending", None, None)
    assert read["error"] == {
        "code": "rate_limited",
        "message": "GitHub's rate limit was reached.",
        "retry_at": "2026-12-01T12:09:00.000Z",
    }


def test_a_change_of_source_answers_with_the_new_runs_status(dynamodb: DynamoDBClient) -> None:
    import_id, etag = completed_import(dynamodb)

    renamed = call("PUT", import_path(import_id), GITHUB_IMPORT | {"title": "x"}, headers={"if-match": etag})
    moved = call("PUT", import_path(import_id), FOLDER_IMPORT, headers={"if-match": renamed.headers["etag"]})

    assert (renamed.json()["import"]["status"], renamed.json()["import"]["commit_sha"]) == ("completed", "ab" * 20)
    assert moved.json()["import"]["status"] == "awaiting_upload"
    assert (moved.json()["import"]["commit_sha"], moved.json()["import"]["context"]) == (None, None)
    assert call("GET", import_path(import_id)).json()["import"]["status"] == "awaiting_upload"


def due_at(dynamodb: DynamoDBClient, import_id: int) -> datetime | None:
    item = stored_import_item(dynamodb, import_id)
    return datetime.fromtimestamp(int(item["run_due_at"]["N"]), UTC) if "run_due_at" in item else None


def test_an_open_run_is_due_when_it_should_have_moved_on_and_a_run_that_is_over_is_not(
    dynamodb: DynamoDBClient,
) -> None:
    runs = DynamoRunStore(dynamodb, "DataTable")
    before = datetime.now(UTC).replace(microsecond=0)
    completed, _ = created(GITHUB_IMPORT)
    created_due = due_at(dynamodb, completed)
    assert created_due is not None
    assert before + OVERDUE_AFTER <= created_due <= datetime.now(UTC) + OVERDUE_AFTER  # wanted now: due then
    claimed = runs.claim(job_of(dynamodb, completed), "run1", NOW, LEASE)
    assert claimed is not None
    assert due_at(dynamodb, completed) == LEASE + OVERDUE_AFTER
    assert runs.release(claimed)
    assert due_at(dynamodb, completed) == LEASE + OVERDUE_AFTER  # its retry comes far sooner
    claimed = runs.claim(job_of(dynamodb, completed), "run2", NOW, LEASE)
    assert claimed is not None
    assert runs.complete(claimed, COMPLETED, NOW)
    assert due_at(dynamodb, completed) is None

    limited, _ = created(GITHUB_IMPORT)
    claimed = runs.claim(job_of(dynamodb, limited), "run3", NOW, LEASE)
    assert claimed is not None
    reset = NOW + timedelta(hours=1)
    assert runs.defer(claimed, ImportFailed(FailureCode.RATE_LIMITED, "Limited.", retry_at=reset), NOW)
    assert due_at(dynamodb, limited) == reset + OVERDUE_AFTER
    claimed = runs.claim(job_of(dynamodb, limited), "run4", reset, reset + (LEASE - NOW))
    assert claimed is not None
    assert runs.fail(claimed, ImportFailed(FailureCode.NOT_FOUND_OR_NO_ACCESS, "Gone."), reset)
    assert due_at(dynamodb, limited) is None

    given_up, etag = created(GITHUB_IMPORT)
    assert runs.abandon(job_of(dynamodb, given_up), ImportFailed(FailureCode.INTERNAL, "Every try failed."), NOW)
    assert due_at(dynamodb, given_up) is None
    refreshed = call("POST", import_path(given_up) + "/refresh")
    assert refreshed.status == 202, refreshed.text
    assert due_at(dynamodb, given_up) is not None
    to_folder = call("PUT", import_path(given_up), FOLDER_IMPORT, headers={"if-match": etag})
    assert to_folder.status == 200, to_folder.text
    assert due_at(dynamodb, given_up) is None  # awaiting its upload: nothing to sweep
    assert_copies_match_imports(dynamodb)
