"""Idempotency-Key: replay, in-flight conflict, mismatch, per-user scope, and what it costs."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest

from handlers import create_import
from local import records
from tests.api_client import GITHUB_IMPORT, assert_error, imports_path, post_imports, stored_imports

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from tests.conftest import RequestCounter

pytestmark = pytest.mark.usefixtures("demo_token")


def keyed(key: str, body: object = GITHUB_IMPORT, **arguments: Any) -> Any:
    return post_imports(body, headers={"idempotency-key": key}, **arguments)


def test_a_retry_with_the_same_key_replays_the_first_201_and_stores_one_import(dynamodb: DynamoDBClient) -> None:
    first = keyed("8e03978e-40d5-43e8-bc93-6894a57f9324")
    again = keyed("8e03978e-40d5-43e8-bc93-6894a57f9324")
    assert (first.status, again.status) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert len(stored_imports(dynamodb)) == 1


def test_the_key_may_be_sent_as_a_structured_field_string() -> None:
    first = keyed('"order-42"')
    assert keyed("order-42").json() == first.json()


def test_a_replay_emits_no_second_metric(capsys: pytest.CaptureFixture[str]) -> None:
    keyed("one-metric")
    keyed("one-metric")
    assert capsys.readouterr().out.count('"CloudWatchMetrics"') == 1


def test_different_keys_create_different_imports(dynamodb: DynamoDBClient) -> None:
    assert keyed("a").json() != keyed("b").json()
    assert len(stored_imports(dynamodb)) == 2


def test_the_same_key_with_another_body_is_422_and_stores_nothing(dynamodb: DynamoDBClient) -> None:
    assert keyed("reused").status == 201
    body = assert_error(keyed("reused", {"source_type": "local_folder", "source_path": "src"}), 422)
    assert "Idempotency-Key" in body["message"]
    assert len(stored_imports(dynamodb)) == 1


@pytest.mark.parametrize("records_lost", [False, True], ids=["records-kept", "powertools-records-lost"])
def test_the_same_key_and_body_on_another_project_never_replays(dynamodb: DynamoDBClient, records_lost: bool) -> None:
    records.put_project(dynamodb, 1, 790)
    first = keyed("per-request")
    assert first.status == 201
    if records_lost:
        lose_powertools_records(dynamodb)
    assert_error(keyed("per-request", path=imports_path(1, 790)), 422)
    assert stored_imports(dynamodb, 1, 790) == []
    assert len(stored_imports(dynamodb)) == 1


@pytest.mark.parametrize("records_lost", [False, True], ids=["records-kept", "powertools-records-lost"])
def test_the_same_key_and_body_from_another_user_never_replays(dynamodb: DynamoDBClient, records_lost: bool) -> None:
    records.put_project(dynamodb, user_id=2, project_id=5)
    records.put_installation(dynamodb, 2, "username")
    user_two = records.put_session(dynamodb, user_id=2)
    mine = keyed("same-key-same-body")
    if records_lost:
        lose_powertools_records(dynamodb)
    theirs = keyed("same-key-same-body", token=user_two, path=imports_path(2, 5))
    assert (mine.status, theirs.status) == (201, 201)
    assert theirs.json()["import"]["id"] != mine.json()["import"]["id"]
    assert theirs.json()["import"]["neptun_user_id"] == 2
    assert len(stored_imports(dynamodb, 2, 5)) == 1


class LambdaDiedMidWrite(BaseException):
    """Stands for a timeout or crash: not an Exception, so nothing gets to clean up after it."""


def test_a_retry_while_the_first_is_still_in_flight_is_409(dynamodb: DynamoDBClient) -> None:
    def die(**_: Any) -> None:
        raise LambdaDiedMidWrite

    events = create_import.dynamodb.meta.events
    events.register("before-call.dynamodb.TransactWriteItems", die)
    try:
        with pytest.raises(LambdaDiedMidWrite):
            keyed("in-flight")
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", die)
    body = assert_error(keyed("in-flight"), 409)
    assert "still being processed" in body["message"]
    assert stored_imports(dynamodb) == []


def test_keys_are_scoped_per_user(dynamodb: DynamoDBClient) -> None:
    records.put_project(dynamodb, user_id=2, project_id=5)
    records.put_installation(dynamodb, 2, "username")
    user_two = records.put_session(dynamodb, user_id=2)
    mine = keyed("shared-key")
    theirs = keyed("shared-key", token=user_two, path=imports_path(2, 5))
    assert (mine.status, theirs.status) == (201, 201)
    assert theirs.json()["import"]["id"] != mine.json()["import"]["id"]
    assert theirs.json()["import"]["neptun_user_id"] == 2
    assert keyed("shared-key").json() == mine.json()  # each user replays only their own


def test_a_key_cannot_replay_without_a_session() -> None:
    keyed("private")
    assert_error(keyed("private", token=None), 401)
    assert_error(keyed("private", token="never-issued"), 401)


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "caf\u00e9", '"unterminated'])
def test_a_malformed_key_is_400(key: str, dynamodb: DynamoDBClient) -> None:
    body = assert_error(keyed(key), 400)
    assert "Idempotency-Key" in body["message"]
    assert stored_imports(dynamodb) == []


def test_records_are_kept_24_hours(dynamodb: DynamoDBClient) -> None:
    keyed("kept")
    [record] = dynamodb.scan(TableName="IdempotencyTable")["Items"]
    assert abs(int(record["expiration"]["N"]) - (time.time() + 24 * 3600)) < 60
    assert json.loads(record["data"]["S"])["source_path"] == "username/repository"


def test_the_request_key_claim_expires_24_hours_after_the_import_was_created(dynamodb: DynamoDBClient) -> None:
    created = keyed("claim-lifetime").json()["import"]
    [claim] = [item for item in dynamodb.scan(TableName="DataTable")["Items"] if item["PK"]["S"].startswith("REQUEST#")]
    created_at = datetime.fromisoformat(created["created_at"])
    assert int(claim["expires_at"]["N"]) == int(created_at.timestamp()) + 24 * 3600
    assert claim["id"]["N"] == str(created["id"])


def test_requests_with_a_key_cost_four_then_two_dynamodb_requests(dynamodb_requests: RequestCounter) -> None:
    keyed("counted")
    assert dynamodb_requests.operations == ["BatchGetItem", "PutItem", "TransactWriteItems", "UpdateItem"]
    dynamodb_requests.operations.clear()
    keyed("counted")
    assert dynamodb_requests.operations == ["BatchGetItem", "PutItem"]


def lose_powertools_records(dynamodb: DynamoDBClient) -> None:
    """What a retry meets once an in-flight record has expired, or its completion was never written."""
    for record in dynamodb.scan(TableName="IdempotencyTable")["Items"]:
        dynamodb.delete_item(TableName="IdempotencyTable", Key={"id": record["id"]})


def test_a_lost_completion_still_stores_one_import_per_key(dynamodb: DynamoDBClient) -> None:
    def fail_completion(**_: Any) -> None:
        raise RuntimeError("the idempotency record could not be completed")

    events = create_import.dynamodb.meta.events
    events.register("before-call.dynamodb.UpdateItem", fail_completion)
    try:
        assert_error(keyed("lost-completion"), 500)  # the import was stored; its record says in progress
    finally:
        events.unregister("before-call.dynamodb.UpdateItem", fail_completion)
    [stored] = stored_imports(dynamodb)
    lose_powertools_records(dynamodb)

    retried = keyed("lost-completion")
    assert retried.status == 201
    assert retried.json()["import"]["id"] == int(stored["id"]["N"])
    assert len(stored_imports(dynamodb)) == 1
    lose_powertools_records(dynamodb)
    assert_error(keyed("lost-completion", {"source_type": "local_folder", "source_path": "src"}), 422)
    assert len(stored_imports(dynamodb)) == 1
