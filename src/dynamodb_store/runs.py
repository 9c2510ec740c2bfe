"""An import's run state on DynamoDB: attributes of the import's item and of its copy, never of a client's.

| attribute         | what it holds                                                            |
| ----------------- | ------------------------------------------------------------------------ |
| `run_status`      | pending, importing, completed, failed, awaiting_upload                   |
| `run_start_id`    | the write that started the wanted run (a create, a refresh, a new source) |
| `run_id`          | while importing: the run holding the claim                               |
| `run_lease_until` | while importing: epoch seconds after which another run may take over     |
| `importing_user`  | while importing, on the import only: its user (keys.py, runs_importing)  |
| `run_error`       | {code, message, retry_at?} of the last failure or rate limit             |
| `run_due_at`      | while pending or importing: when the run is overdue (keys.py, runs_due)   |
| `commit_sha`, `imported_at`, `context`, `content_prefix` | the last completed run's result   |
| `upload_key`      | a `local_folder` import's newest upload, which its wanted run reads      |
| `newest_upload_key` | the last upload a run was started for; kept after the run ends       |
| `newest_upload_at`  | when S3 stored that upload (ISO 8601, ms): an older one starts nothing |

Every run write is one transaction on the import's item (which holds the condition) and its copy (which
filtered pages read), so the two never disagree. None of them changes `version`: a client's ETag stays
valid while its import runs, and a client's change (an UpdateItem of its own attributes) never erases
what a run recorded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from domain.import_failures import ImportFailed
from domain.import_runs import ClaimedRun, CompletedRun, ImportJob, run_due_at
from domain.import_sweep import OverdueRun
from domain.models import RunStatus, SourceType, format_utc_timestamp
from dynamodb_store import keys

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, QueryInputTypeDef, TransactWriteItemTypeDef

RUN_STATUS = "run_status"
RUN_START_ID = "run_start_id"
RUN_ID = "run_id"
RUN_LEASE_UNTIL = keys.RUN_LEASE_UNTIL
IMPORTING_USER = keys.IMPORTING_USER
RUN_ERROR = "run_error"
COMMIT_SHA = "commit_sha"
IMPORTED_AT = "imported_at"
CONTEXT = "context"
CONTENT_PREFIX = "content_prefix"
UPLOAD_KEY = "upload_key"
NEWEST_UPLOAD_KEY = "newest_upload_key"
NEWEST_UPLOAD_AT = "newest_upload_at"
RUN_DUE_AT = keys.RUN_DUE_AT
# What a new source makes obsolete: the old source's run and content.
RESET_BY_NEW_SOURCE = (
    RUN_ID,
    RUN_LEASE_UNTIL,
    IMPORTING_USER,
    RUN_ERROR,
    RUN_DUE_AT,
    COMMIT_SHA,
    IMPORTED_AT,
    CONTEXT,
    CONTENT_PREFIX,
    UPLOAD_KEY,
)
# What a refresh makes obsolete: the last run's claim and error (its content stays until the next completes).
RESET_BY_REFRESH = (RUN_ID, RUN_LEASE_UNTIL, IMPORTING_USER, RUN_ERROR)
_ENDS_A_CLAIM = (RUN_ID, RUN_LEASE_UNTIL, IMPORTING_USER)
# What a run that is over (completed, failed, given up) no longer has: its upload, once read, is released.
_ENDS_A_RUN = (*_ENDS_A_CLAIM, RUN_DUE_AT, UPLOAD_KEY)
_CONDITIONAL_CHECK_FAILED = "ConditionalCheckFailed"
_PLACEHOLDER = re.compile(r"[#:]\w+")
_Placeheld = TypeVar("_Placeheld")


def start_attributes(status: RunStatus, start_id: str, now: datetime) -> dict[str, AttributeValueTypeDef]:
    """What a write that starts an import sets (a create, a change of source, a refresh); a pending
    start is due at once (an `awaiting_upload` one waits for its upload, which nothing sweeps)."""
    attributes: dict[str, AttributeValueTypeDef] = {RUN_STATUS: {"S": status.value}, RUN_START_ID: {"S": start_id}}
    if status is RunStatus.PENDING:
        attributes[RUN_DUE_AT] = _epoch(run_due_at(now))
    return attributes


def run_fields(item: Mapping[str, Any]) -> dict[str, Any]:
    """The run state of an import's item as ProjectImport's fields (absent on items stored before runs)."""
    fields: dict[str, Any] = {"status": item[RUN_STATUS]["S"] if RUN_STATUS in item else None}
    if COMMIT_SHA in item:
        fields["commit_sha"] = item[COMMIT_SHA]["S"]
    if IMPORTED_AT in item:
        fields["imported_at"] = item[IMPORTED_AT]["S"]
    if RUN_ERROR in item:
        error = item[RUN_ERROR]["M"]
        fields["error"] = {name: value["S"] for name, value in error.items()}
    if CONTEXT in item:
        fields["context"] = {name: int(value["N"]) for name, value in item[CONTEXT]["M"].items()}
    return fields


class DynamoRunStore:
    """domain.import_runs.RunStore and domain.import_sweep.OverdueRuns on the data table."""

    def __init__(self, client: DynamoDBClient, data_table: str) -> None:
        self._client = client
        self._data_table = data_table

    def claim(self, job: ImportJob, run_id: str, now: datetime, lease_until: datetime) -> ClaimedRun | None:
        item = self._client.get_item(TableName=self._data_table, Key=_import_key(job), ConsistentRead=True).get("Item")
        if item is None or item.get(RUN_START_ID, {}).get("S") != job.start_id:
            return None
        status = item.get(RUN_STATUS, {}).get("S")
        claimed = ClaimedRun(
            job=job,
            run_id=run_id,
            source_type=SourceType(item["source_type"]["S"]),
            source_path=item["source_path"]["S"],
            source_ref=item["source_ref"]["S"] if "source_ref" in item else None,
            upload_key=item[UPLOAD_KEY]["S"] if UPLOAD_KEY in item else None,
            overtaken_run_id=item.get(RUN_ID, {}).get("S") if status == RunStatus.IMPORTING else None,
        )
        condition = "#start = :start AND (#status = :pending OR (#status = :importing AND #lease < :now))"
        values: dict[str, AttributeValueTypeDef] = {
            ":start": {"S": job.start_id},
            ":pending": {"S": RunStatus.PENDING.value},
            ":importing": {"S": RunStatus.IMPORTING.value},
            ":now": _epoch(now),
            ":run": {"S": run_id},
            ":lease_until": _epoch(lease_until),
            ":due": _epoch(run_due_at(lease_until)),
        }
        names = {
            "#start": RUN_START_ID,
            "#status": RUN_STATUS,
            "#lease": RUN_LEASE_UNTIL,
            "#run": RUN_ID,
            "#due": RUN_DUE_AT,
        }
        update = "SET #status = :importing, #run = :run, #lease = :lease_until, #due = :due"
        # The user only on the import itself: its copy must not count in runs_importing twice.
        names["#importing_user"] = IMPORTING_USER
        values[":user"] = _number(job.user_id)
        on_import = f"{update}, #importing_user = :user"
        written = self._write(claimed.job, claimed.source_type, update, condition, names, values, on_import)
        return claimed if written else None

    def runs_importing(self, user_id: int, now: datetime) -> int:
        response = self._client.query(
            TableName=self._data_table,
            IndexName=keys.RUNS_IMPORTING_INDEX,
            KeyConditionExpression="#user = :user AND #lease > :now",
            ExpressionAttributeNames={"#user": IMPORTING_USER, "#lease": RUN_LEASE_UNTIL},
            ExpressionAttributeValues={":user": _number(user_id), ":now": _epoch(now)},
            Select="COUNT",
        )
        return response["Count"]  # a user's few live runs: far below a Query page's 1 MB

    def complete(self, run: ClaimedRun, completed: CompletedRun, now: datetime) -> bool:
        summary = completed.summary
        values: dict[str, AttributeValueTypeDef] = {
            ":completed": {"S": RunStatus.COMPLETED.value},
            ":imported_at": {"S": format_utc_timestamp(now)},
            ":context": {
                "M": {
                    "files": _number(summary.files),
                    "bytes": _number(summary.bytes),
                    "skipped_files": _number(summary.skipped_files),
                    "secrets_found": _number(summary.secrets_found),
                    "tokens": _number(summary.tokens),
                }
            },
            ":prefix": {"S": completed.content_prefix},
        }
        names = {"#imported_at": IMPORTED_AT, "#context": CONTEXT, "#prefix": CONTENT_PREFIX}
        sets = "#status = :completed, #imported_at = :imported_at, #context = :context, #prefix = :prefix"
        if completed.commit_sha is not None:
            values[":commit"] = {"S": completed.commit_sha}
            names["#commit"] = COMMIT_SHA
            sets += ", #commit = :commit"
        return self._claimed_write(
            run, f"SET {sets} REMOVE {_removals(names, (*_ENDS_A_RUN, RUN_ERROR))}", names, values
        )

    def fail(self, run: ClaimedRun, failure: ImportFailed, now: datetime) -> bool:
        return self._record(run, RunStatus.FAILED, failure, due_at=None)

    def defer(self, run: ClaimedRun, failure: ImportFailed, now: datetime) -> bool:
        """Pending again, due once the rate limit's reset has passed (the job is sent for then)."""
        return self._record(run, RunStatus.PENDING, failure, due_at=run_due_at(failure.retry_at or now))

    def release(self, run: ClaimedRun) -> bool:
        # run_due_at stays as the claim set it (the lease's end, and then some): the try's retry is
        # hidden far shorter than that, so only a retry that was lost is swept.
        names: dict[str, str] = {}
        values: dict[str, AttributeValueTypeDef] = {":pending": {"S": RunStatus.PENDING.value}}
        update = f"SET #status = :pending REMOVE {_removals(names, _ENDS_A_CLAIM)}"
        return self._claimed_write(run, update, names, values)

    def abandon(self, job: ImportJob, failure: ImportFailed, now: datetime) -> bool:
        item = self._client.get_item(
            TableName=self._data_table, Key=_import_key(job), ConsistentRead=True, ProjectionExpression="source_type"
        ).get("Item")
        if item is None:
            return False
        names = {"#start": RUN_START_ID, "#status": RUN_STATUS, "#error": RUN_ERROR}
        values: dict[str, AttributeValueTypeDef] = {
            ":start": {"S": job.start_id},
            ":pending": {"S": RunStatus.PENDING.value},
            ":importing": {"S": RunStatus.IMPORTING.value},
            ":failed": {"S": RunStatus.FAILED.value},
            ":error": _error(failure),
        }
        update = f"SET #status = :failed, #error = :error REMOVE {_removals(names, _ENDS_A_RUN)}"
        condition = "#start = :start AND #status IN (:pending, :importing)"
        return self._write(job, SourceType(item["source_type"]["S"]), update, condition, names, values)

    def _record(self, run: ClaimedRun, status: RunStatus, failure: ImportFailed, due_at: datetime | None) -> bool:
        """`status` with the failure as its error, the claim ended; the run over, or due again at `due_at`."""
        names = {"#error": RUN_ERROR}
        values: dict[str, AttributeValueTypeDef] = {":recorded": {"S": status.value}, ":error": _error(failure)}
        sets = "#status = :recorded, #error = :error"
        if due_at is not None:
            names["#due"], values[":due"] = RUN_DUE_AT, _epoch(due_at)
            sets += ", #due = :due"
        removed = _ENDS_A_RUN if due_at is None else _ENDS_A_CLAIM
        return self._claimed_write(run, f"SET {sets} REMOVE {_removals(names, removed)}", names, values)

    def overdue(self, now: datetime, limit: int) -> list[OverdueRun]:
        """Each shard of the runs_due index, up to `now` (eventually consistent: a run that just moved
        on may still be listed, and postpone() then leaves it be)."""
        found: list[OverdueRun] = []
        for shard in range(keys.RUNS_DUE_SHARDS):
            request: QueryInputTypeDef = {
                "TableName": self._data_table,
                "IndexName": keys.RUNS_DUE_INDEX,
                "KeyConditionExpression": "#shard = :shard AND #due <= :now",
                "ExpressionAttributeNames": {"#shard": keys.RUNS_DUE_SHARD, "#due": RUN_DUE_AT},
                "ExpressionAttributeValues": {":shard": {"N": str(shard)}, ":now": _epoch(now)},
            }
            while len(found) < limit:
                request["Limit"] = limit - len(found)
                response = self._client.query(**request)
                found.extend(_overdue_run(item) for item in response.get("Items", []))
                if "LastEvaluatedKey" not in response:
                    break
                request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return found

    def postpone(self, run: OverdueRun, until: datetime) -> bool:
        names = {"#start": RUN_START_ID, "#due": RUN_DUE_AT}
        values: dict[str, AttributeValueTypeDef] = {
            ":start": {"S": run.job.start_id},
            ":seen": _epoch(run.due_at),
            ":until": _epoch(until),
        }
        condition = "#start = :start AND #due = :seen"
        return self._write(run.job, run.source_type, "SET #due = :until", condition, names, values)

    def _claimed_write(
        self, run: ClaimedRun, update: str, names: dict[str, str], values: dict[str, AttributeValueTypeDef]
    ) -> bool:
        """A write that holds only while the claim is this run's: same start, same run id."""
        names = names | {"#start": RUN_START_ID, "#status": RUN_STATUS, "#run": RUN_ID}
        values = values | {":start": {"S": run.job.start_id}, ":run": {"S": run.run_id}}
        return self._write(run.job, run.source_type, update, "#start = :start AND #run = :run", names, values)

    def _write(
        self,
        job: ImportJob,
        source_type: SourceType,
        update: str,
        condition: str,
        names: dict[str, str],
        values: dict[str, AttributeValueTypeDef],
        update_on_import: str | None = None,
    ) -> bool:
        """The update on the import (under the condition; `update_on_import` instead, when given) and on
        its copy, at once; False if refused."""
        import_update = update_on_import or update
        on_import: TransactWriteItemTypeDef = {
            "Update": {
                "TableName": self._data_table,
                "Key": _import_key(job),
                "UpdateExpression": import_update,
                "ConditionExpression": condition,
                "ExpressionAttributeNames": _used(names, import_update, condition),
                "ExpressionAttributeValues": _used(values, import_update, condition),
            }
        }
        on_copy: TransactWriteItemTypeDef = {
            "Update": {
                "TableName": self._data_table,
                "Key": keys.import_copy_key(job.user_id, job.project_id, source_type.value, job.import_id),
                "UpdateExpression": update,
                # The copy must exist: an update would otherwise make a partial one.
                "ConditionExpression": "attribute_exists(#pk)",
                "ExpressionAttributeNames": _used(names, update) | {"#pk": keys.PARTITION_KEY},
                "ExpressionAttributeValues": _used(values, update),
            }
        }
        try:
            self._client.transact_write_items(TransactItems=[on_import, on_copy])
        except self._client.exceptions.TransactionCanceledException as cancelled:
            reasons = [reason.get("Code") for reason in cancelled.response.get("CancellationReasons", [])]
            if reasons[:1] == [_CONDITIONAL_CHECK_FAILED]:
                return False
            raise
        return True


def _overdue_run(item: Mapping[str, Any]) -> OverdueRun:
    job = ImportJob(
        user_id=int(item["neptun_user_id"]["N"]),
        project_id=int(item["project_id"]["N"]),
        import_id=int(item["id"]["N"]),
        start_id=item[RUN_START_ID]["S"],
    )
    due_at = datetime.fromtimestamp(int(item[RUN_DUE_AT]["N"]), UTC)
    return OverdueRun(job=job, source_type=SourceType(item["source_type"]["S"]), due_at=due_at)


def _import_key(job: ImportJob) -> keys.Key:
    return keys.import_key(job.user_id, job.project_id, job.import_id)


def _removals(names: dict[str, str], attributes: tuple[str, ...]) -> str:
    """`#a, #b` for REMOVE, adding each attribute's placeholder to `names`."""
    placeholders = []
    for attribute in attributes:
        placeholder = f"#{attribute}"
        names[placeholder] = attribute
        placeholders.append(placeholder)
    return ", ".join(placeholders)


def _used(placeholders: Mapping[str, _Placeheld], *expressions: str) -> dict[str, _Placeheld]:
    # DynamoDB refuses a request that defines a name or value its expressions do not use.
    tokens = {token for expression in expressions for token in _PLACEHOLDER.findall(expression)}
    return {name: value for name, value in placeholders.items() if name in tokens}


def _error(failure: ImportFailed) -> AttributeValueTypeDef:
    error: dict[str, Any] = {"code": {"S": failure.code.value}, "message": {"S": str(failure)}}
    if failure.retry_at is not None:
        error["retry_at"] = {"S": format_utc_timestamp(failure.retry_at)}
    return {"M": error}


def _epoch(moment: datetime) -> AttributeValueTypeDef:
    return {"N": str(int(moment.timestamp()))}


def _number(value: int) -> AttributeValueTypeDef:
    return {"N": str(value)}
