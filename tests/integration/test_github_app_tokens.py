"""Installation access tokens: the App's JWT as GitHub verifies it, narrowed tokens, the cache, failures."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
import urllib3
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from domain.import_failures import FailureCode, ImportFailed
from github_client.app_tokens import InstallationTokens

APP_ID = "Iv23liDemoClientId"
START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PRIVATE_PEM = KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()


@dataclass
class TokenEndpoint:
    """GitHub's token endpoint as its documentation describes it: checks the JWT, answers 201 or a status."""

    status: int = 201
    headers: dict[str, str] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    issued: int = 0


@pytest.fixture
def endpoint() -> Iterator[tuple[TokenEndpoint, str]]:
    state = TokenEndpoint()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            token = self.headers["Authorization"].removeprefix("Bearer ")
            claims = jwt.decode(token, KEY.public_key(), algorithms=["RS256"], options={"verify_exp": False})
            state.requests.append({"path": self.path, "body": body, "claims": claims, "headers": dict(self.headers)})
            if state.status != 201:
                self._answer(state.status, {"message": "refused"})
                return
            state.issued += 1
            expires = datetime.fromtimestamp(claims["iat"] + 60, tz=UTC) + timedelta(hours=1)
            self._answer(
                201,
                {
                    "token": f"ghs_issued{state.issued:030d}",
                    "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "permissions": body["permissions"],
                    "repository_selection": "selected",
                },
            )

        def _answer(self, status: int, answer: dict[str, Any]) -> None:
            data = json.dumps(answer).encode()
            self.send_response(status)
            for name, value in state.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def tokens_for(api_url: str, clock: Clock) -> InstallationTokens:
    return InstallationTokens(
        api_url=api_url, app_id=APP_ID, private_key=lambda: PRIVATE_PEM, http=urllib3.PoolManager(), clock=clock
    )


def test_the_token_is_narrowed_to_one_repository_and_contents_read(endpoint: tuple[TokenEndpoint, str]) -> None:
    state, url = endpoint

    tokens_for(url, Clock()).for_repository(4242, "demo")

    (request,) = state.requests
    assert request["path"] == "/app/installations/4242/access_tokens"
    assert request["body"] == {"repositories": ["demo"], "permissions": {"contents": "read"}}
    assert request["headers"]["Accept"] == "application/vnd.github+json"
    assert request["headers"]["X-GitHub-Api-Version"] == "2022-11-28"
    assert request["headers"]["User-Agent"]


def test_the_apps_jwt_is_what_github_accepts(endpoint: tuple[TokenEndpoint, str]) -> None:
    state, url = endpoint

    tokens_for(url, Clock()).for_repository(4242, "demo")

    claims = state.requests[0]["claims"]
    assert claims["iss"] == APP_ID
    assert claims["iat"] == int(START.timestamp()) - 60  # allows for GitHub's clock being behind
    assert claims["exp"] - claims["iat"] <= 600  # GitHub refuses a JWT that lives over 10 minutes
    assert claims["exp"] > START.timestamp()


def test_a_token_is_reused_until_five_minutes_before_it_expires(endpoint: tuple[TokenEndpoint, str]) -> None:
    state, url = endpoint
    clock = Clock()
    tokens = tokens_for(url, clock)

    first = tokens.for_repository(4242, "demo")
    clock.now = START + timedelta(minutes=54)
    again = tokens.for_repository(4242, "Demo")  # GitHub's names are case-insensitive
    clock.now = START + timedelta(minutes=56)
    renewed = tokens.for_repository(4242, "demo")

    assert first == again
    assert renewed != first
    assert len(state.requests) == 2


def test_another_repository_gets_its_own_token(endpoint: tuple[TokenEndpoint, str]) -> None:
    state, url = endpoint
    tokens = tokens_for(url, Clock())

    tokens.for_repository(4242, "demo")
    tokens.for_repository(4242, "other")

    assert [request["body"]["repositories"] for request in state.requests] == [["demo"], ["other"]]


@pytest.mark.parametrize(
    ("status", "headers", "code"),
    [
        (404, {}, FailureCode.INSTALLATION_MISSING),
        (422, {}, FailureCode.NOT_FOUND_OR_NO_ACCESS),
        (401, {}, FailureCode.INTERNAL),
        (
            403,
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(START.timestamp()) + 600)},
            FailureCode.RATE_LIMITED,
        ),
        (502, {}, FailureCode.SOURCE_UNAVAILABLE),
    ],
)
def test_a_refused_token_request_fails_with_its_code(
    endpoint: tuple[TokenEndpoint, str], status: int, headers: dict[str, str], code: FailureCode
) -> None:
    state, url = endpoint
    state.status, state.headers = status, headers

    with pytest.raises(ImportFailed) as refused:
        tokens_for(url, Clock()).for_repository(4242, "demo")

    assert refused.value.code is code


def test_a_token_never_shows_in_a_repr(endpoint: tuple[TokenEndpoint, str]) -> None:
    _, url = endpoint

    token = tokens_for(url, Clock()).for_repository(4242, "demo")

    assert token.token.startswith("ghs_")
    assert token.token not in repr(token)


def test_an_unreachable_github_is_source_unavailable() -> None:
    http = urllib3.PoolManager(retries=False)
    tokens = InstallationTokens(
        api_url="http://127.0.0.1:9", app_id=APP_ID, private_key=lambda: PRIVATE_PEM, http=http, clock=Clock()
    )

    with pytest.raises(ImportFailed) as refused:
        tokens.for_repository(4242, "demo")

    assert refused.value.code is FailureCode.SOURCE_UNAVAILABLE


def test_without_an_app_id_no_token_is_asked_for(endpoint: tuple[TokenEndpoint, str]) -> None:
    state, url = endpoint
    unconfigured = InstallationTokens(
        api_url=url, app_id="", private_key=lambda: PRIVATE_PEM, http=urllib3.PoolManager(), clock=Clock()
    )

    with pytest.raises(ImportFailed) as refused:
        unconfigured.for_repository(4242, "demo")

    assert refused.value.code is FailureCode.INTERNAL
    assert "GithubAppId" in str(refused.value)
    assert state.requests == []
