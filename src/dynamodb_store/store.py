"""ImportStore on DynamoDB: one BatchGetItem to read; one Query per page; one write per change."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

from domain.access import (
    AccessFacts,
    AccessQuery,
    GithubInstallation,
    ImportKey,
    ProjectKey,
    Session,
)
from domain.errors import (
    AlreadyStoredForKey,
    ImportChanged,
    ImportIdTaken,
    InstallerNotLinked,
    ProjectFull,
    ProjectNotFound,
    StorageBusy,
)
from domain.models import (
    MAX_IMPORTS_PER_PROJECT,
    REQUEST_KEY_WINDOW_SECONDS,
    ImportsQuery,
    ImportsSlice,
    ListOrder,
    ProjectImport,
    RunStatus,
    StoredImport,
    UploadArrival,
    format_utc_timestamp,
)
from domain.source_paths import GithubRepository
from dynamodb_store import keys
from dynamodb_store.installations import StoredItemInvalid, account_copy_from_item, is_link_refusal, link_check
from dynamodb_store.runs import (
    CONTENT_PREFIX,
    NEWEST_UPLOAD_AT,
    NEWEST_UPLOAD_KEY,
    RESET_BY_NEW_SOURCE,
    RESET_BY_REFRESH,
    RUN_STATUS,
    UPLOAD_KEY,
    run_fields,
    start_attributes,
)
from dynamodb_store.throttling import is_throttling

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import (
        AttributeValueTypeDef,
        KeysAndAttributesTypeDef,
        QueryInputTypeDef,
        TransactWriteItemTypeDef,
        UpdateTypeDef,
    )

# BatchGetItem may leave keys unprocessed under throttling; they are asked for again this often,
# with a short exponential pause, before the read is given up as failed.
_MAX_BATCH_GET_ROUNDS = 4
# BatchGetItem takes at most 100 keys per call.
_MAX_BATCH_GET_KEYS = 100
_FIRST_UNPROCESSED_PAUSE_SECONDS = 0.05
_CONDITIONAL_CHECK_FAILED = "ConditionalCheckFailed"
# Cancellation reasons of a transaction that a later attempt may not meet.
_TRANSIENT_CANCELLATIONS = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded", "TransactionConflict"})
# DynamoDB cancels a transaction that meets another one in flight on the same item (two creates in
# one project, which both count in its item; two creates with one Idempotency-Key): it is sent again,
# with a growing pause, until the other one has committed. Each pause is drawn at random up to its
# bound ("full jitter"), so creates that collided once do not all collide again at the same moment.
# Eight rounds wait at most about 1.3 s in all, far longer than a transaction takes.
_TRANSACTION_CONFLICT = "TransactionConflict"
MAX_CONFLICT_ROUNDS = 8
_FIRST_CONFLICT_PAUSE_SECONDS = 0.02
_LONGEST_CONFLICT_PAUSE_SECONDS = 0.32
# The order of the write transaction's items, to read its cancellation reasons by position.
_PROJECT_COUNT, _IMPORT_PUT, _ID_CLAIM_PUT, _COPY_PUT, _REQUEST_KEY_CLAIM_PUT = range(5)
# Every write stores the import's version; items written before versions existed count as version 1.
_VERSION = "version"
# On the project's item: how many imports it holds, counted by the writes that create and delete them.
IMPORT_COUNT = "import_count"
_FIRST_VERSION = 1
_COPY_ENTITY_TYPE = "import_by_source_type"


def new_write_token() -> str:
    """A fresh token from the operating system's entropy (no state in the process: SnapStart-safe)."""
    return uuid.uuid4().hex


class DynamoDBImportStore:
    def __init__(
        self,
        client: DynamoDBClient,
        sessions_table: str,
        data_table: str,
        new_start_id: Callable[[], str] = new_write_token,
    ) -> None:
        self._client = client
        self._sessions_table = sessions_table
        self._data_table = data_table
        # Where a new run's start id comes from (the demo import's is fixed, so make invoke can name it).
        self._new_start_id = new_start_id

    def read_access(self, query: AccessQuery) -> AccessFacts:
        data_keys: list[keys.Key] = []
        if query.project is not None:
            data_keys.append(keys.project_key(query.project.user_id, query.project.project_id))
            if query.github_repository is not None:
                repository = query.github_repository
                data_keys.append(keys.account_installation_key(repository.owner))
                data_keys.append(keys.repository_key(repository.owner, repository.name))
            if query.import_id is not None:
                data_keys.append(keys.import_key(query.project.user_id, query.project.project_id, query.import_id))
        request: dict[str, KeysAndAttributesTypeDef] = {
            self._sessions_table: {"Keys": [keys.session_key(query.token_hash)], "ConsistentRead": True},
        }
        if data_keys:
            request[self._data_table] = {"Keys": data_keys, "ConsistentRead": True}
        try:
            items = self._batch_get(request)
        except ClientError as error:
            raise _busy_or_itself(error) from error
        return _access_facts(query, items.get(self._sessions_table, []), items.get(self._data_table, []))

    def read_installation(self, repository: GithubRepository) -> GithubInstallation | None:
        wanted = list(_installation_keys(repository))
        try:
            items = self._batch_get({self._data_table: {"Keys": wanted, "ConsistentRead": True}})
        except ClientError as error:
            raise _busy_or_itself(error) from error
        return _installation(items.get(self._data_table, []))

    def read_github_link(self, github_user_id: int) -> int | None:
        try:
            item = self._client.get_item(
                TableName=self._data_table,
                Key=keys.github_link_key(github_user_id),
                ConsistentRead=True,
                ProjectionExpression="neptun_user_id",
            ).get("Item")
        except ClientError as error:
            raise _busy_or_itself(error) from error
        return int(item["neptun_user_id"]["N"]) if item and "neptun_user_id" in item else None

    def list_imports(self, project: ProjectKey, query: ImportsQuery) -> ImportsSlice:
        # One more than the page is asked for, so that "more" is known without a second page.
        wanted = query.limit + 1
        request = self._page_query(project, query)
        found: list[ProjectImport] = []
        while len(found) < wanted:
            # DynamoDB stops a Query at 1 MB; a page of imports (at most 101 of a few KB) stays under
            # it, so this reads on only if items ever grow that large.
            request["Limit"] = wanted - len(found)
            try:
                response = self._client.query(**request)
            except ClientError as error:
                raise _busy_or_itself(error) from error
            found.extend(_project_import(item) for item in response.get("Items", []))
            last_key = response.get("LastEvaluatedKey")
            if not last_key:
                break
            request["ExclusiveStartKey"] = last_key
        return ImportsSlice(imports=found[: query.limit], more=len(found) > query.limit)

    def list_completed_imports(self, project: ProjectKey) -> list[StoredImport]:
        # Every import of the project is read (a filter does not lower the read units) and only those with
        # a completed run are returned: at most MAX_IMPORTS_PER_PROJECT items, a few pages of 1 MB.
        request = self._page_query(project, ImportsQuery())
        request["FilterExpression"] = "attribute_exists(#prefix)"
        request["ExpressionAttributeNames"] = {**request.get("ExpressionAttributeNames", {}), "#prefix": CONTENT_PREFIX}
        found: list[StoredImport] = []
        while True:
            try:
                response = self._client.query(**request)
            except ClientError as error:
                raise _busy_or_itself(error) from error
            found.extend(stored_import_from_item(item) for item in response.get("Items", []))
            last_key = response.get("LastEvaluatedKey")
            if not last_key:
                return found
            request["ExclusiveStartKey"] = last_key

    def read_installations(
        self, repositories: Collection[GithubRepository]
    ) -> dict[GithubRepository, GithubInstallation | None]:
        wanted = {repository: _installation_keys(repository) for repository in repositories}
        items = self._batch_get_all(list({_key_id(key): key for pair in wanted.values() for key in pair}.values()))
        found: dict[GithubRepository, GithubInstallation | None] = {}
        for repository, (account_key, repository_key) in wanted.items():
            account = items.get(_key_id(account_key))
            entry = items.get(_key_id(repository_key))
            found[repository] = account_copy_from_item(account, entry) if account is not None else None
        return found

    def _batch_get_all(self, wanted: Sequence[keys.Key]) -> dict[tuple[str, str], dict[str, Any]]:
        """The data table's items under these (distinct) keys, by key, in as few BatchGetItem calls as it takes."""
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for start in range(0, len(wanted), _MAX_BATCH_GET_KEYS):
            chunk = list(wanted[start : start + _MAX_BATCH_GET_KEYS])
            try:
                items = self._batch_get({self._data_table: {"Keys": chunk, "ConsistentRead": True}})
            except ClientError as error:
                raise _busy_or_itself(error) from error
            found.update((_key_id(item), item) for item in items.get(self._data_table, []))
        return found

    def _page_query(self, project: ProjectKey, query: ImportsQuery) -> QueryInputTypeDef:
        # A filtered page reads the copies under its source type: no FilterExpression, so what is read
        # is what is returned, whatever share of the project the filter matches.
        source_type = query.source_type.value if query.source_type is not None else None
        lowest, highest = keys.import_sort_key_range(
            after_id=query.after_id, descending=query.order is ListOrder.DESC, source_type=source_type
        )
        return {
            "TableName": self._data_table,
            "KeyConditionExpression": "#pk = :partition AND #sk BETWEEN :lowest AND :highest",
            "ExpressionAttributeNames": {"#pk": keys.PARTITION_KEY, "#sk": keys.SORT_KEY},
            "ExpressionAttributeValues": {
                ":partition": keys.import_partition(project.user_id, project.project_id),
                ":lowest": {"S": lowest},
                ":highest": {"S": highest},
            },
            "ScanIndexForward": query.order is ListOrder.ASC,
            "ConsistentRead": True,
        }

    def replace_import(
        self, changed: ProjectImport, stored: StoredImport, installer_github_user_id: int | None = None
    ) -> None:
        version = stored.version + 1
        # A new source starts a new run; the old source's run and content are the stream's to clean up.
        new_source = changed.source_differs(stored.import_)
        run_start = start_attributes(changed.status, self._new_start_id(), changed.updated_at) if new_source else None
        import_key, item = _import_key(changed), import_item(changed, version) | keys.runs_due_shard(changed.id)
        update = _client_update(self._data_table, import_key, item, run_start, at_version(stored.version))
        copy = _client_update(self._data_table, _copy_key(changed), source_type_copy(changed, version), run_start)
        transaction: list[TransactWriteItemTypeDef] = [{"Update": update}, {"Update": copy}]
        if stored.import_.source_type is not changed.source_type:
            transaction.append(self._copy_delete(stored.import_))
        link_position = None
        if installer_github_user_id is not None:  # a new GitHub source: the installer's link is checked too
            link_position = len(transaction)
            transaction.append(link_check(self._data_table, installer_github_user_id, changed.neptun_user_id))
        try:
            self._client.transact_write_items(TransactItems=transaction)
        except self._client.exceptions.TransactionCanceledException as cancelled:
            reasons = [reason.get("Code") for reason in cancelled.response.get("CancellationReasons", [])]
            if reasons[:1] == [_CONDITIONAL_CHECK_FAILED]:
                raise ImportChanged from cancelled
            if is_link_refusal(reasons, link_position):
                raise InstallerNotLinked from cancelled
            if _TRANSIENT_CANCELLATIONS.intersection(reasons):
                raise StorageBusy from cancelled
            raise
        except ClientError as error:
            raise _busy_or_itself(error) from error

    def remove_import(self, stored: StoredImport) -> None:
        stored_import = stored.import_
        condition, values = at_version(stored.version)
        delete_import: TransactWriteItemTypeDef = {
            "Delete": {
                "TableName": self._data_table,
                "Key": _import_key(stored_import),
                "ConditionExpression": condition,
                "ExpressionAttributeNames": {"#pk": keys.PARTITION_KEY, "#version": _VERSION},
                "ExpressionAttributeValues": values,
            }
        }
        release_id: TransactWriteItemTypeDef = {
            "Delete": {"TableName": self._data_table, "Key": keys.import_id_claim_key(stored_import.id)}
        }
        uncount: TransactWriteItemTypeDef = {
            "Update": {
                "TableName": self._data_table,
                "Key": keys.project_key(stored_import.neptun_user_id, stored_import.project_id),
                "UpdateExpression": "ADD #count :minus_one",
                # An update would otherwise make a project item of its own.
                "ConditionExpression": "attribute_exists(#pk)",
                "ExpressionAttributeNames": {"#pk": keys.PARTITION_KEY, "#count": IMPORT_COUNT},
                "ExpressionAttributeValues": {":minus_one": _number(-1)},
            }
        }
        transaction = [delete_import, release_id, self._copy_delete(stored_import), uncount]
        try:
            self._write_if_unchanged(transaction)
        except self._client.exceptions.TransactionCanceledException as cancelled:
            reasons = [reason.get("Code") for reason in cancelled.response.get("CancellationReasons", [])]
            if reasons[-1:] == [_CONDITIONAL_CHECK_FAILED]:
                raise ProjectNotFound from cancelled  # deleted between the read and the write
            raise

    def read_import(self, target: ImportKey) -> StoredImport | None:
        project = target.project
        key = keys.import_key(project.user_id, project.project_id, target.import_id)
        try:
            item = self._client.get_item(TableName=self._data_table, Key=key, ConsistentRead=True).get("Item")
        except ClientError as error:
            raise _busy_or_itself(error) from error
        return stored_import_from_item(item) if item is not None else None

    def start_run(self, stored: StoredImport, now: datetime, upload: UploadArrival | None = None) -> StoredImport:
        condition, values = at_version(stored.version)
        # The run status as read, too: two refreshes that read the same `completed` start one run.
        if stored.run_started:
            condition += " AND #run_status = :read_status"
            values = values | {":read_status": {"S": stored.import_.status.value}}
        else:
            condition += " AND attribute_not_exists(#run_status)"
        start = start_attributes(RunStatus.PENDING, self._new_start_id(), now)
        # The shard too: an import stored before the runs_due index had none.
        on_import_start = start | keys.runs_due_shard(stored.import_.id)
        if upload is not None:  # the run reads it from the import's item, which its claim reads
            on_import_start |= _newest_upload_attributes(upload)
            newest, newest_values = _newest_upload_as_read(stored.newest_upload)
            condition, values = f"{condition} AND {newest}", values | newest_values
        on_import = _update(
            self._data_table, _import_key(stored.import_), on_import_start, RESET_BY_REFRESH, (condition, values)
        )
        on_copy = _update(self._data_table, _copy_key(stored.import_), start, RESET_BY_REFRESH)
        # The copy must exist (an update would otherwise make a partial one); so it does since the
        # copies were reconciled (docs/tables.md).
        on_copy["ConditionExpression"] = "attribute_exists(#pk)"
        on_copy["ExpressionAttributeNames"] = {**on_copy["ExpressionAttributeNames"], "#pk": keys.PARTITION_KEY}
        self._write_if_unchanged([{"Update": on_import}, {"Update": on_copy}])
        pending = stored.import_.model_copy(update={"status": RunStatus.PENDING, "error": None})
        return StoredImport(pending, stored.version, run_started=True, content_prefix=stored.content_prefix)

    def _write_if_unchanged(self, transaction: list[TransactWriteItemTypeDef]) -> None:
        """A transaction whose first item holds the condition on the import: ImportChanged if refused.
        Sent again through conflicts, as a create is: a delete counts in the project's item too."""
        try:
            self._write_through_conflicts(transaction)
        except self._client.exceptions.TransactionCanceledException as cancelled:
            reasons = [reason.get("Code") for reason in cancelled.response.get("CancellationReasons", [])]
            if reasons[:1] == [_CONDITIONAL_CHECK_FAILED]:
                raise ImportChanged from cancelled
            if _TRANSIENT_CANCELLATIONS.intersection(reasons):
                raise StorageBusy from cancelled
            raise
        except ClientError as error:
            raise _busy_or_itself(error) from error

    def _copy_put(
        self, stored_import: ProjectImport, version: int, run_start: dict[str, AttributeValueTypeDef]
    ) -> TransactWriteItemTypeDef:
        """The import's copy under its source type, which filtered pages read (keys.py)."""
        item = source_type_copy(stored_import, version) | run_start
        return {"Put": {"TableName": self._data_table, "Item": item}}

    def _copy_delete(self, stored_import: ProjectImport) -> TransactWriteItemTypeDef:
        # Unconditional: an import stored before copies existed has none, and that is fine.
        key = _copy_key(stored_import)
        return {"Delete": {"TableName": self._data_table, "Key": key}}

    def add_import(
        self,
        new_import: ProjectImport,
        request_key: str | None,
        fingerprint: str | None,
        installer_github_user_id: int | None = None,
    ) -> None:
        # Marks this call's writes. If botocore retries the transaction after its response was lost,
        # the retry collides with the first attempt's own items; the token tells them apart from
        # another create's. (DynamoDB's ClientRequestToken, which botocore fills in, covers the same
        # case within ten minutes; this does not depend on it.)
        write_token = new_write_token()
        run_start = start_attributes(new_import.status, self._new_start_id(), new_import.created_at)
        transaction = self._import_transaction(new_import, write_token, run_start)
        if request_key is not None:
            transaction.append(self._request_key_claim(new_import, request_key, fingerprint))
        link_position = None
        if installer_github_user_id is not None:  # a GitHub import: the installation must be this user's
            link_position = len(transaction)
            transaction.append(link_check(self._data_table, installer_github_user_id, new_import.neptun_user_id))
        try:
            self._write_through_conflicts(transaction)
        except self._client.exceptions.TransactionCanceledException as cancelled:
            reasons = [reason.get("Code") for reason in cancelled.response.get("CancellationReasons", [])]
            failed = [i for i, code in enumerate(reasons) if code == _CONDITIONAL_CHECK_FAILED]
            project_full = (
                _PROJECT_COUNT in failed and "Item" in cancelled.response["CancellationReasons"][_PROJECT_COUNT]
            )
            if _PROJECT_COUNT in failed and not project_full:
                raise ProjectNotFound from cancelled
            if is_link_refusal(reasons, link_position):
                raise InstallerNotLinked from cancelled
            # The claims are Put with ReturnValuesOnConditionCheckFailure, so a reason carries the item
            # that stood in the way (DynamoDB and moto both return it): no read, no GetItem grant. A
            # replay answers what the key stored, even once the project is full.
            if _REQUEST_KEY_CLAIM_PUT in failed and request_key is not None:
                raise _already_stored(cancelled.response["CancellationReasons"][_REQUEST_KEY_CLAIM_PUT]) from cancelled
            if project_full:
                raise ProjectFull(MAX_IMPORTS_PER_PROJECT) from cancelled
            if _IMPORT_PUT in failed or _ID_CLAIM_PUT in failed:
                id_claim: Mapping[str, Any] = cancelled.response["CancellationReasons"][_ID_CLAIM_PUT].get("Item", {})
                if id_claim.get("write_token", {}).get("S") == write_token:
                    return  # our own first attempt went through; its response was lost
                raise ImportIdTaken from cancelled
            if _TRANSIENT_CANCELLATIONS.intersection(reasons):
                raise StorageBusy from cancelled
            raise
        except ClientError as error:
            raise _busy_or_itself(error) from error

    def _write_through_conflicts(self, transaction: list[TransactWriteItemTypeDef]) -> None:
        pause = _FIRST_CONFLICT_PAUSE_SECONDS
        for _ in range(MAX_CONFLICT_ROUNDS - 1):
            try:
                self._client.transact_write_items(TransactItems=transaction)
            except self._client.exceptions.TransactionCanceledException as cancelled:
                reasons = [reason.get("Code") for reason in cancelled.response.get("CancellationReasons", [])]
                if _TRANSACTION_CONFLICT not in reasons or _CONDITIONAL_CHECK_FAILED in reasons:
                    raise
                time.sleep(random.uniform(0, pause))  # noqa: S311 (spreading retries, not a secret)
                pause = min(pause * 2, _LONGEST_CONFLICT_PAUSE_SECONDS)
            else:
                return
        self._client.transact_write_items(TransactItems=transaction)

    def _request_key_claim(
        self, new_import: ProjectImport, request_key: str, fingerprint: str | None
    ) -> TransactWriteItemTypeDef:
        # A key replays for REQUEST_KEY_WINDOW_SECONDS. TTL deletes the claim after that, but may lag by
        # days, so an expired claim that is still there is overwritten rather than honoured.
        now = int(new_import.created_at.timestamp())
        expires_at = now + REQUEST_KEY_WINDOW_SECONDS
        item = (
            keys.request_key_claim_key(request_key)
            | _import_attributes(new_import)
            | {
                "expires_at": _number(expires_at),
                "fingerprint": {"S": fingerprint or ""},
            }
        )
        return {
            "Put": {
                "TableName": self._data_table,
                "Item": item,
                "ConditionExpression": f"attribute_not_exists({keys.PARTITION_KEY}) OR expires_at < :now",
                "ExpressionAttributeValues": {":now": _number(now)},
                # DynamoDB returns the claim that stood in the way, sparing a read to find it.
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    def _batch_get(self, request: dict[str, KeysAndAttributesTypeDef]) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {}
        pause = _FIRST_UNPROCESSED_PAUSE_SECONDS
        for _ in range(_MAX_BATCH_GET_ROUNDS):
            response = self._client.batch_get_item(RequestItems=request)
            for table, table_items in response.get("Responses", {}).items():
                found.setdefault(table, []).extend(table_items)
            unprocessed = response.get("UnprocessedKeys", {})
            if not unprocessed:
                return found
            request = cast("dict[str, KeysAndAttributesTypeDef]", unprocessed)
            time.sleep(pause)
            pause *= 2
        # DynamoDB leaves keys unprocessed when it throttles them.
        raise StorageBusy(f"BatchGetItem left keys unprocessed {_MAX_BATCH_GET_ROUNDS} times")

    def _import_transaction(
        self, new_import: ProjectImport, write_token: str, run_start: dict[str, AttributeValueTypeDef]
    ) -> list[TransactWriteItemTypeDef]:
        user_id, project_id, import_id = new_import.neptun_user_id, new_import.project_id, new_import.id
        not_yet_stored = f"attribute_not_exists({keys.PARTITION_KEY})"
        return [
            {
                # Counted in its project, conditioned on the project and on its room: no import for a
                # project deleted meanwhile, none past the cap however many creates race. (Concurrent
                # transactions on one item conflict; the conflict rounds above retry them.)
                "Update": {
                    "TableName": self._data_table,
                    "Key": keys.project_key(user_id, project_id),
                    "UpdateExpression": "ADD #count :one",
                    "ConditionExpression": "attribute_exists(#pk) AND (attribute_not_exists(#count) OR #count < :most)",
                    "ExpressionAttributeNames": {"#pk": keys.PARTITION_KEY, "#count": IMPORT_COUNT},
                    "ExpressionAttributeValues": {":one": _number(1), ":most": _number(MAX_IMPORTS_PER_PROJECT)},
                    # The project as it stood tells a full project from a missing one.
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
            {
                "Put": {
                    "TableName": self._data_table,
                    "Item": import_item(new_import, _FIRST_VERSION) | run_start | keys.runs_due_shard(import_id),
                    "ConditionExpression": not_yet_stored,
                }
            },
            {
                "Put": {
                    "TableName": self._data_table,
                    "Item": keys.import_id_claim_key(import_id)
                    | {
                        "user_id": _number(user_id),
                        "project_id": _number(project_id),
                        "write_token": {"S": write_token},
                    },
                    "ConditionExpression": not_yet_stored,
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
            # Unconditional: the id claim already makes the id this import's alone.
            self._copy_put(new_import, _FIRST_VERSION, run_start),
        ]


def import_item(stored_import: ProjectImport, version: int) -> dict[str, AttributeValueTypeDef]:
    """The import's own item, as every write stores it."""
    return _import_key(stored_import) | _import_attributes(stored_import) | {_VERSION: _number(version)}


def source_type_copy(stored_import: ProjectImport, version: int) -> dict[str, AttributeValueTypeDef]:
    """The item a filtered page reads: the import's attributes and version under its source type's key."""
    copied = import_item(stored_import, version) | _copy_key(stored_import)
    return copied | {"entity_type": {"S": _COPY_ENTITY_TYPE}}


def copy_of_import_item(item: Mapping[str, AttributeValueTypeDef]) -> dict[str, AttributeValueTypeDef]:
    """The copy an import's item should have: all its attributes, run state included, under the copy's key
    (but those that put the import in an index: keys.IMPORT_ONLY_ATTRIBUTES)."""
    stored = stored_import_from_item(item)
    attributes = {name: value for name, value in item.items() if name not in keys.IMPORT_ONLY_ATTRIBUTES}
    copied = attributes | {_VERSION: _number(stored.version)} | _copy_key(stored.import_)
    return copied | {"entity_type": {"S": _COPY_ENTITY_TYPE}}


_OPTIONAL_ATTRIBUTES = ("source_ref", "title", "description")


def _client_update(
    table: str,
    key: keys.Key,
    item: dict[str, AttributeValueTypeDef],
    run_start: dict[str, AttributeValueTypeDef] | None,
    condition: tuple[str, dict[str, AttributeValueTypeDef]] | None = None,
) -> UpdateTypeDef:
    """An UpdateItem that writes the client's attributes (and, for a new source, a new run's start).

    Not a Put: what a run recorded on the item stays, unless the source changed."""
    attributes = {name: value for name, value in item.items() if name not in key} | (run_start or {})
    removed = [name for name in _OPTIONAL_ATTRIBUTES if name not in attributes]
    if run_start is not None:  # what the new run sets is not removed (DynamoDB refuses both in one update)
        removed += [name for name in RESET_BY_NEW_SOURCE if name not in attributes]
    return _update(table, key, attributes, removed, condition)


def _update(
    table: str,
    key: keys.Key,
    attributes: Mapping[str, AttributeValueTypeDef],
    removed: Sequence[str],
    condition: tuple[str, dict[str, AttributeValueTypeDef]] | None = None,
) -> UpdateTypeDef:
    """UpdateItem setting `attributes` and removing `removed`, if given under `condition` (at_version's names)."""
    names = {f"#{name}": name for name in attributes}
    values = {f":{name}": value for name, value in attributes.items()}
    update = "SET " + ", ".join(f"#{name} = :{name}" for name in attributes)
    if removed:
        names |= {f"#{name}": name for name in removed}
        update += " REMOVE " + ", ".join(f"#{name}" for name in removed)
    written: UpdateTypeDef = {"TableName": table, "Key": key, "UpdateExpression": update}
    if condition is not None:
        expression, condition_values = condition
        written["ConditionExpression"] = expression
        names |= {"#pk": keys.PARTITION_KEY, "#version": _VERSION}
        values |= condition_values
    return written | {"ExpressionAttributeNames": names, "ExpressionAttributeValues": values}


def _import_key(stored_import: ProjectImport) -> keys.Key:
    return keys.import_key(stored_import.neptun_user_id, stored_import.project_id, stored_import.id)


def _copy_key(stored_import: ProjectImport) -> keys.Key:
    return keys.import_copy_key(
        stored_import.neptun_user_id, stored_import.project_id, stored_import.source_type.value, stored_import.id
    )


def at_version(expected_version: int) -> tuple[str, dict[str, AttributeValueTypeDef]]:
    """A condition: the import exists and is at `expected_version` (an unversioned item is version 1).

    It names `#pk` and `#version`; the caller maps them to PK and `version`."""
    condition = "attribute_exists(#pk) AND #version = :expected"
    if expected_version == _FIRST_VERSION:
        condition = "attribute_exists(#pk) AND (attribute_not_exists(#version) OR #version = :expected)"
    return condition, {":expected": _number(expected_version)}


def _already_stored(reason: Mapping[str, Any]) -> AlreadyStoredForKey:
    claim = reason.get("Item")
    if claim is None:
        raise StoredItemInvalid("DynamoDB did not return the request key claim that refused the write")
    return AlreadyStoredForKey(_project_import(claim), claim.get("fingerprint", {}).get("S") or None)


def _busy_or_itself(error: ClientError) -> Exception:
    return StorageBusy(str(error)) if is_throttling(error) else error


def _access_facts(
    query: AccessQuery, session_items: list[dict[str, Any]], data_items: list[dict[str, Any]]
) -> AccessFacts:
    project_key = keys.project_key(query.project.user_id, query.project.project_id) if query.project else None
    project_exists = any(_has_key(item, project_key) for item in data_items) if project_key else False
    import_items = [item for item in data_items if keys.is_import(item)]
    return AccessFacts(
        session=_session(session_items[0]) if session_items else None,
        project_exists=project_exists,
        installation=_installation(data_items),
        stored_import=stored_import_from_item(import_items[0]) if import_items else None,
    )


def _installation(data_items: list[dict[str, Any]]) -> GithubInstallation | None:
    """The account copy among the items read, as far as the repository's item among them tells."""
    copies = [item for item in data_items if keys.is_account_installation(item)]
    repositories = [item for item in data_items if keys.is_repository(item)]
    return account_copy_from_item(copies[0], repositories[0] if repositories else None) if copies else None


def _installation_keys(repository: GithubRepository) -> tuple[keys.Key, keys.Key]:
    """What read_installation reads: the account's copy of its installation, and the repository's item."""
    return keys.account_installation_key(repository.owner), keys.repository_key(repository.owner, repository.name)


def _key_id(item: Mapping[str, Any]) -> tuple[str, str]:
    """An item's (or a key's) partition and sort key, to find it among those read."""
    return item[keys.PARTITION_KEY]["S"], item[keys.SORT_KEY]["S"]


def _has_key(item: dict[str, Any], key: keys.Key) -> bool:
    return all(item.get(name) == value for name, value in key.items())


def _session(item: dict[str, Any]) -> Session:
    try:
        return Session(user_id=int(item["user_id"]["N"]), expires_at=int(item["expires_at"]["N"]))
    except (KeyError, ValueError) as broken:
        raise StoredItemInvalid("session item lacks a numeric user_id or expires_at") from broken


def stored_import_from_item(item: Mapping[str, Any]) -> StoredImport:
    try:
        version = int(item.get(_VERSION, _number(_FIRST_VERSION))["N"])
    except (KeyError, ValueError) as broken:
        raise StoredItemInvalid("import item has a version that is not a number") from broken
    prefix = item[CONTENT_PREFIX]["S"] if CONTENT_PREFIX in item else None
    return StoredImport(
        _project_import(item),
        version,
        run_started=RUN_STATUS in item,
        content_prefix=prefix,
        newest_upload=_newest_upload(item),
    )


def _newest_upload(item: Mapping[str, Any]) -> UploadArrival | None:
    if NEWEST_UPLOAD_KEY not in item:
        return None
    try:
        return UploadArrival(datetime.fromisoformat(item[NEWEST_UPLOAD_AT]["S"]), item[NEWEST_UPLOAD_KEY]["S"])
    except (KeyError, ValueError) as broken:
        raise StoredItemInvalid("import item has a newest upload without a time") from broken


def _newest_upload_attributes(upload: UploadArrival) -> dict[str, AttributeValueTypeDef]:
    """The upload the wanted run reads (released when the run ends) and the newest one (kept)."""
    stored_at = format_utc_timestamp(upload.stored_at)
    return {UPLOAD_KEY: {"S": upload.key}, NEWEST_UPLOAD_KEY: {"S": upload.key}, NEWEST_UPLOAD_AT: {"S": stored_at}}


def _newest_upload_as_read(newest: UploadArrival | None) -> tuple[str, dict[str, AttributeValueTypeDef]]:
    """The condition that the import's newest upload is still the one read: two arrivals told at once
    cannot both take the run (the older one would otherwise win by being written last)."""
    if newest is None:
        return f"attribute_not_exists({NEWEST_UPLOAD_KEY})", {}
    return f"{NEWEST_UPLOAD_KEY} = :read_newest_upload", {":read_newest_upload": {"S": newest.key}}


def _project_import(item: Mapping[str, Any]) -> ProjectImport:
    try:
        return ProjectImport(
            id=int(item["id"]["N"]),
            source_type=item["source_type"]["S"],
            source_path=item["source_path"]["S"],
            source_ref=item["source_ref"]["S"] if "source_ref" in item else None,
            title=item["title"]["S"] if "title" in item else None,
            description=item["description"]["S"] if "description" in item else None,
            created_at=item["created_at"]["S"],
            updated_at=item["updated_at"]["S"],
            neptun_user_id=int(item["neptun_user_id"]["N"]),
            project_id=int(item["project_id"]["N"]),
            **run_fields(item),
        )
    except (KeyError, ValueError) as broken:
        raise StoredItemInvalid("import item does not have the documented shape") from broken


def _import_attributes(new_import: ProjectImport) -> dict[str, AttributeValueTypeDef]:
    attributes: dict[str, AttributeValueTypeDef] = {
        "entity_type": {"S": "import"},
        "id": _number(new_import.id),
        "source_type": {"S": new_import.source_type.value},
        "source_path": {"S": new_import.source_path},
        "created_at": {"S": format_utc_timestamp(new_import.created_at)},
        "updated_at": {"S": format_utc_timestamp(new_import.updated_at)},
        "neptun_user_id": _number(new_import.neptun_user_id),
        "project_id": _number(new_import.project_id),
    }
    # Absent optional fields are left out rather than stored as NULL, as DynamoDB items usually are.
    if new_import.source_ref is not None:
        attributes["source_ref"] = {"S": new_import.source_ref}
    if new_import.title is not None:
        attributes["title"] = {"S": new_import.title}
    if new_import.description is not None:
        attributes["description"] = {"S": new_import.description}
    return attributes


def _number(value: int) -> AttributeValueTypeDef:
    return {"N": str(value)}
