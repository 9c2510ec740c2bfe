"""`make webhook ARGS='events/github/installation.created.json --event installation'`: replay a delivery.

Signs the payload file as GitHub does (X-Hub-Signature-256 with GITHUB_WEBHOOK_SECRET, or the demo
secret `make run` uses when it is unset) and POSTs it to the running service with GitHub's headers.
A new delivery id each time unless --delivery names one (to replay the same delivery twice).
"""

from __future__ import annotations

import argparse
import os
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from domain.webhook_signature import signature_of
from handlers.github_deliveries import WEBHOOK_PATH
from local.settings import DEFAULT_API_PORT, local_webhook_secret


def github_headers(body: bytes, event: str, delivery_id: str, secret: str) -> dict[str, str]:
    """The headers GitHub sends with a delivery (those this service reads, and its User-Agent)."""
    return {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/local",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery_id,
        "X-Hub-Signature-256": signature_of(secret.encode(), body),
    }


def send(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - http(s) only
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="make webhook ARGS=", description=__doc__.splitlines()[0])
    root.add_argument("payload", type=Path, help="a JSON payload file, e.g. events/github/installation.created.json")
    root.add_argument("--event", help="X-GitHub-Event (default: the file name up to its first dot)")
    root.add_argument("--delivery", default=None, help="X-GitHub-Delivery (default: a new GUID)")
    port = os.environ.get("PORT", str(DEFAULT_API_PORT))
    root.add_argument("--url", default=f"http://127.0.0.1:{port}{WEBHOOK_PATH}")
    return root


def main(arguments: list[str]) -> int:
    options = parser().parse_args(arguments)
    try:
        body = options.payload.read_bytes()
    except OSError as unreadable:
        print(f"error: cannot read the payload file {options.payload}: {unreadable.strerror}", file=sys.stderr)
        return 2
    event = options.event or options.payload.name.split(".", 1)[0]
    delivery_id = options.delivery or str(uuid.uuid4())
    try:
        status, answer = send(options.url, body, github_headers(body, event, delivery_id, local_webhook_secret()))
    except (urllib.error.URLError, OSError) as unreachable:
        reason = getattr(unreachable, "reason", unreachable)
        print(
            f"error: nothing answers at {options.url} ({reason}); start `make run` first, or set PORT to the port"
            " it prints",
            file=sys.stderr,
        )
        return 1
    print(f"{event} delivery {delivery_id}: {status} {answer}")
    return 0 if status < 300 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
