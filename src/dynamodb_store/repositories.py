"""An installation's repositories in the data table: one item each, under its account's login.

`keys.repository_key(login, name)` holds `installation_id`, `repositories_epoch`, `version`, `name` and
`removed`. A write is conditioned on `domain.installations.accepts` (an item of another installation
or epoch, or an older version, gives way), and each transaction of such writes also checks that the
installation still holds the login's account copy at that epoch, so no write lands for an
installation that was replaced, renamed or uninstalled meanwhile. A write that its condition refuses
is dropped and the rest are committed again: a part may be applied twice, late, or in any order
against other deliveries' parts, and every item still ends as the newest write says.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from domain.errors import StorageBusy
from domain.installations import RepositoryEntry, RepositoryWrite
from dynamodb_store import keys

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, TransactWriteItemTypeDef

# DynamoDB's limit of items in one TransactWriteItems.
MAX_TRANSACTION_ITEMS = 100
# A part's transaction: its claim, the check of the account copy, then the writes.
PART_WRITES = MAX_TRANSACTION_ITEMS - 2
# BatchGetItem takes at most 100 keys; unprocessed ones are asked for again a few times.
_BATCH_GET_KEYS = 100
_BATCH_GET_ROUNDS = 4
_UNPROCESSED_PAUSE_SECONDS = 0.05
_CONDITIONAL_CHECK_FAILED = "ConditionalCheckFailed"
_NOT_FAILED = frozenset({None, "None"})


class HeadRefused(Exception):
    """An item before the repository writes was refused; `reasons` are the cancellation codes."""

    def __init__(self, reasons: list[str | None], items: Sequence[Mapping[str, Any] | None], head_length: int) -> None:
        super().__init__(f"cancelled: {reasons[:head_length]}")
        self.reasons = reasons
        self.items = items  # the items that refused, where the request asked for them (ALL_OLD)


def repository_put(
    table: str, login: str, write: RepositoryWrite, installation_id: int, epoch: int
) -> TransactWriteItemTypeDef:
    """`write` as a conditional Put: the ConditionExpression is `accepts` (domain/installations.py)."""
    item = keys.repository_key(login, write.name) | {
        "entity_type": {"S": "github_repository"},
        "name": {"S": write.name},
        "installation_id": {"N": str(installation_id)},
        "repositories_epoch": {"N": str(epoch)},
        "version": {"N": str(write.version)},
        "removed": {"BOOL": write.removed},
    }
    newer = "#version < :version AND removed <> :removed" if write.keeps_removal else "#version < :version"
    values: dict[str, AttributeValueTypeDef] = {
        ":id": {"N": str(installation_id)},
        ":epoch": {"N": str(epoch)},
        ":version": {"N": str(write.version)},
    }
    if write.keeps_removal:
        values[":removed"] = {"BOOL": True}
    return {
        "Put": {
            "TableName": table,
            "Item": item,
            "ConditionExpression": (
                f"attribute_not_exists(#pk) OR installation_id <> :id OR repositories_epoch <> :epoch OR ({newer})"
            ),
            "ExpressionAttributeNames": {"#pk": keys.PARTITION_KEY, "#version": "version"},
            "ExpressionAttributeValues": values,
        }
    }


def holder_check(table: str, login: str, installation_id: int, epoch: int) -> TransactWriteItemTypeDef:
    """Holds while the installation owns the login's account copy at this repositories epoch."""
    return {
        "ConditionCheck": {
            "TableName": table,
            "Key": keys.account_installation_key(login),
            "ConditionExpression": "installation_id = :id AND repositories_epoch = :epoch",
            "ExpressionAttributeValues": {":id": {"N": str(installation_id)}, ":epoch": {"N": str(epoch)}},
        }
    }


def entry_from_item(item: Mapping[str, Any]) -> RepositoryEntry:
    return RepositoryEntry(
        installation_id=int(item["installation_id"]["N"]),
        repositories_epoch=int(item["repositories_epoch"]["N"]),
        version=int(item["version"]["N"]),
        removed=bool(item["removed"]["BOOL"]),
    )


def chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


class RepositoryWriter:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def commit(self, head: list[TransactWriteItemTypeDef], puts: list[TransactWriteItemTypeDef]) -> None:
        """Commit `head + puts`, dropping the puts their condition refuses; HeadRefused when `head` is."""
        while True:
            try:
                self._client.transact_write_items(TransactItems=head + puts)
            except self._client.exceptions.TransactionCanceledException as cancelled:
                cancellation = cancelled.response.get("CancellationReasons", [])
                reasons = [reason.get("Code") for reason in cancellation]
                refused = {i for i, code in enumerate(reasons[len(head) :]) if code == _CONDITIONAL_CHECK_FAILED}
                other = set(reasons[len(head) :]) - _NOT_FAILED - {_CONDITIONAL_CHECK_FAILED}
                if not set(reasons[: len(head)]) <= _NOT_FAILED or other or not refused:
                    items = [reason.get("Item") for reason in cancellation]
                    raise HeadRefused(reasons, items, len(head)) from cancelled
                puts = [put for i, put in enumerate(puts) if i not in refused]
            else:
                return

    def apply_parts(
        self,
        parts: dict[int, list[TransactWriteItemTypeDef]],
        claim: Callable[[int], TransactWriteItemTypeDef],
        check: TransactWriteItemTypeDef,
    ) -> None:
        """Each part in a transaction of its own with its claim (`claim(n)`) and `check`; a part already
        claimed, or one the check refuses (the installation no longer holds the login), is left."""

        # One after another: moto, which the tests and `make run` use, is not safe for concurrent writes.
        for number in sorted(parts):
            try:
                self.commit([claim(number), check], parts[number])
            except HeadRefused as refused:
                if refused.reasons[1] == _CONDITIONAL_CHECK_FAILED:
                    return  # the installation no longer holds the login at this epoch: no part applies
                if refused.reasons[0] != _CONDITIONAL_CHECK_FAILED:
                    raise

    def claimed_parts(self, claim_keys: dict[int, keys.Key]) -> set[int]:
        """Which of these part claims exist already (an interrupted delivery's finished parts)."""
        found: set[int] = set()
        by_partition = {key[keys.PARTITION_KEY]["S"]: number for number, key in claim_keys.items()}
        for batch in chunks(list(claim_keys.values()), _BATCH_GET_KEYS):
            request: Any = {self._table: {"Keys": batch, "ConsistentRead": True}}
            for _ in range(_BATCH_GET_ROUNDS):
                response = self._client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self._table, []):
                    found.add(by_partition[item[keys.PARTITION_KEY]["S"]])
                request = response.get("UnprocessedKeys")
                if not request:
                    break
                time.sleep(_UNPROCESSED_PAUSE_SECONDS)
            else:
                # DynamoDB leaves keys unprocessed only when it throttles: the delivery answers 503.
                raise StorageBusy("BatchGetItem left part claims unprocessed")
        return found

    def entries_under(self, login: str) -> Iterator[tuple[str, RepositoryEntry]]:
        """Every repository item under the login, as (name, entry)."""
        partition, prefix = keys.repository_range(login)
        pages = self._client.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="#pk = :pk AND begins_with(#sk, :prefix)",
            ExpressionAttributeNames={"#pk": keys.PARTITION_KEY, "#sk": keys.SORT_KEY},
            ExpressionAttributeValues={":pk": partition, ":prefix": prefix},
            ConsistentRead=True,
        )
        for page in pages:
            for item in page.get("Items", []):
                yield item["name"]["S"], entry_from_item(item)
