"""Make every import's copy under its source type match the import: the migration to filtered pages
that read copies (docs/deploying.md, "Upgrading a table that already holds imports").

    make reconcile-copies DATA_TABLE=<the stack's DataTableName output>   (AWS_REGION, AWS_PROFILE as usual)

A deployment before copies existed left imports without one, and while old and new functions serve
side by side during a deployment an old one may change an import without its copy. This reads the
table once (a paged Scan of the projects' partitions) and, per import, writes its copy in a
transaction conditioned on the import still being at the version read; per copy whose import is gone
or has another source type, deletes it conditioned the same way. A condition that fails means a
function changed the item meanwhile, and the new functions keep copies themselves: nothing is left to
do for it. So it is safe while the API serves, and running it again changes nothing.

It also sets each project's count of its imports (`import_count` on the project's item, which creates
and deletes keep since the per-project cap), for projects whose imports were stored before: the count
is read, the imports counted (a Query of the project's import range), and the count written only if
it is still the one read, so a create or delete in between makes it count again.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3

from dynamodb_store import keys
from dynamodb_store.store import IMPORT_COUNT, at_version, copy_of_import_item, stored_import_from_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

Item = dict[str, Any]


@dataclass
class Report:
    imports: int = 0
    copies_written: int = 0
    copies_deleted: int = 0
    changed_meanwhile: int = 0  # a function wrote the item between the scan and this write
    counts_set: int = 0  # projects whose import count was missing or wrong


# A project whose imports keep changing while it is counted is counted again at most this often.
_COUNT_ROUNDS = 5


def reconcile(client: DynamoDBClient, table: str) -> Report:
    imports: dict[tuple[str, str], Item] = {}  # by (PK, SK)
    copies: dict[tuple[str, str], Item] = {}
    for item in _project_items(client, table):
        if keys.is_import(item):
            imports[_place(item)] = item
        elif keys.is_import_copy(item):
            copies[_place(item)] = item
    report = Report(imports=len(imports))
    for item in imports.values():
        wanted = _wanted_copy(item)
        if copies.get(_place(wanted)) != wanted:
            report.copies_written += _write(client, report, _copy_put(table, item, wanted))
    for place, copy in copies.items():
        stored = imports.get(_place(keys.import_key_of_copy(_key(copy))))
        if stored is None or _place(_wanted_copy(stored)) != place:
            report.copies_deleted += _write(client, report, _orphan_delete(table, copy, stored))
    for partition in sorted({item[keys.PARTITION_KEY]["S"] for item in imports.values()}):
        report.counts_set += _count_project(client, table, partition)
    return report


def _count_project(client: DynamoDBClient, table: str, partition: str) -> int:
    """1 when the project's count was set, 0 when it was right (or the project is gone)."""
    user_id, project_id = (int(part) for part in partition.removeprefix("USER#").split("#PROJECT#"))
    project = keys.project_key(user_id, project_id)
    for _ in range(_COUNT_ROUNDS):
        found = client.get_item(TableName=table, Key=project, ConsistentRead=True).get("Item")
        if found is None:
            return 0  # imports of a deleted project: there is nothing to count them in
        seen = found.get(IMPORT_COUNT)
        counted: dict[str, Any] = {"N": str(_imports_in(client, table, partition))}
        if seen == counted:
            return 0
        still_seen = "#count = :seen" if seen is not None else "attribute_not_exists(#count)"
        values = {":counted": counted} | ({":seen": seen} if seen is not None else {})
        try:
            client.update_item(
                TableName=table,
                Key=project,
                UpdateExpression="SET #count = :counted",
                ConditionExpression=f"attribute_exists(#pk) AND {still_seen}",
                ExpressionAttributeNames={"#pk": keys.PARTITION_KEY, "#count": IMPORT_COUNT},
                ExpressionAttributeValues=values,
            )
        except client.exceptions.ConditionalCheckFailedException:
            continue  # a create or delete counted meanwhile: count again
        return 1
    raise RuntimeError(f"the imports of {partition} kept changing over {_COUNT_ROUNDS} counts; run it again")


def _imports_in(client: DynamoDBClient, table: str, partition: str) -> int:
    lowest, highest = keys.import_sort_key_range(after_id=None, descending=False)
    pages = client.get_paginator("query").paginate(
        TableName=table,
        KeyConditionExpression="#pk = :partition AND #sk BETWEEN :lowest AND :highest",
        ExpressionAttributeNames={"#pk": keys.PARTITION_KEY, "#sk": keys.SORT_KEY},
        ExpressionAttributeValues={
            ":partition": {"S": partition},
            ":lowest": {"S": lowest},
            ":highest": {"S": highest},
        },
        Select="COUNT",
        ConsistentRead=True,
    )
    return sum(page["Count"] for page in pages)


def _key(item: Item) -> keys.Key:
    return {keys.PARTITION_KEY: item[keys.PARTITION_KEY], keys.SORT_KEY: item[keys.SORT_KEY]}


def _place(item: Item) -> tuple[str, str]:
    return item[keys.PARTITION_KEY]["S"], item[keys.SORT_KEY]["S"]


def _project_items(client: DynamoDBClient, table: str) -> Iterator[Item]:
    paginator = client.get_paginator("scan")
    pages = paginator.paginate(
        TableName=table,
        FilterExpression="contains(#pk, :project) AND (begins_with(#sk, :import) OR begins_with(#sk, :copy))",
        ExpressionAttributeNames={"#pk": keys.PARTITION_KEY, "#sk": keys.SORT_KEY},
        ExpressionAttributeValues={
            ":project": {"S": "#PROJECT#"},
            ":import": {"S": "IMPORT#"},
            ":copy": {"S": "SOURCE_TYPE#"},
        },
        ConsistentRead=True,
    )
    for page in pages:
        yield from page.get("Items", [])


def _wanted_copy(item: Item) -> dict[str, Any]:
    return copy_of_import_item(item)


def _at_the_version_read(table: str, item: Item) -> TransactWriteItemTypeDef:
    """Holds while the import is at the version read: the store's own condition for a write."""
    condition, values = at_version(stored_import_from_item(item).version)
    return {
        "ConditionCheck": {
            "TableName": table,
            "Key": _key(item),
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#pk": keys.PARTITION_KEY, "#version": "version"},
            "ExpressionAttributeValues": values,
        }
    }


def _copy_put(table: str, stored: Item, wanted: dict[str, Any]) -> list[TransactWriteItemTypeDef]:
    return [_at_the_version_read(table, stored), {"Put": {"TableName": table, "Item": wanted}}]


def _orphan_delete(table: str, copy: Item, stored: Item | None) -> list[TransactWriteItemTypeDef]:
    delete: TransactWriteItemTypeDef = {"Delete": {"TableName": table, "Key": _key(copy)}}
    if stored is not None:  # the import has another source type now
        return [_at_the_version_read(table, stored), delete]
    still_gone: TransactWriteItemTypeDef = {
        "ConditionCheck": {
            "TableName": table,
            "Key": keys.import_key_of_copy(_key(copy)),
            "ConditionExpression": f"attribute_not_exists({keys.PARTITION_KEY})",
        }
    }
    return [still_gone, delete]


def _write(client: DynamoDBClient, report: Report, transaction: list[TransactWriteItemTypeDef]) -> int:
    try:
        client.transact_write_items(TransactItems=transaction)
    except client.exceptions.TransactionCanceledException as cancelled:
        reasons = [reason.get("Code") for reason in cancelled.response.get("CancellationReasons", [])]
        if reasons[:1] != ["ConditionalCheckFailed"]:
            raise
        report.changed_meanwhile += 1
        return 0
    return 1


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make reconcile-copies", description=__doc__.splitlines()[0])
    parser.add_argument("--table", default=os.environ.get("DATA_TABLE", ""), help="the data table's name")
    parsed = parser.parse_args(arguments)
    if not parsed.table:
        parser.error("name the data table: DATA_TABLE=<the stack's DataTableName output>")
    report = reconcile(boto3.client("dynamodb"), parsed.table)
    print(
        f"{report.imports} imports: {report.copies_written} copies written, {report.copies_deleted} deleted, "
        f"{report.changed_meanwhile} changed meanwhile (their functions keep them); "
        f"{report.counts_set} project counts set"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
