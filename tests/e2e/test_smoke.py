"""`make smoke` (the deploy pipeline's check of a deployed stack) against `make run`."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from local.demo import DEMO_PROJECT_ID, DEMO_USER_ID
from tests.e2e.local_server import LocalServer, run_in_repository, start_local_server


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    running = start_local_server()
    yield running
    running.stop()


def imports_of_demo_project(server: LocalServer) -> list[int]:
    url = f"{server.base_url}/api/users/{DEMO_USER_ID}/projects/{DEMO_PROJECT_ID}/resources/imports?limit=100"
    response = httpx.get(url, cookies={"neptun-session": server.session_token})
    response.raise_for_status()
    return [entry["id"] for entry in response.json()["imports"]]


def make_smoke(server: LocalServer, session: str) -> tuple[int, str, str]:
    command = [
        "make",
        "--no-print-directory",
        "smoke",
        f"API_URL={server.base_url}",
        f"SESSION={session}",
        f"USER_ID={DEMO_USER_ID}",
        f"PROJECT_ID={DEMO_PROJECT_ID}",
    ]
    result = run_in_repository(command)
    return result.returncode, result.stdout, result.stderr


def test_make_smoke_runs_every_route_and_leaves_nothing_behind(server: LocalServer) -> None:
    before = imports_of_demo_project(server)
    status, output, errors = make_smoke(server, server.session_token)
    assert status == 0, output + errors
    steps = [line.split()[1] for line in output.splitlines() if line.startswith("ok ")]
    assert steps == ["create", "list", "get", "update", "delete", "get"]
    assert f"smoke test passed against {server.base_url}" in output
    assert imports_of_demo_project(server) == before


def test_make_smoke_fails_visibly_with_a_wrong_session(server: LocalServer) -> None:
    before = imports_of_demo_project(server)
    status, _, errors = make_smoke(server, "not-a-session")
    assert status != 0
    assert "FAILED create" in errors
    assert "401" in errors
    assert imports_of_demo_project(server) == before
