"""An organisation's installation of 20,000 selected repositories, delivered over `make run` to Amazon's
DynamoDB Local at the ledger's real part sizes (moto copies its table for every transaction, too slowly
for this): applied in one delivery, every repository then importable, and adding one more costs what
it costs on a small installation."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from handlers.github_deliveries import WEBHOOK_PATH
from local.demo import DEMO_PROJECT_ID, DEMO_USER_ID
from local.settings import DEMO_WEBHOOK_SECRET, LOCAL_REGION, local_dynamodb_client
from local.webhook import github_headers
from tests.e2e.local_server import LocalServer, start_local_server
from tests.webhooks import payload, repositories

pytestmark = pytest.mark.both_backends
REPOSITORIES = 20_000
IMPORTS = f"/api/users/{DEMO_USER_ID}/projects/{DEMO_PROJECT_ID}/resources/imports"


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    running = start_local_server(DYNAMODB="local")
    yield running
    assert running.stop() == 0, running.stderr_lines[-20:]


def send(server: LocalServer, event: str, body: bytes) -> httpx.Response:
    headers = github_headers(body, event, str(uuid.uuid4()), DEMO_WEBHOOK_SECRET)
    return httpx.post(server.base_url + WEBHOOK_PATH, content=body, headers=headers, timeout=300)


def create(server: LocalServer, repository: str) -> int:
    body = {"source_type": "github", "source_path": f"Codertocat/{repository}"}
    cookie = {"Cookie": f"neptun-session={server.session_token}"}
    return httpx.post(server.base_url + IMPORTS, json=body, headers=cookie, timeout=30).status_code


def test_a_created_delivery_of_20000_selected_repositories_is_applied_whole(server: LocalServer) -> None:
    names = [f"repository-{number:05d}" for number in range(REPOSITORIES)]
    created = payload("installation.created")
    created["repositories"] = repositories(*names)
    body = json.dumps(created).encode()
    started = time.monotonic()
    answer = send(server, "installation", body)
    print(f"{REPOSITORIES} repositories, {len(body) / 1e6:.1f} MB: answered in {time.monotonic() - started:.1f} s")
    assert (answer.status_code, answer.json()["outcome"]) == (200, "applied"), answer.text
    assert [create(server, name) for name in (names[0], names[REPOSITORIES // 2], names[-1])] == [201] * 3
    assert create(server, "repository-20000") == 403
    client = local_dynamodb_client(server.dynamodb_endpoint, LOCAL_REGION)
    pages = client.get_paginator("query").paginate(
        TableName="DataTable",
        KeyConditionExpression="PK = :account AND begins_with(SK, :repository)",
        ExpressionAttributeValues={":account": {"S": "GITHUB_ACCOUNT#codertocat"}, ":repository": {"S": "REPOSITORY#"}},
        Select="COUNT",
    )
    assert sum(page["Count"] for page in pages) == REPOSITORIES
