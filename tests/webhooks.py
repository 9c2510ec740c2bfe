"""Signed GitHub deliveries for the webhook route, built from the fixture payloads in events/github/."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

from handlers.github_deliveries import WEBHOOK_PATH
from local.settings import DEMO_WEBHOOK_SECRET
from local.webhook import github_headers
from tests.api_client import HttpResponse, call

PAYLOADS = Path(__file__).resolve().parent.parent / "events" / "github"
# The fixtures' installation: on GitHub's example account Codertocat, installed by Codertocat, whom
# the demo data links to the demo user (local/demo.py).
INSTALLATION_ID = 957387
ACCOUNT = "Codertocat"
INSTALLER = 21031067


def payload(name: str) -> dict[str, Any]:
    """A fixture payload by its file name without `.json`, e.g. `installation.created`."""
    loaded: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))
    return copy.deepcopy(loaded)


def deliver(
    body: dict[str, Any] | bytes | str,
    event: str | None = None,
    delivery_id: str | None = None,
    secret: str = DEMO_WEBHOOK_SECRET,
    headers: dict[str, str | None] | None = None,
) -> HttpResponse:
    """POST a delivery as GitHub would: a fixture name, a payload or raw bytes, signed with `secret`."""
    if isinstance(body, str):
        event = event or body.split(".", 1)[0]
        raw = (PAYLOADS / f"{body}.json").read_bytes()
    else:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    signed = github_headers(raw, event or "installation", delivery_id or str(uuid.uuid4()), secret)
    all_headers: dict[str, str | None] = {name.lower(): value for name, value in signed.items()}
    return call("POST", WEBHOOK_PATH, raw_body=raw, token=None, headers=all_headers | (headers or {}))


def repositories(*names: str) -> list[dict[str, Any]]:
    return [
        {"id": 1000 + index, "name": name, "full_name": f"{ACCOUNT}/{name}", "private": False}
        for index, name in enumerate(names)
    ]
