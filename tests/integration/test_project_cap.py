"""The per-project cap: a project holds at most MAX_IMPORTS_PER_PROJECT imports, counted by the writes
that create and delete them, in the same transaction (so no race can pass it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from domain.models import MAX_IMPORTS_PER_PROJECT
from tests.api_client import (
    FOLDER_IMPORT,
    GITHUB_IMPORT,
    assert_error,
    call,
    import_path,
    post_imports,
    stored_imports,
)
from tests.conftest import RequestCounter
from tests.iam_policy import another_client

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

pytestmark = pytest.mark.usefixtures("demo_token")
PROJECT = {"PK": {"S": "USER#1"}, "SK": {"S": "PROJECT#789"}}


def project_count(dynamodb: DynamoDBClient) -> int:
    item = dynamodb.get_item(TableName="DataTable", Key=PROJECT, ConsistentRead=True)["Item"]
    return int(item["import_count"]["N"])


def with_count(dynamodb: DynamoDBClient, count: int) -> None:
    """As if the project held `count` imports (creating a thousand through the API would only be slow)."""
    dynamodb.update_item(
        TableName="DataTable",
        Key=PROJECT,
        UpdateExpression="SET import_count = :count",
        ExpressionAttributeValues={":count": {"N": str(count)}},
    )


def test_creates_and_deletes_keep_the_projects_count(dynamodb: DynamoDBClient) -> None:
    first = post_imports(GITHUB_IMPORT).json()["import"]["id"]
    post_imports(FOLDER_IMPORT)
    assert project_count(dynamodb) == 2

    assert call("DELETE", import_path(first)).status == 204

    assert project_count(dynamodb) == 1
    assert len(stored_imports(dynamodb)) == 1


def test_a_full_project_refuses_a_create_with_409_and_writes_nothing(dynamodb: DynamoDBClient) -> None:
    with_count(dynamodb, MAX_IMPORTS_PER_PROJECT - 1)
    assert post_imports(GITHUB_IMPORT).status == 201  # the last one that fits
    requests = RequestCounter()
    dynamodb.meta.events.register("request-created.dynamodb", requests)
    try:
        refused = post_imports(FOLDER_IMPORT)
    finally:
        dynamodb.meta.events.unregister("request-created.dynamodb", requests)

    body = assert_error(refused, 409)
    assert body["message"] == (
        f"The project already holds {MAX_IMPORTS_PER_PROJECT:,} imports, the most a project may; delete one first."
    )
    assert requests.count == 2  # the read and the refused write, as for any create
    assert project_count(dynamodb) == MAX_IMPORTS_PER_PROJECT
    assert len(stored_imports(dynamodb)) == 1


def test_a_delete_makes_room_again(dynamodb: DynamoDBClient) -> None:
    with_count(dynamodb, MAX_IMPORTS_PER_PROJECT - 1)
    last = post_imports(GITHUB_IMPORT).json()["import"]["id"]
    assert post_imports(GITHUB_IMPORT).status == 409

    assert call("DELETE", import_path(last)).status == 204

    assert post_imports(GITHUB_IMPORT).status == 201


def test_a_retry_of_a_create_that_filled_the_project_replays_its_201(dynamodb: DynamoDBClient) -> None:
    with_count(dynamodb, MAX_IMPORTS_PER_PROJECT - 1)
    key = {"idempotency-key": "fill-the-project"}
    first = post_imports(GITHUB_IMPORT, headers=key)
    assert first.status == 201

    retried = post_imports(GITHUB_IMPORT, headers=key)

    assert retried.status == 201, retried.text
    assert retried.json() == first.json()
    assert post_imports(GITHUB_IMPORT, headers={"idempotency-key": "another"}).status == 409


def test_a_missing_project_is_still_404_not_409(dynamodb: DynamoDBClient) -> None:
    with_count(dynamodb, MAX_IMPORTS_PER_PROJECT)
    dynamodb.delete_item(TableName="DataTable", Key=PROJECT)

    assert post_imports(GITHUB_IMPORT).status == 404


def test_a_project_deleted_between_the_read_and_the_write_is_404_and_its_count_is_not_remade(
    dynamodb: DynamoDBClient,
) -> None:
    def project_deleted_meanwhile(**_: object) -> None:
        with another_client():
            dynamodb.delete_item(TableName="DataTable", Key=PROJECT)

    dynamodb.meta.events.register("before-call.dynamodb.TransactWriteItems", project_deleted_meanwhile)
    try:
        refused = post_imports(GITHUB_IMPORT)
    finally:
        dynamodb.meta.events.unregister("before-call.dynamodb.TransactWriteItems", project_deleted_meanwhile)

    assert_error(refused, 404)
    assert "Item" not in dynamodb.get_item(TableName="DataTable", Key=PROJECT)  # no project made by the count
    assert stored_imports(dynamodb) == []
