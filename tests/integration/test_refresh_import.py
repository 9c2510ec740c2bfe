"""POST …/imports/{import_id}/refresh on DynamoDB (moto): a new run is wanted once, the ETag and content stay."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from domain.import_failures import FailureCode, ImportFailed
from dynamodb_store.runs import DynamoRunStore
from tests.api_client import (
    FOLDER_IMPORT,
    GITHUB_IMPORT,
    assert_copies_match_imports,
    assert_error,
    call,
    import_path,
    stored_import_item,
)
from tests.integration.test_run_store import LEASE, NOW, completed_import, created, job_of

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

pytestmark = pytest.mark.usefixtures("demo_token")


def refresh_path(import_id: int) -> str:
    return f"{import_path(import_id)}/refresh"


def test_a_refresh_of_a_completed_import_wants_a_new_run_and_keeps_content_and_etag(dynamodb: DynamoDBClient) -> None:
    import_id, etag = completed_import(dynamodb)
    old_job = job_of(dynamodb, import_id)

    refreshed = call("POST", refresh_path(import_id))

    assert refreshed.status == 202, refreshed.text
    shown = refreshed.json()["import"]
    assert (shown["status"], shown["commit_sha"], shown["error"]) == ("pending", "ab" * 20, None)
    assert shown["context"] == {"files": 3, "bytes": 120, "skipped_files": 7, "secrets_found": 1, "tokens": 40}
    assert refreshed.headers["etag"] == etag
    assert call("GET", import_path(import_id)).json()["import"] == shown
    item = stored_import_item(dynamodb, import_id)
    assert item["content_prefix"] == {"S": "p/run1/"}  # readable until the new run completes
    runs = DynamoRunStore(dynamodb, "DataTable")
    assert runs.claim(old_job, "stale", NOW, LEASE) is None  # only the refresh's start claims
    assert runs.claim(job_of(dynamodb, import_id), "run2", NOW, LEASE) is not None
    assert_copies_match_imports(dynamodb)
    assert call("PUT", import_path(import_id), {"title": "t"}, headers={"If-Match": etag}).status == 200


def test_a_refresh_while_pending_or_importing_starts_nothing_new(dynamodb: DynamoDBClient) -> None:
    import_id, _ = created(GITHUB_IMPORT)
    pending_start = stored_import_item(dynamodb, import_id)["run_start_id"]

    assert call("POST", refresh_path(import_id)).json()["import"]["status"] == "pending"
    assert DynamoRunStore(dynamodb, "DataTable").claim(job_of(dynamodb, import_id), "run1", NOW, LEASE) is not None
    again = call("POST", refresh_path(import_id))

    assert (again.status, again.json()["import"]["status"]) == (202, "importing")
    assert stored_import_item(dynamodb, import_id)["run_start_id"] == pending_start


def test_a_second_refresh_after_the_first_starts_nothing_more(dynamodb: DynamoDBClient) -> None:
    import_id, _ = completed_import(dynamodb)
    assert call("POST", refresh_path(import_id)).status == 202
    first_start = stored_import_item(dynamodb, import_id)["run_start_id"]

    assert call("POST", refresh_path(import_id)).status == 202

    assert stored_import_item(dynamodb, import_id)["run_start_id"] == first_start


def test_a_refresh_of_a_failed_import_clears_its_error(dynamodb: DynamoDBClient) -> None:
    import_id, _ = created(GITHUB_IMPORT)
    runs = DynamoRunStore(dynamodb, "DataTable")
    claimed = runs.claim(job_of(dynamodb, import_id), "run1", NOW, LEASE)
    assert claimed is not None
    assert runs.fail(claimed, ImportFailed(FailureCode.NOT_FOUND_OR_NO_ACCESS, "GitHub answered 404"), NOW)

    shown = call("POST", refresh_path(import_id)).json()["import"]

    assert (shown["status"], shown["error"]) == ("pending", None)
    assert "run_error" not in stored_import_item(dynamodb, import_id)
    assert_copies_match_imports(dynamodb)


def test_an_import_stored_before_runs_existed_gets_its_first_run(dynamodb: DynamoDBClient) -> None:
    import_id, _ = created(GITHUB_IMPORT)
    for item in dynamodb.scan(TableName="DataTable")["Items"]:
        if item.get("id") == {"N": str(import_id)}:
            key = {"PK": item["PK"], "SK": item["SK"]}
            dynamodb.update_item(TableName="DataTable", Key=key, UpdateExpression="REMOVE run_status, run_start_id")
    assert call("GET", import_path(import_id)).json()["import"]["status"] == "pending"  # shown, never wanted

    assert call("POST", refresh_path(import_id)).status == 202

    item = stored_import_item(dynamodb, import_id)
    assert item["run_status"] == {"S": "pending"}
    assert "run_start_id" in item
    assert_copies_match_imports(dynamodb)


def test_a_local_folder_has_nothing_to_refresh(dynamodb: DynamoDBClient) -> None:
    import_id, _ = created(FOLDER_IMPORT)
    before = stored_import_item(dynamodb, import_id)

    body = assert_error(call("POST", refresh_path(import_id)), 409)

    assert "upload" in body["message"]
    assert stored_import_item(dynamodb, import_id) == before


def test_a_refresh_is_refused_like_every_route(dynamodb: DynamoDBClient) -> None:
    import_id, _ = completed_import(dynamodb)
    before = stored_import_item(dynamodb, import_id)

    assert_error(call("POST", refresh_path(import_id), token=None), 401)
    assert_error(call("POST", f"{import_path(import_id, user_id=2)}/refresh"), 403)
    assert_error(call("POST", refresh_path(import_id + 1)), 404)
    assert_error(call("POST", f"{import_path('x')}/refresh"), 400)
    assert_error(call("POST", refresh_path(import_id), query="force=1"), 400)
    assert stored_import_item(dynamodb, import_id) == before
