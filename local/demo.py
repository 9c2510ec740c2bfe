"""The demo data `make run` seeds, matching the API document's example request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from local import records

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

DEMO_USER_ID = 1
DEMO_PROJECT_ID = 789
DEMO_GITHUB_ACCOUNT = "username"
# Fixed, so that the files in events/ and the printed curl command work on every run. It exists only
# in the local, embedded DynamoDB; never seed it into a real table.
DEMO_SESSION_TOKEN = "local-demo-session-token-for-user-1"  # noqa: S105 - a local demo value


def seed_demo_data(client: DynamoDBClient) -> str:
    """User 1, their project 789, an installation on `username` covering all repositories and a live
    session for user 1 (valid for 30 days). Returns the session's cookie value."""
    records.put_project(client, DEMO_USER_ID, DEMO_PROJECT_ID)
    records.put_installation(client, DEMO_USER_ID, DEMO_GITHUB_ACCOUNT, repositories=None)
    return records.put_session(client, DEMO_USER_ID, token=DEMO_SESSION_TOKEN, lifetime_seconds=30 * 24 * 3600)
