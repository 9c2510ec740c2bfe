"""GitHub App installations in the data table: the ledger the webhook writes, the items a create reads.

Per installation (keys.py): its state by installation id, which the webhook reads and writes; a copy
of its coverage under its account's login; and one item per repository under that login
(dynamodb_store/repositories.py). A create reads the copy and the one repository it names with the
session, in one BatchGetItem. One delivery's change is one transaction: the claims of its delivery id
and of its body's digest, the state (at the version read), the account copy (while the installation
owns the login) and up to 95 repository writes; a delivery that changes more repositories writes the
rest in parts of 98, each with a claim of its own, right after (the claims record how it was split,
so that a redelivery of an interrupted one finishes it). A rename then carries the repository items to
the new login. The GitHub link (GitHub user id -> Neptun user id) is the login service's item; the
imports' writes check it (`link_check`).

Items written before repositories had items of their own (a `repositories` list on the state and the
copy, no `repositories_epoch`) are read as they are: a create covers what the copy's list says, and
the installation's next delivery first writes the list as items (`_convert_legacy`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
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
    RepositoryMove,
    RepositoryWrite,
    Transition,
    entry_covers,
    repository_writes,
)
from dynamodb_store import keys
from dynamodb_store.repositories import (
    MAX_TRANSACTION_ITEMS,
    PART_WRITES,
    HeadRefused,
    RepositoryWriter,
    chunks,
    entry_from_item,
    holder_check,
    repository_put,
)
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
# Repository writes in a delivery's own transaction: what its at most 5 other items leave.
INLINE_WRITES = MAX_TRANSACTION_ITEMS - 5
_EPOCH = "repositories_epoch"
# `installation.created_at` (epoch seconds), on the state and the account copy: who owns a login.
_CREATED_AT = "installation_created_at"
# On an account copy whose installation was uninstalled: it covers nothing.
_UNINSTALLED = "uninstalled"
_THROTTLED = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded"})
_TRANSIENT = _THROTTLED | {"TransactionConflict"}


class StoredItemInvalid(Exception):
    """An item in the tables does not have the documented shape."""


def coverage_attributes(coverage: GithubInstallation) -> dict[str, AttributeValueTypeDef]:
    attributes: dict[str, AttributeValueTypeDef] = {
        "installation_id": {"N": str(coverage.installation_id)},
        "account_login": {"S": coverage.account_login},
        "repository_selection": {"S": coverage.repository_selection.value},
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


def account_copy_from_item(
    item: Mapping[str, Any], repository: Mapping[str, Any] | None = None
) -> GithubInstallation | None:
    """What a create reads under a login: the installation's coverage as far as `repository` (that
    repository's item, None when there is none) tells, or None once it was uninstalled (the copy is
    then kept as a marker of the login's newest installation, covering nothing)."""
    if item.get(_UNINSTALLED, {}).get("BOOL"):
        return None
    coverage = coverage_from_item(item)
    if _EPOCH not in item:  # written before repositories had items: the copy lists them
        return coverage
    try:
        entry = entry_from_item(repository) if repository is not None else None
        covered = entry_covers(entry, coverage.installation_id, int(item[_EPOCH]["N"]))
    except (KeyError, ValueError) as broken:
        raise StoredItemInvalid("GitHub repository item does not have the documented shape") from broken
    name = repository["name"]["S"] if repository is not None and covered else None
    return replace(coverage, repositories=frozenset({name}) if name else frozenset())


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
        self._repositories = RepositoryWriter(client, data_table)

    def read(self, installation_id: int, linked_github_user_id: int | None) -> LedgerRead:
        for _ in range(2):
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
            if _EPOCH in state_item:
                return LedgerRead(state=_state(state_item), version=_version(state_item), installer_linked=linked)
            self._convert_legacy(state_item)
        raise InstallationChangedMeanwhile("the installation's items kept changing while they were converted")

    def write(self, delivery: InstallationDelivery, transition: Transition, expected_version: int) -> bool:
        state = transition.state
        put_copy, release, superseded = not state.deleted, transition.left_login, False
        writes = [self._put(state, write) for write in transition.writes]
        while True:
            head = self._transaction(delivery, transition, expected_version, put_copy=put_copy, released=release)
            try:
                self._repositories.commit(head, writes[:INLINE_WRITES] if put_copy else [])
            except HeadRefused as cancelled:
                reasons = cancelled.reasons
                if _CONDITIONAL_CHECK_FAILED in (reasons[_CLAIM], reasons[_BODY_CLAIM]):
                    self._finish_interrupted(delivery, cancelled)
                    raise DeliveryAlreadyApplied from cancelled
                if reasons[_STATE] == _CONDITIONAL_CHECK_FAILED or "TransactionConflict" in reasons:
                    raise InstallationChangedMeanwhile from cancelled
                copy_refused = put_copy and reasons[_COPY] == _CONDITIONAL_CHECK_FAILED
                release_refused = release is not None and reasons[len(head) - 1] == _CONDITIONAL_CHECK_FAILED
                if copy_refused or release_refused:
                    # The login is another installation's (a newer one; or, for the login this one
                    # leaves, whoever took it after a rename): that copy and its items stay as they are.
                    superseded = superseded or copy_refused
                    put_copy = put_copy and not copy_refused
                    release = None if release_refused else release
                    continue
                if _THROTTLED.intersection(reasons):
                    raise StorageBusy from cancelled
                raise
            except ClientError as error:
                raise StorageBusy(str(error)) if is_throttling(error) else error from error
            break
        if put_copy:
            self._finish_or_busy(state, delivery.body_digest, writes, transition)
        return not superseded

    def _finish_or_busy(
        self, state: InstallationState, body_digest: str, writes: list[TransactWriteItemTypeDef], transition: Transition
    ) -> None:
        """`_finish`, with what a retry may get past (throttling, a conflicting transaction) as StorageBusy:
        the delivery is then answered 503, and its redelivery finishes it."""
        try:
            self._finish(state, body_digest, writes, transition)
        except HeadRefused as cancelled:
            if _TRANSIENT.intersection(cancelled.reasons):
                raise StorageBusy(str(cancelled)) from cancelled
            raise
        except ClientError as error:
            raise StorageBusy(str(error)) if is_throttling(error) else error from error

    def _convert_legacy(self, item: Mapping[str, Any]) -> None:
        """An installation stored with its repositories as a list: write them as items (at its version,
        which becomes its repositories epoch), then the state and its account copy without the list.
        Safe to repeat and to race: every step is conditioned on the state still being that one."""
        version = _version(item)
        listed = coverage_from_item(item)
        deleted = bool(item.get("deleted", {"BOOL": False})["BOOL"])
        state = InstallationState(
            coverage=replace(listed, repositories=frozenset()),
            deleted=deleted,
            created_at=_created_at_of(item),
            repositories_epoch=version,
        )
        key = keys.installation_state_key(listed.installation_id)
        still_listed = f"#version = :version AND attribute_not_exists({_EPOCH})"
        values: dict[str, AttributeValueTypeDef] = {":version": {"N": str(version)}}
        names = {"#version": "version"}
        check: TransactWriteItemTypeDef = {
            "ConditionCheck": {
                "TableName": self._data_table,
                "Key": key,
                "ConditionExpression": still_listed,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }
        removed = _names(item.get("removed_before_created"))
        writes = [RepositoryWrite(name, removed=False, version=version) for name in sorted(listed.repositories)]
        writes += [RepositoryWrite(name, removed=True, version=version) for name in sorted(removed)]
        try:
            for part in chunks([self._put(state, write) for write in writes] if not deleted else [], PART_WRITES + 1):
                self._repositories.commit([check], part)
            state_put: TransactWriteItemTypeDef = {
                "Put": {
                    "TableName": self._data_table,
                    "Item": key
                    | _state_attributes(state)
                    | {"entity_type": {"S": "github_installation"}, "deleted": {"BOOL": deleted}}
                    | {"version": {"N": str(version)}},
                    "ConditionExpression": still_listed,
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": values,
                }
            }
            self._repositories.commit([state_put], [] if deleted else [self._legacy_copy_put(state)])
        except HeadRefused:
            return  # converted or changed meanwhile: the caller reads again

    def _legacy_copy_put(self, state: InstallationState) -> TransactWriteItemTypeDef:
        """The account copy without its list, only where it is this installation's copy (a repository
        write's place in `commit`: refused, it is dropped and the state is converted all the same)."""
        item = keys.account_installation_key(state.coverage.account_login) | _state_attributes(state)
        item["entity_type"] = {"S": "github_account_installation"}
        return {
            "Put": {
                "TableName": self._data_table,
                "Item": item,
                "ConditionExpression": f"installation_id = :id AND attribute_not_exists({_EPOCH})",
                "ExpressionAttributeValues": {":id": {"N": str(state.coverage.installation_id)}},
            }
        }

    def _put(self, state: InstallationState, write: RepositoryWrite) -> TransactWriteItemTypeDef:
        coverage = state.coverage
        return repository_put(
            self._data_table, coverage.account_login, write, coverage.installation_id, state.repositories_epoch
        )

    def _finish(
        self, state: InstallationState, body_digest: str, writes: list[TransactWriteItemTypeDef], transition: Transition
    ) -> None:
        """The writes that did not fit the delivery's own transaction, then a rename's move."""
        coverage = state.coverage
        check = holder_check(
            self._data_table, coverage.account_login, coverage.installation_id, state.repositories_epoch
        )
        parts = dict(enumerate(chunks(writes[INLINE_WRITES:], PART_WRITES), start=1))
        done = self._repositories.claimed_parts(self._part_claim_keys(body_digest, len(parts)))
        todo = {number: part for number, part in parts.items() if number not in done}
        self._repositories.apply_parts(todo, lambda number: self._part_claim(body_digest, number), check)
        if transition.move is not None:
            self._move(state, transition.move.from_login, transition.move.from_epoch, check)

    def _move(
        self, state: InstallationState, from_login: str, from_epoch: int, check: TransactWriteItemTypeDef
    ) -> None:
        installation_id = state.coverage.installation_id
        carried = [
            self._put(state, RepositoryWrite(name, removed=entry.removed, version=entry.version))
            for name, entry in self._repositories.entries_under(from_login)
            if entry.installation_id == installation_id and entry.repositories_epoch == from_epoch
        ]
        for part in chunks(carried, PART_WRITES + 1):
            try:
                self._repositories.commit([check], part)
            except HeadRefused:
                return  # no longer this installation's login at this epoch: nothing more to carry

    def _finish_interrupted(self, delivery: InstallationDelivery, cancelled: HeadRefused) -> None:
        """A delivery seen before: finish the parts its first attempt may not have got to."""
        claim = cancelled.items[_CLAIM] or cancelled.items[_BODY_CLAIM]
        if not claim or "version" not in claim or not claim.get("holds_login", {}).get("BOOL"):
            return
        version, epoch = int(claim["version"]["N"]), int(claim[_EPOCH]["N"])
        login = claim["account_login"]["S"]
        state = InstallationState(
            coverage=GithubInstallation(
                installation_id=delivery.installation_id,
                account_login=login,
                installer_github_user_id=None,
                repository_selection=RepositorySelection.SELECTED,
                repositories=frozenset(),
            ),
            repositories_epoch=epoch,
        )
        writes = [self._put(state, write) for write in repository_writes(delivery, version)]
        move = claim.get("moved_from_login")
        transition = Transition(state=state, version=version)
        if move is not None:
            from_epoch = int(claim["moved_from_epoch"]["N"])
            transition = replace(transition, move=RepositoryMove(move["S"], from_epoch))
        self._finish_or_busy(state, delivery.body_digest, writes, transition)

    def _part_claim_keys(self, body_digest: str, parts: int) -> dict[int, keys.Key]:
        return {number: keys.delivery_part_claim_key(body_digest, number) for number in range(1, parts + 1)}

    def _part_claim(self, body_digest: str, number: int) -> TransactWriteItemTypeDef:
        expires_at = str(int(time.time()) + DELIVERY_CLAIM_SECONDS)
        return {
            "Put": {
                "TableName": self._data_table,
                "Item": keys.delivery_part_claim_key(body_digest, number)
                | {"entity_type": {"S": "github_delivery_part"}, "expires_at": {"N": expires_at}},
                "ConditionExpression": f"attribute_not_exists({keys.PARTITION_KEY})",
            }
        }

    def _transaction(
        self,
        delivery: InstallationDelivery,
        transition: Transition,
        expected_version: int,
        *,
        put_copy: bool,
        released: str | None,
    ) -> list[TransactWriteItemTypeDef]:
        state = transition.state
        expires_at: AttributeValueTypeDef = {"N": str(int(time.time()) + DELIVERY_CLAIM_SECONDS)}
        # What a redelivery needs to finish an interrupted one: how its writes were split, and where.
        record: dict[str, AttributeValueTypeDef] = {
            "version": {"N": str(transition.version)},
            _EPOCH: {"N": str(state.repositories_epoch)},
            "account_login": {"S": state.coverage.account_login},
            "holds_login": {"BOOL": put_copy},
        }
        if transition.move is not None:
            record["moved_from_login"] = {"S": transition.move.from_login}
            record["moved_from_epoch"] = {"N": str(transition.move.from_epoch)}
        claim = self._claim(keys.delivery_claim_key(delivery.delivery_id), delivery, expires_at, record)
        body_claim = self._claim(keys.delivery_body_claim_key(delivery.body_digest), delivery, expires_at, record)
        transaction = [claim, body_claim, self._state_put(state, transition.version, expected_version)]
        if put_copy:
            transaction.append(self._account_put(state))
        if released is not None:
            transaction.append(self._account_left(state, released))
        return transaction

    def _claim(
        self,
        key: keys.Key,
        delivery: InstallationDelivery,
        expires_at: AttributeValueTypeDef,
        record: dict[str, AttributeValueTypeDef],
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
                }
                | record,
                "ConditionExpression": f"attribute_not_exists({keys.PARTITION_KEY})",
                # The claim that refused a redelivery tells how to finish what its first attempt began.
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    def _state_put(self, state: InstallationState, version: int, expected_version: int) -> TransactWriteItemTypeDef:
        item = keys.installation_state_key(state.coverage.installation_id) | _state_attributes(state)
        item |= {
            "entity_type": {"S": "github_installation"},
            "deleted": {"BOOL": state.deleted},
            "version": {"N": str(version)},
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
    attributes = coverage_attributes(state.coverage) | {_EPOCH: {"N": str(state.repositories_epoch)}}
    if state.created_at is not None:
        attributes[_CREATED_AT] = {"N": str(state.created_at)}
    return attributes


def _state(item: Mapping[str, Any]) -> InstallationState:
    try:
        return InstallationState(
            coverage=replace(coverage_from_item(item), repositories=frozenset()),
            deleted=bool(item.get("deleted", {"BOOL": False})["BOOL"]),
            created_at=_created_at_of(item),
            repositories_epoch=int(item[_EPOCH]["N"]),
        )
    except (KeyError, TypeError, ValueError) as broken:
        raise StoredItemInvalid("GitHub installation state item does not have the documented shape") from broken


def _version(item: Mapping[str, Any]) -> int:
    try:
        return int(item["version"]["N"])
    except (KeyError, ValueError) as broken:
        raise StoredItemInvalid("GitHub installation state item has no numeric version") from broken


def _names(attribute: Mapping[str, Any] | None) -> frozenset[str]:
    return frozenset(entry["S"] for entry in attribute["L"]) if attribute else frozenset()
