"""Many clients at once, over real HTTP, against several local execution environments.

Four `local.server` processes (each one Lambda execution environment) share one embedded DynamoDB
(moto's server mode), so creates really run side by side, as on Lambda under load.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from local import records
from local.settings import LOCAL_REGION, local_dynamodb_client
from tests.e2e.local_server import LocalServer, start_local_server

ENVIRONMENTS = 4
CLIENTS = 16
CREATES = 240
DISTINCT_KEYS = 40
KEYED_CREATES = 160  # four requests per key, in random order across clients
PATH = "/api/users/1/projects/{project}/resources/imports"


@pytest.fixture(scope="module")
def servers() -> Iterator[list[LocalServer]]:
    first = start_local_server()
    others = [start_local_server(DYNAMODB_ENDPOINT_URL=first.dynamodb_endpoint) for _ in range(ENVIRONMENTS - 1)]
    yield [first, *others]
    for server in [first, *others]:
        server.stop()


def fire(servers: list[LocalServer], requests: list[tuple[int, str | None]]) -> list[tuple[int, dict[str, Any]]]:
    """Send (project, idempotency key) creates from CLIENTS threads, spread over every server."""
    token = servers[0].session_token
    targets = itertools.cycle(servers)
    plan = [(next(targets).base_url, project, key) for project, key in requests]

    def send(item: tuple[str, int, str | None]) -> tuple[int, dict[str, Any]]:
        base_url, project, key = item
        headers = {"Cookie": f"neptun-session={token}"} | ({"Idempotency-Key": key} if key else {})
        body = {"source_type": "local_folder", "source_path": f"load/{project}"}
        response = httpx.post(base_url + PATH.format(project=project), json=body, headers=headers, timeout=60)
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=CLIENTS) as clients:
        return list(clients.map(send, plan))


def stored(servers: list[LocalServer], project: int) -> list[Any]:
    client = local_dynamodb_client(servers[0].dynamodb_endpoint, LOCAL_REGION)
    pages = client.get_paginator("query").paginate(
        TableName="DataTable",
        KeyConditionExpression="PK = :project AND begins_with(SK, :imports)",
        ExpressionAttributeValues={":project": {"S": f"USER#1#PROJECT#{project}"}, ":imports": {"S": "IMPORT#"}},
        ConsistentRead=True,
    )
    return [item for page in pages for item in page["Items"]]


def test_concurrent_creates_all_succeed_with_distinct_ids_and_none_lost(servers: list[LocalServer]) -> None:
    records.put_project(local_dynamodb_client(servers[0].dynamodb_endpoint, LOCAL_REGION), 1, 901)
    responses = fire(servers, [(901, None)] * CREATES)
    assert Counter(status for status, _ in responses) == {201: CREATES}
    ids = {body["import"]["id"] for _, body in responses}
    assert len(ids) == CREATES
    assert {int(item["id"]["N"]) for item in stored(servers, 901)} == ids


def test_concurrent_retries_with_keys_store_one_import_per_key(servers: list[LocalServer]) -> None:
    records.put_project(local_dynamodb_client(servers[0].dynamodb_endpoint, LOCAL_REGION), 1, 902)
    keys = [f"load-key-{i % DISTINCT_KEYS}" for i in range(KEYED_CREATES)]
    unkeyed: list[str | None] = [None] * (CREATES - KEYED_CREATES)
    responses = fire(servers, [(902, key) for key in [*keys, *unkeyed]])
    assert Counter(status for status, _ in responses) == {201: CREATES}  # no 409: the write decides
    ids_per_key: dict[str, set[int]] = {}
    for key, (_, body) in zip(keys, responses, strict=False):
        ids_per_key.setdefault(key, set()).add(body["import"]["id"])
    assert all(len(ids) == 1 for ids in ids_per_key.values())  # every 201 for a key is the same import
    assert len(stored(servers, 902)) == DISTINCT_KEYS + len(unkeyed)


def test_sixteen_simultaneous_requests_with_one_key_all_get_the_same_201(servers: list[LocalServer]) -> None:
    records.put_project(local_dynamodb_client(servers[0].dynamodb_endpoint, LOCAL_REGION), 1, 903)
    responses = fire(servers, [(903, "one-key-sixteen-times")] * CLIENTS)
    assert [status for status, _ in responses] == [201] * CLIENTS
    assert len({body["import"]["id"] for _, body in responses}) == 1
    assert len(stored(servers, 903)) == 1
