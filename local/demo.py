"""The demo data `make run` seeds, matching the API document's example request."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from domain.errors import ImportIdTaken
from domain.models import ProjectImport, SourceType
from dynamodb_store.store import DynamoDBImportStore
from local import records

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

DEMO_USER_ID = 1
DEMO_PROJECT_ID = 789
DEMO_GITHUB_ACCOUNT = "username"
# The demo user signed in with this GitHub user: the sender of GitHub's own example deliveries
# (Codertocat), so that the files in events/github/ install the app for the demo user.
DEMO_GITHUB_USER_ID = 21031067
# Fixed, so that the files in events/ and the printed curl command work on every run. It exists only
# in the local, embedded DynamoDB; never seed it into a real table.
DEMO_SESSION_TOKEN = "local-demo-session-token-for-user-1"  # noqa: S105 - a local demo value
# One import in the demo project, so that listing, reading, changing and deleting work from the start
# (and the files in events/ can name it). Its id is one the service could have drawn.
DEMO_IMPORT = ProjectImport(
    id=246205947048956,
    source_type=SourceType.GITHUB,
    source_path=f"{DEMO_GITHUB_ACCOUNT}/repository",
    title="My GitHub Import",
    description="Importing from GitHub repository",
    created_at=datetime(2026, 11, 27, 16, 54, 33, 791000, tzinfo=UTC),
    updated_at=datetime(2026, 11, 27, 16, 54, 33, 791000, tzinfo=UTC),
    neptun_user_id=DEMO_USER_ID,
    project_id=DEMO_PROJECT_ID,
)
# The start of its first run, fixed like its id: events/pipeline/worker-run-demo-import.json names it.
DEMO_IMPORT_START_ID = "demo-import-first-run"


def seed_demo_data(client: DynamoDBClient) -> str:
    """User 1 (linked to GitHub user 21031067), their project 789, an installation on `username`
    covering all repositories and a live session for user 1 (valid for 30 days). Returns the
    session's cookie value."""
    records.put_project(client, DEMO_USER_ID, DEMO_PROJECT_ID)
    records.put_installation(
        client, DEMO_USER_ID, DEMO_GITHUB_ACCOUNT, repositories=None, installer_github_user_id=DEMO_GITHUB_USER_ID
    )
    return records.put_session(client, DEMO_USER_ID, token=DEMO_SESSION_TOKEN, lifetime_seconds=30 * 24 * 3600)


def seed_demo_import(client: DynamoDBClient) -> None:
    """DEMO_IMPORT in the demo project, written as the service writes imports; kept if already there."""
    store = DynamoDBImportStore(
        client, records.SESSIONS_TABLE, records.DATA_TABLE, new_start_id=lambda: DEMO_IMPORT_START_ID
    )
    with contextlib.suppress(ImportIdTaken):  # seeded by an earlier run into the same DynamoDB
        store.add_import(DEMO_IMPORT, request_key=None, fingerprint=None)
