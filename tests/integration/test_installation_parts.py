"""Deliveries that change more repositories than one transaction holds: applied in parts, each part
once, finished by a redelivery after an interruption, and safe against other deliveries in between.

The parts here are a few repositories each (the ledger's sizes made small), so that moto, which copies
its table for every transaction, runs them quickly; tests/e2e/test_large_installations.py delivers
20,000 repositories at the real sizes to DynamoDB Local.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from dynamodb_store import installations
from handlers import github_webhook
from tests.api_client import post_imports
from tests.conftest import RequestCounter
from tests.webhooks import ACCOUNT, deliver, payload, repositories

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

pytestmark = pytest.mark.usefixtures("demo_token")
INLINE, PART = 3, 2  # repository writes in the delivery's own transaction, and in each part after it
NAMES = [f"r{number:02d}" for number in range(20)]  # 3 in the delivery's transaction, then 9 parts of 2 and 1 of 1


@pytest.fixture(autouse=True)
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(installations, "INLINE_WRITES", INLINE)
    monkeypatch.setattr(installations, "PART_WRITES", PART)


def covered(*names: str) -> list[bool]:
    statuses = [post_imports({"source_type": "github", "source_path": f"{ACCOUNT}/{name}"}).status for name in names]
    assert set(statuses) <= {201, 403}
    return [status == 201 for status in statuses]


def created_with(names: list[str]) -> dict[str, Any]:
    created = payload("installation.created")
    created["repositories"] = repositories(*names)
    return created


def changed(action: str, names: list[str]) -> dict[str, Any]:
    body = payload(f"installation_repositories.{action}")
    body["repositories_added" if action == "added" else "repositories_removed"] = repositories(*names)
    body["repositories_removed" if action == "added" else "repositories_added"] = []
    return body


def on_transaction(number: int, action: Callable[[], None]) -> Callable[..., None]:
    """A botocore hook that runs `action` before the webhook's `number`-th TransactWriteItems (from 1)."""
    seen: list[int] = []

    def hook(**_: Any) -> None:
        seen.append(1)
        if len(seen) == number:
            action()

    return hook


def test_a_delivery_larger_than_a_transaction_is_applied_in_parts(webhook_requests: RequestCounter) -> None:
    assert deliver(created_with(NAMES)).status == 200
    parts = -(-(len(NAMES) - INLINE) // PART)
    # The state read, the delivery's own transaction, the read of part claims, one transaction a part.
    assert (
        webhook_requests.operations
        == ["BatchGetItem", "TransactWriteItems", "BatchGetItem"] + ["TransactWriteItems"] * parts
    )
    assert covered(*NAMES, "r20") == [True] * len(NAMES) + [False]


@pytest.mark.parametrize(("fault", "status"), [("InternalServerError", 500), ("ThrottlingException", 503)])
def test_an_interrupted_delivery_is_finished_by_its_redelivery_each_part_once(
    dynamodb: DynamoDBClient, webhook_requests: RequestCounter, fault: str, status: int
) -> None:
    def fail() -> None:
        raise ClientError({"Error": {"Code": fault, "Message": "lost"}}, "TransactWriteItems")

    events = github_webhook.dynamodb.meta.events
    crash = on_transaction(5, fail)  # the delivery's own transaction, parts 1-3, then the 4th part fails
    events.register("before-call.dynamodb.TransactWriteItems", crash)
    try:
        first = deliver(created_with(NAMES), delivery_id="large-one")
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", crash)
    assert first.status == status
    applied = INLINE + 3 * PART
    assert covered(*NAMES) == [True] * applied + [False] * (len(NAMES) - applied)  # refused, to be granted
    webhook_requests.operations.clear()
    again = deliver(created_with(NAMES), delivery_id="large-one")
    assert (again.status, again.json()["outcome"]) == (200, "duplicate")
    remaining = -(-(len(NAMES) - applied) // PART)
    # The state read, the refused transaction (its claim answers), the part claims, the missing parts.
    assert (
        webhook_requests.operations
        == ["BatchGetItem", "TransactWriteItems", "BatchGetItem"] + ["TransactWriteItems"] * remaining
    )
    assert covered(*NAMES) == [True] * len(NAMES)
    webhook_requests.operations.clear()
    assert deliver(created_with(NAMES), delivery_id="large-one").json()["outcome"] == "duplicate"
    assert webhook_requests.operations == ["BatchGetItem", "TransactWriteItems", "BatchGetItem"]  # nothing left


def test_a_removal_arriving_during_a_large_delivery_is_never_undone_by_its_later_parts() -> None:
    assert deliver(created_with(["keep"])).status == 200
    removal = changed("removed", ["r17", "r01"])  # one in a late part, one in the delivery's own transaction
    late = on_transaction(3, lambda: _assert_ok(deliver(removal, event="installation_repositories")))
    events = github_webhook.dynamodb.meta.events
    events.register("before-call.dynamodb.TransactWriteItems", late)
    try:
        assert deliver(changed("added", NAMES), event="installation_repositories").status == 200
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", late)
    expected = [name not in {"r17", "r01"} for name in NAMES]
    assert covered(*NAMES) == expected
    assert covered("keep") == [True]


def test_two_large_deliveries_interleaved_end_as_their_arrival_order_says() -> None:
    assert deliver(created_with([])).status == 200
    first, second = changed("added", NAMES), changed("removed", NAMES[5:15])
    # The second arrives (and is applied in full) while the first is between its parts.
    during = on_transaction(2, lambda: _assert_ok(deliver(second, event="installation_repositories")))
    events = github_webhook.dynamodb.meta.events
    events.register("before-call.dynamodb.TransactWriteItems", during)
    try:
        assert deliver(first, event="installation_repositories").status == 200
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", during)
    assert covered(*NAMES) == [not 5 <= number < 15 for number in range(len(NAMES))]


def test_a_rename_carries_every_repository_to_the_new_login() -> None:
    assert deliver(created_with(NAMES)).status == 200
    assert deliver("installation_target.renamed").status == 200
    renamed = payload("installation_target.renamed")["account"]["login"]
    statuses = [post_imports({"source_type": "github", "source_path": f"{renamed}/{name}"}).status for name in NAMES]
    assert statuses == [201] * len(NAMES)
    assert covered(NAMES[0]) == [False], "the old login covers nothing"


def _assert_ok(response: Any) -> None:
    assert response.status == 200, response.text


def legacy_items(repositories: list[str], removed_before_created: list[str], installer: bool = True) -> list[Any]:
    """An installation as the previous version stored it: its repository names as a list on the state
    and on the account copy, no repositories epoch."""
    listed = {"L": [{"S": name} for name in repositories]}
    coverage = {
        "installation_id": {"N": "957387"},
        "account_login": {"S": ACCOUNT},
        "repository_selection": {"S": "selected"},
        "repositories": listed,
        "suspended": {"BOOL": False},
        "installation_created_at": {"N": "1559741130"},
    } | ({"installer_github_user_id": {"N": "21031067"}} if installer else {})
    state_key = {"PK": {"S": "GITHUB_INSTALLATION#957387"}, "SK": {"S": "GITHUB_INSTALLATION#957387"}}
    copy_key = {"PK": {"S": "GITHUB_ACCOUNT#codertocat"}, "SK": {"S": "GITHUB_ACCOUNT#codertocat"}}
    state = (
        state_key
        | coverage
        | {
            "entity_type": {"S": "github_installation"},
            "deleted": {"BOOL": False},
            "removed_before_created": {"L": [{"S": name} for name in removed_before_created]},
            "version": {"N": "3"},
        }
    )
    return [state, copy_key | coverage | {"entity_type": {"S": "github_account_installation"}}]


def test_an_installation_stored_as_a_list_is_read_as_it_is_and_converted_by_its_next_delivery(
    dynamodb: DynamoDBClient,
) -> None:
    for item in legacy_items(NAMES[:7], []):
        dynamodb.put_item(TableName="DataTable", Item=item)
    assert covered(*NAMES[:8]) == [True] * 7 + [False]  # the copy's list, read as it is
    assert deliver(changed("added", ["late"]), event="installation_repositories").status == 200
    assert covered(*NAMES[:8], "late") == [True] * 7 + [False, True]
    stored = dynamodb.get_item(
        TableName="DataTable",
        Key={"PK": {"S": "GITHUB_ACCOUNT#codertocat"}, "SK": {"S": "GITHUB_ACCOUNT#codertocat"}},
        ConsistentRead=True,
    )["Item"]
    assert "repositories" not in stored
    assert "repositories_epoch" in stored


def test_a_list_of_removals_before_created_still_keeps_created_from_adding_them(dynamodb: DynamoDBClient) -> None:
    for item in legacy_items([], ["r01"], installer=False):
        dynamodb.put_item(TableName="DataTable", Item=item)
    assert deliver(created_with(["r00", "r01", "r02"])).status == 200
    assert covered("r00", "r01", "r02") == [True, False, True]
