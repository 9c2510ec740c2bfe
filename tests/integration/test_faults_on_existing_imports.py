"""DynamoDB failing at each call of list, get, update and delete: retried when transient; else a clean
503 (throttling, with Retry-After) or 500, no fault detail in the answer, nothing half-changed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.api_client import FOLDER_IMPORT, HttpResponse, call, import_path, imports_path, post_imports
from tests.conftest import RetryBackoff
from tests.dynamodb_faults import ATTEMPTS, FAULTS, SECRET, THROTTLING

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from tests.dynamodb_faults import FaultInjector

pytestmark = pytest.mark.usefixtures("demo_token")

# Each route, the DynamoDB operations it calls, and its success status.
CALLS = {
    "list": (["BatchGetItem", "Query"], 200),
    "get": (["BatchGetItem"], 200),
    "update": (["BatchGetItem", "TransactWriteItems"], 200),
    "delete": (["BatchGetItem", "TransactWriteItems"], 204),
}
CASES = [(route, operation) for route, (operations, _) in CALLS.items() for operation in operations]


def send(route: str, import_id: int) -> HttpResponse:
    if route == "list":
        return call("GET", imports_path())
    if route == "get":
        return call("GET", import_path(import_id))
    if route == "update":
        return call("PUT", import_path(import_id), {"title": "changed"})
    return call("DELETE", import_path(import_id))


def stored_state(import_id: int) -> tuple[int, Any]:
    response = call("GET", import_path(import_id))
    return response.status, response.json() | {"etag": response.headers.get("etag")}


@pytest.fixture
def existing() -> int:
    response = post_imports(FOLDER_IMPORT)
    assert response.status == 201
    import_id: int = response.json()["import"]["id"]
    return import_id


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize(("route", "operation"), CASES)
def test_one_transient_fault_is_retried_and_the_route_succeeds(
    route: str, operation: str, fault: str, faults: FaultInjector, existing: int
) -> None:
    faults.fail(operation, fault, times=1)
    response = send(route, existing)
    assert response.status == CALLS[route][1], response.text
    assert faults.injected == 1


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize(("route", "operation"), CASES)
def test_a_persistent_fault_is_a_clean_error_and_changes_nothing(
    route: str,
    operation: str,
    fault: str,
    faults: FaultInjector,
    existing: int,
    dynamodb: DynamoDBClient,
    retry_backoff: RetryBackoff,
) -> None:
    before = stored_state(existing)
    faults.fail(operation, fault, times=ATTEMPTS)
    response = send(route, existing)
    faults.times = 0  # let the check below through
    assert len(retry_backoff.waits) == ATTEMPTS - 1  # botocore backed off between its attempts
    if fault in THROTTLING:
        assert response.status == 503, response.text
        assert response.headers["retry-after"] == "1"
    else:
        assert response.status == 500, response.text
    assert SECRET not in response.text
    assert set(response.json()) == {"statusCode", "message"}
    assert stored_state(existing) == before
