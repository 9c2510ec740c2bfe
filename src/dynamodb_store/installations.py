"""GitHub App installations in the data table: the ledger the webhook writes, the items a create reads.

Per installation two items (keys.py): its state by installation id, which the webhook reads and
writes, and a copy of its coverage under its account's login, which a create reads with the session
in one BatchGetItem. One delivery's change is one transaction: the claims of its delivery id and of
its body's digest, the state (at the version read) and the account copy (while the installation owns
the login). The GitHub link (GitHub user id -> Neptun user id) is the
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
# Positions in a delivery's transaction: the two claims, the state, then the account copy when written.
_CLAIM, _BODY_CLAIM, _STATE, _COPY = 0, 1, 2, 3
# `installation.created_at` (epoch seconds), on the state and the account copy: who owns a login.
_CREATED_AT = "installation_created_at"
# On an account copy whose installation was uninstalled: it covers nothing.
_UNINSTALLED = "uninstalled"
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


def account_copy_from_item(item: Mapping[str, Any]) -> GithubInstallation | None:
    """What a create reads under a login: the installation's coverage, or None once it was uninstalled
    (the copy is then kept as a marker of the login's newest installation, covering nothing)."""
    if item.get(_UNINSTALLED, {}).get("BOOL"):
        return None
    return coverage_from_item(item)


def account_copy_holder(item: Mapping[str, Any]) -> tuple[int, int | None]:
    """Whose an account copy is: its installation id and that installation's creation time, if known."""
    return int(item["installation_id"]["N"]), _created_at_of(item)


def _created_at_of(item: Mapping[str, Any]) -> int | None:
    created_at = item.get(_CREATED_AT)
    return int(created_at["N"]) if created_at else None


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
    ) -> bool:
        put_copy, release, superseded = not state.deleted, left_login, False
        while True:
            transaction = self._transaction(delivery, state, expected_version, put_copy=put_copy, released=release)
            try:
                self._client.transact_write_items(TransactItems=transaction)
            except self._client.exceptions.TransactionCanceledException as cancelled:
                reasons = [reason.get("Code") for reason in cancelled.response.get("CancellationReasons", [])]
                if _CONDITIONAL_CHECK_FAILED in (reasons[_CLAIM], reasons[_BODY_CLAIM]):
                    raise DeliveryAlreadyApplied from cancelled
                if reasons[_STATE] == _CONDITIONAL_CHECK_FAILED or "TransactionConflict" in reasons:
                    raise InstallationChangedMeanwhile from cancelled
                copy_refused = put_copy and reasons[_COPY] == _CONDITIONAL_CHECK_FAILED
                release_refused = release is not None and reasons[-1] == _CONDITIONAL_CHECK_FAILED
                if copy_refused or release_refused:
                    # The login is another installation's (a newer one; or, for the login this one
                    # leaves, whoever took it after a rename): that copy stays as it is.
                    superseded = superseded or copy_refused
                    put_copy = put_copy and not copy_refused
                    release = None if release_refused else release
                    continue
                if _THROTTLED.intersection(reasons):
                    raise StorageBusy from cancelled
                raise
            except ClientError as error:
                raise StorageBusy(str(error)) if is_throttling(error) else error from error
            return not superseded

    def _transaction(
        self,
        delivery: InstallationDelivery,
        state: InstallationState,
        expected_version: int,
        *,
        put_copy: bool,
        released: str | None,
    ) -> list[TransactWriteItemTypeDef]:
        expires_at: AttributeValueTypeDef = {"N": str(int(time.time()) + DELIVERY_CLAIM_SECONDS)}
        claim = self._claim(keys.delivery_claim_key(delivery.delivery_id), delivery, expires_at)
        body_claim = self._claim(keys.delivery_body_claim_key(delivery.body_digest), delivery, expires_at)
        transaction = [claim, body_claim, self._state_put(state, expected_version)]
        if put_copy:
            transaction.append(self._account_put(state))
        if released is not None:
            transaction.append(self._account_left(state, released))
        return transaction

    def _claim(
        self, key: keys.Key, delivery: InstallationDelivery, expires_at: AttributeValueTypeDef
    ) -> TransactWriteItemTypeDef:
        return {
            "Put": {
                "TableName": self._data_table,
                "Item": key
                | {
                    "entity_type": {"S": "github_delivery"},
                    "change": {"S": delivery.change.value},
                    "installation_id": {"N": str(delivery.installation_id)},
                    "expires_at": expires_at,
                },
                "ConditionExpression": f"attribute_not_exists({keys.PARTITION_KEY})",
            }
        }

    def _state_put(self, state: InstallationState, expected_version: int) -> TransactWriteItemTypeDef:
        item = keys.installation_state_key(state.coverage.installation_id) | _state_attributes(state)
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

    def _account_put(self, state: InstallationState) -> TransactWriteItemTypeDef:
        """The account copy, written only while `owns_login` allows it (domain/installations.py)."""
        coverage = state.coverage
        item = keys.account_installation_key(coverage.account_login) | _state_attributes(state)
        item["entity_type"] = {"S": "github_account_installation"}
        condition = f"attribute_not_exists({keys.PARTITION_KEY}) OR installation_id = :id"
        values: dict[str, AttributeValueTypeDef] = {":id": {"N": str(coverage.installation_id)}}
        if state.created_at is not None:
            # False where the holder's created_at is missing: a holder of unknown age is kept.
            condition += f" OR {_CREATED_AT} < :created"
            values[":created"] = {"N": str(state.created_at)}
        return {
            "Put": {
                "TableName": self._data_table,
                "Item": item,
                "ConditionExpression": condition,
                "ExpressionAttributeValues": values,
            }
        }

    def _account_left(self, state: InstallationState, login: str) -> TransactWriteItemTypeDef:
        """The copy under a login this installation leaves, changed only while it is still this one's.

        After a rename the login is free for another account: the copy goes. After an uninstall it
        stays as a marker covering nothing, with the creation time, so that a late delivery of an
        older installation of that account cannot take the login back (domain: `owns_login`)."""
        installation: AttributeValueTypeDef = {"N": str(state.coverage.installation_id)}
        held_by_this_one = f"attribute_not_exists({keys.PARTITION_KEY}) OR installation_id = :id"
        key = keys.account_installation_key(login)
        if not state.deleted:
            return {
                "Delete": {
                    "TableName": self._data_table,
                    "Key": key,
                    "ConditionExpression": held_by_this_one,
                    "ExpressionAttributeValues": {":id": installation},
                }
            }
        marker = key | {
            "entity_type": {"S": "github_account_installation"},
            "installation_id": installation,
            "account_login": {"S": state.coverage.account_login},
            _UNINSTALLED: {"BOOL": True},
        }
        if state.created_at is not None:
            marker[_CREATED_AT] = {"N": str(state.created_at)}
        return {
            "Put": {
                "TableName": self._data_table,
                "Item": marker,
                "ConditionExpression": held_by_this_one,
                "ExpressionAttributeValues": {":id": installation},
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


def _state_attributes(state: InstallationState) -> dict[str, AttributeValueTypeDef]:
    attributes = coverage_attributes(state.coverage)
    if state.created_at is not None:
        attributes[_CREATED_AT] = {"N": str(state.created_at)}
    return attributes


def _state(item: Mapping[str, Any]) -> InstallationState:
    try:
        return InstallationState(
            coverage=coverage_from_item(item),
            deleted=bool(item.get("deleted", {"BOOL": False})["BOOL"]),
            removed_before_created=_names(item.get("removed_before_created")),
            created_at=_created_at_of(item),
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
