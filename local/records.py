"""Writes sessions, projects and GitHub App installations exactly as the README's item contracts say.

The login service and the projects service own these items in production; locally and in tests this
module stands in for them, so it must stay the contract written in code.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import TYPE_CHECKING

from dynamodb_store import keys
from local.template import function_environment

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

# The local table names are the ones the function is configured with (template.yaml, resolved locally).
SESSIONS_TABLE = function_environment()["SESSIONS_TABLE_NAME"]
DATA_TABLE = function_environment()["DATA_TABLE_NAME"]


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def put_session(
    client: DynamoDBClient,
    user_id: int,
    token: str | None = None,
    lifetime_seconds: int = 24 * 3600,
    table: str = SESSIONS_TABLE,
) -> str:
    """Store a session for `user_id` and return its cookie value (the table keeps only its hash)."""
    token = token or new_session_token()
    client.put_item(
        TableName=table,
        Item={
            **keys.session_key(hashlib.sha256(token.encode("ascii")).hexdigest()),
            "user_id": {"N": str(user_id)},
            "expires_at": {"N": str(int(time.time()) + lifetime_seconds)},
        },
    )
    return token


def put_project(client: DynamoDBClient, user_id: int, project_id: int, table: str = DATA_TABLE) -> None:
    client.put_item(
        TableName=table,
        Item={
            **keys.project_key(user_id, project_id),
            "user_id": {"N": str(user_id)},
            "project_id": {"N": str(project_id)},
        },
    )


def delete_project(client: DynamoDBClient, user_id: int, project_id: int, table: str = DATA_TABLE) -> None:
    client.delete_item(TableName=table, Key=keys.project_key(user_id, project_id))


def put_installation(
    client: DynamoDBClient,
    user_id: int,
    account_login: str,
    repositories: list[str] | None = None,
    installation_id: int = 1,
    table: str = DATA_TABLE,
) -> None:
    """An installation on `account_login`: all its repositories when `repositories` is None."""
    item: keys.Key = {
        **keys.installation_key(user_id, account_login),
        "installation_id": {"N": str(installation_id)},
        "account_login": {"S": account_login},
        "repository_selection": {"S": "all" if repositories is None else "selected"},
    }
    if repositories is not None:
        item["repositories"] = {"L": [{"S": name} for name in repositories]}
    client.put_item(TableName=table, Item=item)
