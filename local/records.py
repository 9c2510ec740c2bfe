"""Writes sessions, GitHub links, projects and GitHub App installations as docs/tables.md's item contracts say.

The login service and the projects service own sessions, links and projects in production; locally
and in tests this module stands in for them, so it must stay the contract written in code.
Installations are written the way a webhook delivery writes them: through the same use case.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
import zlib
from dataclasses import replace
from typing import TYPE_CHECKING

from domain.access import RepositorySelection
from domain.installations import Change, InstallationDelivery, InstallationService
from dynamodb_store import keys
from dynamodb_store.installations import DynamoDBInstallationLedger, account_copy_holder
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


def local_github_user_id(user_id: int) -> int:
    """The GitHub user id local data links a Neptun user to, unless told another."""
    return 1_000_000 + user_id


def put_github_link(client: DynamoDBClient, user_id: int, github_user_id: int, table: str = DATA_TABLE) -> None:
    """The login service's link: GitHub user `github_user_id` signed in as Neptun user `user_id`."""
    client.put_item(
        TableName=table,
        Item={
            **keys.github_link_key(github_user_id),
            "github_user_id": {"N": str(github_user_id)},
            "neptun_user_id": {"N": str(user_id)},
        },
    )


def put_installation(
    client: DynamoDBClient,
    user_id: int,
    account_login: str,
    repositories: list[str] | None = None,
    installer_github_user_id: int | None = None,
    table: str = DATA_TABLE,
) -> int:
    """Link the user to a GitHub user and install the app on `account_login` as that GitHub user, as
    GitHub's deliveries do: on all repositories when `repositories` is None. An installation already
    on that account is uninstalled first (a `deleted` delivery), as GitHub allows one per account, so
    the account ends covering exactly what was asked. Returns the installation id: derived from the
    login the first time, the previous one plus one after that (GitHub never reuses an id)."""
    installer = installer_github_user_id or local_github_user_id(user_id)
    put_github_link(client, user_id, installer, table=table)
    service = InstallationService(DynamoDBInstallationLedger(client, table))
    installation_id = zlib.crc32(account_login.lower().encode())
    created_at = int(time.time())
    previous = client.get_item(TableName=table, Key=keys.account_installation_key(account_login), ConsistentRead=True)
    if "Item" in previous:
        installation_id, replaced_at = account_copy_holder(previous["Item"])
        service.apply(_local_delivery(Change.DELETED, installation_id, account_login, installer, created_at))
        installation_id += 1
        # The newest installation owns the login: created strictly after the one it replaces.
        created_at = max(created_at, (replaced_at or 0) + 1)
    created = _local_delivery(Change.CREATED, installation_id, account_login, installer, created_at)
    service.apply(
        replace(
            created,
            repository_selection=RepositorySelection.ALL if repositories is None else RepositorySelection.SELECTED,
            repositories_added=frozenset(repositories or ()),
        )
    )
    return installation_id


def _local_delivery(
    change: Change, installation_id: int, account_login: str, sender: int, created_at: int
) -> InstallationDelivery:
    delivery_id = f"local-{uuid.uuid4()}"
    return InstallationDelivery(
        delivery_id=delivery_id,
        body_digest=hashlib.sha256(delivery_id.encode()).hexdigest(),  # no signed body: unique per delivery
        change=change,
        installation_id=installation_id,
        account_login=account_login,
        sender_github_user_id=sender,
        installation_created_at=created_at,
    )
