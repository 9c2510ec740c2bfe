"""DynamoDB failing at each call of the create path: retried when transient, never partial or duplicate.

Faults are injected on botocore's `before-send` event ahead of moto, so botocore's own retry logic
(standard mode, 3 attempts) sees them exactly as it would see DynamoDB's.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import ConnectionClosedError

from dynamodb_store.store import MAX_CONFLICT_ROUNDS
from handlers import create_import
from local import records
from tests.api_client import GITHUB_IMPORT, assert_error, call, import_path, post_imports, stored_imports
from tests.dynamodb_faults import ATTEMPTS, FAULTS, SECRET, THROTTLING, FaultInjector, ResponseBody

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from tests.conftest import JsonLogs, RequestCounter

pytestmark = pytest.mark.usefixtures("demo_token")


def no_partial_writes(dynamodb: DynamoDBClient) -> None:
    leftovers = [
        item["PK"]["S"]
        for item in dynamodb.scan(TableName="DataTable")["Items"]
        if item["PK"]["S"].startswith(("IMPORT#", "REQUEST#"))
    ]
    assert leftovers == []
    assert stored_imports(dynamodb) == []


CREATE_PATH = ["BatchGetItem", "TransactWriteItems"]
KEYED_PATH = ["BatchGetItem", "TransactWriteItems"]


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("operation", CREATE_PATH)
def test_a_transient_fault_is_retried_and_the_create_succeeds(
    faults: FaultInjector, dynamodb: DynamoDBClient, dynamodb_requests: RequestCounter, operation: str, fault: str
) -> None:
    faults.fail(operation, fault, times=1)
    response = post_imports(GITHUB_IMPORT)
    assert response.status == 201, response.text
    assert faults.injected == 1
    assert dynamodb_requests.operations.count(operation) == 2
    assert len(stored_imports(dynamodb)) == 1


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("operation", CREATE_PATH)
def test_a_persistent_fault_fails_cleanly_with_nothing_written(
    faults: FaultInjector, dynamodb: DynamoDBClient, handler_logs: JsonLogs, operation: str, fault: str
) -> None:
    faults.fail(operation, fault, times=ATTEMPTS)
    response = post_imports(GITHUB_IMPORT)
    assert faults.injected == ATTEMPTS
    if fault in THROTTLING:
        body = assert_error(response, 503)
        assert response.headers["retry-after"] == "1"
    else:
        body = assert_error(response, 500)
        assert body["message"] == "Something went wrong on our side; try again later."
    assert SECRET not in response.text
    no_partial_writes(dynamodb)
    logged = handler_logs.records()
    assert any(line["level"] in {"ERROR", "WARNING"} and line.get("correlation_id") for line in logged)


@pytest.mark.parametrize("fault", ["throughput-exceeded", "internal-error-500", "connection-closed"])
@pytest.mark.parametrize("operation", KEYED_PATH)
def test_keyed_creates_survive_a_transient_fault_at_each_call(
    faults: FaultInjector, dynamodb: DynamoDBClient, operation: str, fault: str
) -> None:
    faults.fail(operation, fault, times=1)
    first = post_imports(GITHUB_IMPORT, headers={"idempotency-key": "faulty"})
    assert first.status == 201, first.text
    again = post_imports(GITHUB_IMPORT, headers={"idempotency-key": "faulty"})
    assert again.json() == first.json()
    assert len(stored_imports(dynamodb)) == 1


def test_a_write_whose_response_is_lost_is_not_written_twice(dynamodb: DynamoDBClient) -> None:
    """The transaction reaches DynamoDB, the connection drops, botocore retries it."""
    seen_tokens: list[str] = []
    dynamodb_itself = boto3.client("dynamodb", region_name="eu-west-1")  # not the handler's client

    def write_then_drop(request: Any, **_: Any) -> None:
        parameters = json.loads(request.body)
        seen_tokens.append(parameters["ClientRequestToken"])
        if len(seen_tokens) == 1:
            del parameters["ClientRequestToken"]  # moto does not implement it; DynamoDB would
            dynamodb_itself.transact_write_items(**parameters)
            raise ConnectionClosedError(endpoint_url=request.url)

    events = create_import.dynamodb.meta.events
    events.register_first("before-send.dynamodb.TransactWriteItems", write_then_drop)
    try:
        response = post_imports(GITHUB_IMPORT)
    finally:
        events.unregister("before-send.dynamodb.TransactWriteItems", write_then_drop)
    assert response.status == 201, response.text
    assert len(seen_tokens) == 2
    assert seen_tokens[0] == seen_tokens[1]  # DynamoDB itself would answer the retry as a success
    [stored] = stored_imports(dynamodb)
    assert int(stored["id"]["N"]) == response.json()["import"]["id"]


CANCELLATIONS = {
    "ThrottlingError": 503,
    "ProvisionedThroughputExceeded": 503,
    "TransactionConflict": 503,
    "ItemCollectionSizeLimitExceeded": 500,
    "ValidationError": 500,
}


@pytest.mark.parametrize(("reason", "status"), CANCELLATIONS.items())
def test_a_transaction_cancelled_for_each_reason_is_answered_cleanly(
    faults: FaultInjector, dynamodb: DynamoDBClient, reason: str, status: int
) -> None:
    def cancelled(request: Any) -> AWSResponse:
        headers = HTTPHeaders()
        headers["content-type"] = "application/x-amz-json-1.0"
        reasons = [{"Code": "None"}, {"Code": reason, "Message": SECRET}, {"Code": "None"}]
        payload = json.dumps(
            {
                "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
                "message": f"Transaction cancelled [{reason}] {SECRET}",
                "CancellationReasons": reasons,
            }
        ).encode()
        return AWSResponse(request.url, 400, headers, ResponseBody(payload))

    FAULTS["cancelled"] = cancelled
    try:
        # A conflict is sent again until the other transaction commits; only a lasting one is a 503.
        faults.fail(
            "TransactWriteItems",
            "cancelled",
            times=MAX_CONFLICT_ROUNDS if reason == "TransactionConflict" else ATTEMPTS,
        )
        response = post_imports(GITHUB_IMPORT)
    finally:
        del FAULTS["cancelled"]
    assert_error(response, status)
    assert SECRET not in response.text
    no_partial_writes(dynamodb)


def _conflict(request: Any) -> AWSResponse:
    headers = HTTPHeaders()
    headers["content-type"] = "application/x-amz-json-1.0"
    payload = json.dumps(
        {
            "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
            "message": "Transaction cancelled [None, None, None, TransactionConflict]",
            "CancellationReasons": [{"Code": "None"}] * 3 + [{"Code": "TransactionConflict"}],
        }
    ).encode()
    return AWSResponse(request.url, 400, headers, ResponseBody(payload))


@pytest.mark.parametrize(("conflicts", "status"), [(1, 204), (MAX_CONFLICT_ROUNDS, 503)])
def test_a_delete_meeting_a_create_on_the_projects_count_is_sent_again(
    faults: FaultInjector, dynamodb: DynamoDBClient, conflicts: int, status: int
) -> None:
    # A delete counts in the project's item, which every create in the project also writes.
    import_id = post_imports(GITHUB_IMPORT).json()["import"]["id"]
    FAULTS["conflict"] = _conflict
    try:
        faults.fail("TransactWriteItems", "conflict", times=conflicts)
        response = call("DELETE", import_path(import_id))
    finally:
        del FAULTS["conflict"]
    assert response.status == status, response.text
    assert len(stored_imports(dynamodb)) == (0 if status == 204 else 1)


def test_unprocessed_keys_are_read_again_then_given_up_as_busy(
    faults: FaultInjector, dynamodb: DynamoDBClient, dynamodb_requests: RequestCounter
) -> None:
    def nothing_processed(request: Any) -> AWSResponse:
        headers = HTTPHeaders()
        headers["content-type"] = "application/x-amz-json-1.0"
        payload = json.dumps({"Responses": {}, "UnprocessedKeys": json.loads(request.body)["RequestItems"]}).encode()
        return AWSResponse(request.url, 200, headers, ResponseBody(payload))

    FAULTS["unprocessed"] = nothing_processed
    try:
        faults.fail("BatchGetItem", "unprocessed", times=1)
        assert post_imports(GITHUB_IMPORT).status == 201  # read again, then answered
        faults.injected, faults.times = 0, 100
        response = post_imports(GITHUB_IMPORT)
    finally:
        del FAULTS["unprocessed"]
    assert_error(response, 503)
    assert response.headers["retry-after"] == "1"
    assert len(stored_imports(dynamodb)) == 1


def test_a_keyed_create_refused_at_the_write_leaves_nothing_and_its_key_free(dynamodb: DynamoDBClient) -> None:
    """The project vanishes between read and write: the claim goes with the refused transaction."""

    dynamodb_itself = boto3.client("dynamodb", region_name="eu-west-1")

    def delete_project(**_: Any) -> None:
        records.delete_project(dynamodb_itself, 1, 789)

    events = create_import.dynamodb.meta.events
    events.register("before-call.dynamodb.TransactWriteItems", delete_project)
    try:
        response = post_imports(GITHUB_IMPORT, headers={"idempotency-key": "vanishing-project"})
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", delete_project)
    assert response.status == 404
    no_partial_writes(dynamodb)
    records.put_project(dynamodb, 1, 789)
    assert post_imports(GITHUB_IMPORT, headers={"idempotency-key": "vanishing-project"}).status == 201
