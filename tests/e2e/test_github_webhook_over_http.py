"""GitHub's deliveries over `make run`: each fixture in events/github/, signed and sent by `make webhook`'s
module, drives what a `github` create answers, over real HTTP."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator

import httpx
import pytest

from handlers.github_deliveries import WEBHOOK_PATH
from local.demo import DEMO_PROJECT_ID, DEMO_USER_ID
from local.settings import DEMO_WEBHOOK_SECRET
from local.webhook import github_headers
from tests.e2e.local_server import ROOT, LocalServer, run_in_repository, start_local_server

IMPORTS = f"/api/users/{DEMO_USER_ID}/projects/{DEMO_PROJECT_ID}/resources/imports"
WEBHOOK_URL = "{}" + WEBHOOK_PATH


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    running = start_local_server()
    yield running
    assert running.stop() == 0, running.stderr_lines
    logged = "".join(running.stdout_lines[len(running.banner) :] + running.stderr_lines)
    assert "sha256=" not in logged, "no signature is ever logged"


def webhook(server: LocalServer, fixture: str, delivery_id: str | None = None, **environment: str) -> tuple[int, str]:
    """`make webhook ARGS='events/github/<fixture>.json'` against this server; its status and answer."""
    arguments = [f"events/github/{fixture}.json", *(["--delivery", delivery_id] if delivery_id else [])]
    result = run_in_repository(
        [sys.executable, "-m", "local.webhook", *arguments], 120, PORT=str(server.api_port), **environment
    )
    printed = result.stdout.strip()
    assert printed, result.stderr
    status = int(printed.split(": ", 1)[1].split(" ", 1)[0])
    assert (result.returncode == 0) == (status < 300), printed
    return status, printed


def create(server: LocalServer, source_path: str) -> int:
    response = httpx.post(
        server.base_url + IMPORTS,
        json={"source_type": "github", "source_path": source_path},
        headers={"Cookie": f"neptun-session={server.session_token}"},
    )
    return response.status_code


def test_the_banner_names_the_webhook_url_and_the_demo_secret(server: LocalServer) -> None:
    assert server.banner_value("Webhook").startswith(f"{server.base_url}/api/github/webhooks")
    assert DEMO_WEBHOOK_SECRET in server.banner_value("Webhook")
    assert any("make webhook ARGS='events/github/installation.created.json'" in line for line in server.banner)


def test_every_fixture_delivery_drives_the_create_path(server: LocalServer) -> None:
    # The order a user's actions on GitHub would produce them; each step's creates as docs/github-app.md says.
    steps: list[tuple[str, dict[str, int]]] = [
        ("installation.created", {"Codertocat/Hello-World": 201, "Codertocat/Space": 403}),
        ("installation_repositories.added", {"Codertocat/Space": 201}),
        ("installation_repositories.removed", {"Codertocat/Hello-World": 403, "Codertocat/Space": 201}),
        ("installation_repositories.added-switch-to-all", {"Codertocat/Anything": 201}),
        ("installation_repositories.removed-switch-to-selected", {"Codertocat/Anything": 403, "Codertocat/Space": 201}),
        ("installation.new_permissions_accepted", {"Codertocat/Space": 201}),
        ("installation.suspend", {"Codertocat/Space": 403}),
        ("installation.unsuspend", {"Codertocat/Space": 201}),
        ("installation_target.renamed", {"Octocoder-Renamed/Space": 201, "Codertocat/Space": 403}),
        ("installation.deleted", {"Octocoder-Renamed/Space": 403}),
        ("installation_repositories.added", {"Octocoder-Renamed/Space": 403, "Codertocat/Space": 403}),
    ]
    for fixture, creates in steps:
        status, printed = webhook(server, fixture)
        assert status == 200, printed
        answered = {path: create(server, path) for path in creates}
        assert answered == creates, f"after {fixture}"


def test_ping_and_other_events(server: LocalServer) -> None:
    assert webhook(server, "ping")[0] == 200
    body = json.dumps({"action": "opened"}).encode()
    response = httpx.post(WEBHOOK_URL.format(server.base_url), content=body, headers=_signed(body, "pull_request"))
    assert (response.status_code, response.json()["outcome"]) == (202, "not_handled")


def test_a_replayed_delivery_changes_nothing(server: LocalServer) -> None:
    created = json.loads((ROOT / "events" / "github" / "installation.created.json").read_text(encoding="utf-8"))
    created["installation"]["id"] = 7_000_001
    created["installation"]["account"]["login"] = "Replay-Org"
    body, delivery = json.dumps(created).encode(), str(uuid.uuid4())
    first = httpx.post(
        WEBHOOK_URL.format(server.base_url), content=body, headers=_signed(body, "installation", delivery)
    )
    again = httpx.post(
        WEBHOOK_URL.format(server.base_url), content=body, headers=_signed(body, "installation", delivery)
    )
    assert (first.json()["outcome"], again.json()["outcome"]) == ("applied", "duplicate")
    assert (first.status_code, again.status_code) == (200, 200)
    assert create(server, "Replay-Org/Hello-World") == 201


def test_a_delivery_signed_with_another_secret_is_401(server: LocalServer) -> None:
    status, printed = webhook(server, "installation.created", GITHUB_WEBHOOK_SECRET="not-the-apps-secret")
    assert status == 401, printed


def _signed(body: bytes, event: str, delivery_id: str | None = None) -> dict[str, str]:
    return github_headers(body, event, delivery_id or str(uuid.uuid4()), DEMO_WEBHOOK_SECRET)
