"""GitHub as recorded: two local servers (the API and codeload) answering from @octokit/fixtures' recordings.

A recorded exchange is answered with its status, headers and bytes; a `Location` on codeload.github.com is
pointed at the local codeload. A test may script answers of its own for a path (a status, headers, a body)
and sees every request each server received.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

SCENARIOS = Path(__file__).resolve().parents[1] / "tools/node/node_modules/@octokit/fixtures/scenarios/api.github.com"
GITHUB_CODELOAD = "https://codeload.github.com"


def recording(scenario: str, kind: str = "raw") -> list[dict[str, Any]]:
    exchanges: list[dict[str, Any]] = json.loads((SCENARIOS / scenario / f"{kind}-fixture.json").read_text())
    return exchanges


def response_headers(exchange: dict[str, Any]) -> list[tuple[str, str]]:
    """The recorded headers in order: the normalized recordings keep a dict, the raw ones GitHub's list."""
    if "headers" in exchange:
        return [(name, str(value)) for name, value in exchange["headers"].items()]
    raw = exchange["rawHeaders"]
    return [(raw[n], raw[n + 1]) for n in range(0, len(raw), 2)]


def header_map(exchange: dict[str, Any]) -> dict[str, str]:
    """The recorded headers by lower-cased name."""
    return {name.lower(): value for name, value in response_headers(exchange)}


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    cut_after: int | None = None  # close the connection after this many body bytes


@dataclass
class FakeHost:
    """One host: answers by (method, path), records what it was sent."""

    answers: dict[tuple[str, str], Answer] = field(default_factory=dict)
    received: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    url: str = ""


@dataclass
class ReplayedGithub:
    api: FakeHost
    codeload: FakeHost

    def replay(self, exchanges: list[dict[str, Any]]) -> None:
        """Answer every recorded exchange of api.github.com and codeload.github.com as it was recorded."""
        for exchange in exchanges:
            host = self.codeload if exchange["scope"].startswith(GITHUB_CODELOAD) else self.api
            body = _recorded_body(exchange)
            headers = [
                (name, value.replace(GITHUB_CODELOAD, self.codeload.url) if name.lower() == "location" else value)
                for name, value in response_headers(exchange)
                if name.lower() not in {"content-length", "transfer-encoding", "connection"}
            ]
            host.answers[(exchange["method"].upper(), exchange["path"])] = Answer(exchange["status"], headers, body)


def _recorded_body(exchange: dict[str, Any]) -> bytes:
    response = exchange.get("response", "")
    if exchange.get("responseIsBinary"):
        return bytes.fromhex(response)
    return response.encode() if isinstance(response, str) else json.dumps(response).encode()


def _handler(host: FakeHost) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

        def _answer(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            host.received.append((method, self.path, dict(self.headers)))
            answer = host.answers.get(
                (method, self.path.split("?", 1)[0]), Answer(404, body=b'{"message":"Not Found"}')
            )
            self.send_response(answer.status)
            for name, value in answer.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            body = answer.body if answer.cut_after is None else answer.body[: answer.cut_after]
            self.wfile.write(body)
            if answer.cut_after is not None:
                self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def replayed_github() -> Iterator[ReplayedGithub]:
    hosts = (FakeHost(), FakeHost())
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), _handler(host)) for host in hosts]
    for host, server in zip(hosts, servers, strict=True):
        host.url = f"http://127.0.0.1:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
    try:
        yield ReplayedGithub(*hosts)
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
