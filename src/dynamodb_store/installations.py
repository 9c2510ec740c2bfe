"""GitHub App installations in the data table: the ledger the webhook writes, the items a create reads.

Per installation two items (keys.py): its state by installation id, which the webhook reads and
writes, and a copy of its coverage under its account's login, which a create reads with the session
in one BatchGetItem. One delivery's change is one transaction: the delivery's claim, the state (at
the version read) and the account copy. The GitHub link (GitHub user id -> Neptun user id) is the
login service's item; the imports' writes check it (`link_check`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from domain.access import GithubInstallation, RepositorySelection
from domain.errors import StorageBusy
from domain.installations import (
    DeliveryAlreadyApplied,
    InstallationChangedMeanwhile,
    InstallationDelivery,
    InstallationState,
    LedgerRead,
)
from dynamodb_store import keys
from dynamodb_store.throttling import is_throttling

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import (
        AttributeValueTypeDef,
        KeysAndAttributesTypeDef,
        TransactWriteItemTypeDef,
    )

# GitHub lets an App's owner redeliver a delivery of the past 3 days; the claim outlives that.
DELIVERY_CLAIM_SECONDS = 7 * 24 * 3600
_CONDITIONAL_CHECK_FAILED = "ConditionalCheckFailed"
_CLAIM, _STATE = 0, 1
_THROTTLED = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded"})


class StoredItemInvalid(Exception):
    """An item in the tables does not have the documented shape."""


def coverage_attributes(coverage: GithubInstallation) -> dict[str, AttributeValueTypeDef]:
    attributes: dict[str, AttributeValueTypeDef] = {
        "installation_id": {"N": str(coverage.installation_id)},
        "account_login": {"S": coverage.account_login},
        "repository_selection": {"S": coverage.repository_selection.value},
        "repositories": {"L": [{"S": name} for name in sorted(coverage.repositories)]},
        "suspended": {"BOOL": coverage.suspended},
    }
    if coverage.installer_github_user_id is not None:
        attributes["installer_github_user_id"] = {"N": str(coverage.installer_github_user_id)}
    return attributes


def coverage_from_item(item: Mapping[str, Any]) -> GithubInstallation:
    try:
        installer = item.get("installer_github_user_id")
        return GithubInstallation(
            installation_id=int(item["installation_id"]["N"]),
            account_login=item["account_login"]["S"],
            installer_github_user_id=int(installer["N"]) if installer else None,
            repository_selection=RepositorySelection(item["repository_selection"]["S"]),
            repositories=_names(item.get("repositories")),
            suspended=bool(item.get("suspended", {"BOOL": False})["BOOL"]),
        )
    except (KeyError, ValueError, TypeError) as broken:
        raise StoredItemInvalid("GitHub installation item does not have the documented shape") from broken


def link_check(data_table: str, github_user_id: int, neptun_user_id: int) -> TransactWriteItemTypeDef:
    """A transaction item that holds only while the GitHub user is linked to the Neptun user."""
    return {
        "ConditionCheck": {
            "TableName": data_table,
            "Key": keys.github_link_key(github_user_id),
            "ConditionExpression": "neptun_user_id = :user",
            "ExpressionAttributeValues": {":user": {"N": str(neptun_user_id)}},
        }
    }


def is_link_refusal(reasons: list[str | None], position: int | None) -> bool:
    return position is not None and position < len(reasons) and reasons[position] == _CONDITIONAL_CHECK_FAILED


class DynamoDBInstallationLedger:
    def __init__(self, client: DynamoDBClient, data_table: str) -> None:
        self._client = client
        self._data_table = data_table

    def read(self, installation_id: int, linked_github_user_id: int | None) -> LedgerRead:
        state_key = keys.installation_state_key(installation_id)
        wanted = [state_key]
        if linked_github_user_id is not None:
            wanted.append(keys.github_link_key(linked_github_user_id))
        items = self._batch_get(wanted)
        state_items = [item for item in items if item[keys.PARTITION_KEY] == state_key[keys.PARTITION_KEY]]
        state_item = state_items[0] if state_items else None
        linked = None if linked_github_user_id is None else len(items) > len(state_items)
        if state_item is None:
            return LedgerRead(state=None, version=0, installer_linked=linked)
        return LedgerRead(state=_state(state_item), version=_version(state_item), installer_linked=linked)

    def write(
        self, delivery: InstallationDelivery, state: InstallationState, expected_version: int, left_login: str | None
    ) -> None:
        release_held_login = True
        while True:
            released = left_login if release_held_login else None
            transaction = self._transaction(delivery, state, expected_version, released)
            try:
                self._client.transact_write_items(TransactItems=transaction)
            except self._client.exceptions.TransactionCanceledException as cancelled:
                reasons = [reason.get("Code") for reason in cancelled.response.get("CancellationReasons", [])]
                if reasons[_CLAIM] == _CONDITIONAL_CHECK_FAILED:
                    raise DeliveryAlreadyApplied from cancelled
                if reasons[_STATE] == _CONDITIONAL_CHECK_FAILED or "TransactionConflict" in reasons:
                    raise InstallationChangedMeanwhile from cancelled
                if _CONDITIONAL_CHECK_FAILED in reasons and release_held_login and left_login is not None:
                    # The login this installation leaves is another installation's by now (a login is
                    # free for reuse after a rename): that copy stays; ours is only not removed.
                    release_held_login = False
                    continue
                if _THROTTLED.intersection(reasons):
                    raise StorageBusy from cancelled
                raise
            except ClientError as error:
                raise StorageBusy(str(error)) if is_throttling(error) else error from error
            return

    def _transaction(
        self, delivery: InstallationDelivery, state: InstallationState, expected_version: int, left_login: str | None
    ) -> list[TransactWriteItemTypeDef]:
        now = int(time.time())
        claim: TransactWriteItemTypeDef = {
            "Put": {
                "TableName": self._data_table,
                "Item": keys.delivery_claim_key(delivery.delivery_id)
                | {
                    "entity_type": {"S": "github_delivery"},
                    "change": {"S": delivery.change.value},
                    "installation_id": {"N": str(delivery.installation_id)},
                    "expires_at": {"N": str(now + DELIVERY_CLAIM_SECONDS)},
                },
                "ConditionExpression": f"attribute_not_exists({keys.PARTITION_KEY})",
            }
        }
        transaction = [claim, self._state_put(state, expected_version)]
        coverage = state.coverage
        if not state.deleted:
            transaction.append(self._account_put(coverage))
        if left_login is not None:
            transaction.append(self._account_release(coverage.installation_id, left_login))
        return transaction

    def _state_put(self, state: InstallationState, expected_version: int) -> TransactWriteItemTypeDef:
        item = keys.installation_state_key(state.coverage.installation_id) | coverage_attributes(state.coverage)
        item |= {
            "entity_type": {"S": "github_installation"},
            "deleted": {"BOOL": state.deleted},
            "removed_before_created": {"L": [{"S": name} for name in sorted(state.removed_before_created)]},
            "version": {"N": str(expected_version + 1)},
        }
        if expected_version == 0:
            return {
                "Put": {
                    "TableName": self._data_table,
                    "Item": item,
                    "ConditionExpression": f"attribute_not_exists({keys.PARTITION_KEY})",
                }
            }
        return {
            "Put": {
                "TableName": self._data_table,
                "Item": item,
                "ConditionExpression": "version = :expected",
                "ExpressionAttributeValues": {":expected": {"N": str(expected_version)}},
            }
        }

    def _account_put(self, coverage: GithubInstallation) -> TransactWriteItemTypeDef:
        item = keys.account_installation_key(coverage.account_login) | coverage_attributes(coverage)
        item["entity_type"] = {"S": "github_account_installation"}
        return {"Put": {"TableName": self._data_table, "Item": item}}

    def _account_release(self, installation_id: int, login: str) -> TransactWriteItemTypeDef:
        return {
            "Delete": {
                "TableName": self._data_table,
                "Key": keys.account_installation_key(login),
                "ConditionExpression": f"attribute_not_exists({keys.PARTITION_KEY}) OR installation_id = :id",
                "ExpressionAttributeValues": {":id": {"N": str(installation_id)}},
            }
        }

    def _batch_get(self, wanted: list[keys.Key]) -> list[dict[str, Any]]:
        request: dict[str, KeysAndAttributesTypeDef] = {self._data_table: {"Keys": wanted, "ConsistentRead": True}}
        try:
            response = self._client.batch_get_item(RequestItems=request)
        except ClientError as error:
            raise StorageBusy(str(error)) if is_throttling(error) else error from error
        if response.get("UnprocessedKeys"):
            # Two small keys: DynamoDB leaves them unprocessed only under throttling. GitHub's delivery
            # fails and can be redelivered; nothing was written.
            raise StorageBusy("BatchGetItem left installation keys unprocessed")
        return list(response.get("Responses", {}).get(self._data_table, []))


def _state(item: Mapping[str, Any]) -> InstallationState:
    try:
        return InstallationState(
            coverage=coverage_from_item(item),
            deleted=bool(item.get("deleted", {"BOOL": False})["BOOL"]),
            removed_before_created=_names(item.get("removed_before_created")),
        )
    except (KeyError, TypeError) as broken:
        raise StoredItemInvalid("GitHub installation state item does not have the documented shape") from broken


def _version(item: Mapping[str, Any]) -> int:
    try:
        return int(item["version"]["N"])
    except (KeyError, ValueError) as broken:
        raise StoredItemInvalid("GitHub installation state item has no numeric version") from broken


def _names(attribute: Mapping[str, Any] | None) -> frozenset[str]:
    return frozenset(entry["S"] for entry in attribute["L"]) if attribute else frozenset()
