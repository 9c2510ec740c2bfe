"""Idempotency-Key on the request key claim alone: replay, mismatch, races, expiry, per-user scope, cost."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders

from handlers import create_import
from local import records
from tests.api_client import FOLDER_IMPORT, GITHUB_IMPORT, assert_error, imports_path, post_imports, stored_imports
from tests.dynamodb_faults import ResponseBody

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


def test_the_same_key_and_body_on_another_project_never_replays(dynamodb: DynamoDBClient) -> None:
    records.put_project(dynamodb, 1, 790)
    first = keyed("per-request")
    assert first.status == 201
    assert_error(keyed("per-request", path=imports_path(1, 790)), 422)
    assert stored_imports(dynamodb, 1, 790) == []
    assert len(stored_imports(dynamodb)) == 1


def test_the_same_key_and_body_from_another_user_never_replays(dynamodb: DynamoDBClient) -> None:
    records.put_project(dynamodb, user_id=2, project_id=5)
    user_two = records.put_session(dynamodb, user_id=2)
    mine = keyed("same-key-same-body", FOLDER_IMPORT)
    theirs = keyed("same-key-same-body", FOLDER_IMPORT, token=user_two, path=imports_path(2, 5))
    assert (mine.status, theirs.status) == (201, 201)
    assert theirs.json()["import"]["id"] != mine.json()["import"]["id"]
    assert theirs.json()["import"]["neptun_user_id"] == 2
    assert len(stored_imports(dynamodb, 2, 5)) == 1


def cancelled_by_a_conflict(request: Any, **_: Any) -> AWSResponse:
    """What DynamoDB answers a transaction that meets another one in flight on the same claim."""
    headers = HTTPHeaders()
    headers["content-type"] = "application/x-amz-json-1.0"
    headers["x-amzn-requestid"] = "conflict"
    items = json.loads(request.body)["TransactItems"]
    payload = {
        "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
        "message": "Transaction cancelled, please refer cancellation reasons for specific reasons",
        "CancellationReasons": [{"Code": "None"}] * (len(items) - 1) + [{"Code": "TransactionConflict"}],
    }
    request.url = "https://fault-injected.invalid/"  # keeps moto from also executing it
    return AWSResponse(request.url, 400, headers, ResponseBody(json.dumps(payload).encode()))


@pytest.mark.parametrize("conflicts", [1, 3])
def test_a_request_cancelled_by_a_racing_one_replays_the_winner(
    conflicts: int, dynamodb: DynamoDBClient, dynamodb_requests: RequestCounter
) -> None:
    winner = keyed("raced")
    answered: list[int] = []

    def conflict_while_the_winner_commits(request: Any, **_: Any) -> AWSResponse | None:
        if len(answered) < conflicts:
            answered.append(1)
            return cancelled_by_a_conflict(request)
        return None

    events = create_import.dynamodb.meta.events
    events.register_first("before-send.dynamodb.TransactWriteItems", conflict_while_the_winner_commits)  # type: ignore[arg-type]
    dynamodb_requests.operations.clear()
    try:
        loser = keyed("raced")
    finally:
        events.unregister("before-send.dynamodb.TransactWriteItems", conflict_while_the_winner_commits)  # type: ignore[arg-type]
    assert loser.status == 201, loser.text
    assert loser.json() == winner.json()
    assert dynamodb_requests.operations == ["BatchGetItem"] + ["TransactWriteItems"] * (conflicts + 1)
    assert len(stored_imports(dynamodb)) == 1


def test_a_claim_past_24_hours_no_longer_counts_even_before_ttl_deletes_it(
    dynamodb: DynamoDBClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = keyed("day-old")
    day_later = datetime.now(UTC) + timedelta(seconds=24 * 3600 + 2)
    monkeypatch.setattr(create_import.service, "_clock", lambda: day_later)  # the demo session lasts 30 days
    again = keyed("day-old")
    assert again.status == 201
    assert again.json()["import"]["id"] != first.json()["import"]["id"]
    assert len(stored_imports(dynamodb)) == 2
    assert keyed("day-old").json() == again.json()  # the new claim replays


def test_a_claim_just_inside_24_hours_still_replays(dynamodb: DynamoDBClient, monkeypatch: pytest.MonkeyPatch) -> None:
    first = keyed("almost-a-day")
    created_at = datetime.fromisoformat(first.json()["import"]["created_at"])
    monkeypatch.setattr(create_import.service, "_clock", lambda: created_at + timedelta(seconds=24 * 3600))
    assert keyed("almost-a-day").json() == first.json()
    assert len(stored_imports(dynamodb)) == 1


def test_keys_are_scoped_per_user(dynamodb: DynamoDBClient) -> None:
    records.put_project(dynamodb, user_id=2, project_id=5)
    user_two = records.put_session(dynamodb, user_id=2)
    mine = keyed("shared-key", FOLDER_IMPORT)
    theirs = keyed("shared-key", FOLDER_IMPORT, token=user_two, path=imports_path(2, 5))
    assert (mine.status, theirs.status) == (201, 201)
    assert theirs.json()["import"]["id"] != mine.json()["import"]["id"]
    assert theirs.json()["import"]["neptun_user_id"] == 2
    assert keyed("shared-key", FOLDER_IMPORT).json() == mine.json()  # each user replays only their own


def test_a_key_cannot_replay_without_a_session() -> None:
    keyed("private")
    assert_error(keyed("private", token=None), 401)
    assert_error(keyed("private", token="never-issued"), 401)


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "caf\u00e9", '"unterminated'])
def test_a_malformed_key_is_400(key: str, dynamodb: DynamoDBClient) -> None:
    body = assert_error(keyed(key), 400)
    assert "Idempotency-Key" in body["message"]
    assert stored_imports(dynamodb) == []


def test_the_request_key_claim_expires_24_hours_after_the_import_was_created(dynamodb: DynamoDBClient) -> None:
    created = keyed("claim-lifetime").json()["import"]
    [claim] = [item for item in dynamodb.scan(TableName="DataTable")["Items"] if item["PK"]["S"].startswith("REQUEST#")]
    created_at = datetime.fromisoformat(created["created_at"])
    assert int(claim["expires_at"]["N"]) == int(created_at.timestamp()) + 24 * 3600
    assert claim["id"]["N"] == str(created["id"])


def test_requests_with_a_key_cost_two_and_a_replay_two(dynamodb_requests: RequestCounter) -> None:
    keyed("counted")
    assert dynamodb_requests.operations == ["BatchGetItem", "TransactWriteItems"]
    dynamodb_requests.operations.clear()
    keyed("counted")
    assert dynamodb_requests.operations == ["BatchGetItem", "TransactWriteItems"]
