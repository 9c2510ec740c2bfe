"""A burst against one `make run` (one execution environment): queued like Lambda, nothing refused or lost."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.e2e.local_server import LocalServer, start_local_server

CLIENTS = 64
CREATES = 640
PATH = "/api/users/1/projects/789/resources/imports"


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    running = start_local_server()
    yield running
    started = time.monotonic()
    assert running.stop() == 0, running.stderr_lines[-20:]
    assert time.monotonic() - started < 15, "Ctrl-C stops it promptly after a burst"


def test_640_creates_from_64_clients_at_once_all_answered_and_stored(server: LocalServer) -> None:
    cookie = {"Cookie": f"neptun-session={server.session_token}"}

    def create(number: int) -> tuple[int, int]:
        # A client of its own per request: 64 connections opened at once, as a load test would.
        with httpx.Client(timeout=120) as client:
            body = {"source_type": "local_folder", "source_path": f"burst/{number}"}
            response = client.post(server.base_url + PATH, json=body, headers=cookie)
            # On a failure: the answer, and what the handler logged at warning or above.
            logged = [line for line in server.stdout_lines if '"level":"INFO"' not in line]
            assert response.status_code == 201, (response.status_code, response.text, logged[-5:])
            return response.status_code, response.json()["import"]["id"]

    with ThreadPoolExecutor(max_workers=CLIENTS) as clients:
        answers = list(clients.map(create, range(CREATES)))
    assert [status for status, _ in answers] == [201] * CREATES
    assert len({import_id for _, import_id in answers}) == CREATES
    listed: list[int] = []
    cursor = None
    while True:
        query = {"limit": 100} | ({"cursor": cursor} if cursor else {})
        page = httpx.get(server.base_url + PATH, params=query, headers=cookie, timeout=30).json()
        listed += [item["id"] for item in page["imports"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert {import_id for _, import_id in answers} <= set(listed)
