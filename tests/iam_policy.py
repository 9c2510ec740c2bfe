"""The DynamoDB grants template.yaml gives each function, evaluated as IAM evaluates them.

`IamGuard` checks every request a handler's DynamoDB client sends while a test invokes it against
its function's own policy (action, table, and `dynamodb:LeadingKeys` under `ForAllValues:StringLike`),
so a key format or an operation the template does not grant fails the test that used it, instead of
failing only on AWS (moto and DynamoDB Local do not enforce IAM).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from dynamodb_store import keys
from local.template import Intrinsic, function_environment, resources_of_type

FUNCTIONS = resources_of_type("AWS::Serverless::Function")
_TABLE_KEYS = {"SessionsTable": keys.SESSION_KEY_ATTRIBUTE, "DataTable": keys.PARTITION_KEY}
# The write a transaction item is authorized as.
_TRANSACTION_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Delete": "dynamodb:DeleteItem",
    "Update": "dynamodb:UpdateItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}
_SINGLE_ITEM = {"GetItem": "Key", "PutItem": "Item", "DeleteItem": "Key", "UpdateItem": "Key"}


def policy_statements(function_id: str) -> list[dict[str, Any]]:
    statements = []
    for policy in FUNCTIONS[function_id]["Properties"]["Policies"]:
        assert isinstance(policy, dict)
        assert "Statement" in policy, f"only inline statements, no managed or SAM policy templates: {policy}"
        statements.extend(policy["Statement"])
    return statements


def grants(function_id: str) -> set[tuple[str, str]]:
    """Every (action, resource) the function's statements allow, resources named as resource_name names them."""
    return {
        (action, resource_name(resource))
        for statement in policy_statements(function_id)
        for action in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    }


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def resource_name(resource: Intrinsic | str) -> str:
    """`SessionsTable.Arn` for a table's ARN (`!If [CreatesSessionsTable, !GetAtt SessionsTable.Arn, ...]`)."""
    if isinstance(resource, str):
        return resource
    if resource.tag == "If":
        _condition, created, _existing = resource.value
        return str(created.value)
    return str(resource.value)


@dataclass(frozen=True)
class Access:
    """One authorization IAM makes for a request: an action on a table for a set of partition keys."""

    action: str
    table: str  # logical id: SessionsTable or DataTable
    leading_keys: frozenset[str]
    index: str | None = None  # a Query of one of the table's indexes (its own resource in IAM)

    @property
    def resource(self) -> str:
        """The resource as resource_name names it: `DataTable.Arn`, or `${DataTable.Arn}/index/<name>`."""
        return f"{self.table}.Arn" if self.index is None else f"${{{self.table}.Arn}}/index/{self.index}"


def allows(function_id: str, access: Access) -> bool:
    for statement in policy_statements(function_id):
        if statement["Effect"] != "Allow" or access.action not in as_list(statement["Action"]):
            continue
        if access.resource not in {resource_name(resource) for resource in as_list(statement["Resource"])}:
            continue
        condition = statement.get("Condition")
        if condition is None:
            return True
        if _leading_keys_allowed(condition, access.leading_keys):
            return True
    return False


_LEADING_KEY_OPERATORS = {"ForAllValues:StringLike", "ForAllValues:StringNotLike"}


def _leading_keys_allowed(condition: dict[str, Any], leading_keys: frozenset[str]) -> bool:
    """Every key matches a StringLike pattern and no StringNotLike one (IAM ANDs a statement's operators)."""
    if not set(condition) <= _LEADING_KEY_OPERATORS or "ForAllValues:StringLike" not in condition:
        return False
    like = as_list(condition["ForAllValues:StringLike"].get("dynamodb:LeadingKeys", []))
    not_like = as_list(condition.get("ForAllValues:StringNotLike", {}).get("dynamodb:LeadingKeys", []))
    return all(
        any(fnmatch.fnmatchcase(key, pattern) for pattern in like)
        and not any(fnmatch.fnmatchcase(key, pattern) for pattern in not_like)
        for key in leading_keys
    )


def accesses(operation: str, params: dict[str, Any], tables: dict[str, str]) -> list[Access]:
    """What IAM authorizes for one DynamoDB call (`tables`: table name -> logical id)."""
    if operation == "BatchGetItem":
        return [
            _access("dynamodb:BatchGetItem", name, request["Keys"], tables)
            for name, request in params["RequestItems"].items()
        ]
    if operation == "TransactWriteItems":
        found = []
        for item in params["TransactItems"]:
            [(kind, request)] = item.items()
            found.append(_access(_TRANSACTION_ACTIONS[kind], request["TableName"], [_key_of(request)], tables))
        return found
    if operation == "Query" and "IndexName" in params:  # IAM checks the index's ARN, not the table's
        return [Access("dynamodb:Query", tables[params["TableName"]], frozenset(), index=params["IndexName"])]
    if operation == "Query":
        return [_access("dynamodb:Query", params["TableName"], [_queried_partition(params, tables)], tables)]
    if operation in _SINGLE_ITEM:
        return [_access(f"dynamodb:{operation}", params["TableName"], [params[_SINGLE_ITEM[operation]]], tables)]
    return [Access(f"dynamodb:{operation}", tables[params["TableName"]], frozenset())]


def _key_of(request: dict[str, Any]) -> dict[str, Any]:
    return dict(request.get("Key") or request["Item"])


def _access(action: str, table_name: str, items: list[dict[str, Any]], tables: dict[str, str]) -> Access:
    table = tables[table_name]
    attribute = _TABLE_KEYS[table]
    return Access(action, table, frozenset(item[attribute]["S"] for item in items))


def _queried_partition(params: dict[str, Any], tables: dict[str, str]) -> dict[str, Any]:
    attribute = _TABLE_KEYS[tables[params["TableName"]]]
    names = params.get("ExpressionAttributeNames", {})
    for name, value in re.findall(r"(#?\w+)\s*=\s*(:\w+)", params["KeyConditionExpression"]):
        if names.get(name, name) == attribute:
            return {attribute: params["ExpressionAttributeValues"][value]}
    raise LookupError(f"no partition key condition in {params['KeyConditionExpression']}")


# The function whose handler a test is running right now (tests/api_client.invoke sets it).
CURRENT_FUNCTION: ContextVar[str | None] = ContextVar("current_function", default=None)


@contextmanager
def running(function_id: str) -> Iterator[None]:
    token = CURRENT_FUNCTION.set(function_id)
    try:
        yield
    finally:
        CURRENT_FUNCTION.reset(token)


@dataclass
class IamGuard:
    """A botocore `before-parameter-build.dynamodb` handler recording what the running function may not do."""

    refused: list[str] = field(default_factory=list)
    checked: int = 0

    def __call__(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        function_id = CURRENT_FUNCTION.get()
        if function_id is None:  # the test's own setup, not a handler
            return
        environment = function_environment(function_id)
        tables = {environment["SESSIONS_TABLE_NAME"]: "SessionsTable", environment["DATA_TABLE_NAME"]: "DataTable"}
        try:
            found = accesses(model.name, params, tables)
        except (KeyError, LookupError, ValueError) as unreadable:
            self.refused.append(f"{function_id}: {model.name} not understood: {unreadable!r}")
            return
        for access in found:
            self.checked += 1
            if not allows(function_id, access):
                self.refused.append(
                    f"{function_id}: {access.action} on {access.table} for {sorted(access.leading_keys)}"
                )


@contextmanager
def another_client() -> Iterator[None]:
    """For a test's own writes made while a handler runs (a concurrent user, say): not the function's."""
    token = CURRENT_FUNCTION.set(None)
    try:
        yield
    finally:
        CURRENT_FUNCTION.reset(token)
