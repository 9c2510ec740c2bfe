"""`make run`: the real Lambda handler behind a local HTTP server, on an embedded DynamoDB (DynamoDB Local
when Java 17+ is there, else moto; DYNAMODB=local|moto forces one: local/dynamodb_backend.py).

Each HTTP request becomes the API Gateway HTTP API 2.0 event production receives and goes through the
`lambda_handler` of the function template.yaml routes it to; there is no second code path. Settings: PORT (API, 3000),
DYNAMODB_PORT (embedded DynamoDB, 8000), DYNAMODB_HOST (its address, 127.0.0.1), DYNAMODB_ENDPOINT_URL
(use that DynamoDB instead; then nothing is embedded, seeded or imported unless SEED_DEMO_DATA=1). The
import pipeline, its S3, SQS and GitHub stand-in and their settings: local/importing.py.
"""

from __future__ import annotations

import base64
import errno
import importlib
import json
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from handlers.github_deliveries import WEBHOOK_PATH
from handlers.openapi_document import openapi_document
from handlers.session_cookie import SESSION_COOKIE
from local.apigw_event import http_api_event
from local.demo import DEMO_GITHUB_ACCOUNT, DEMO_IMPORT, DEMO_PROJECT_ID, DEMO_USER_ID, seed_demo_data, seed_demo_import
from local.docs_page import DOCS_PATH, docs_answer
from local.dynamodb_backend import DESCRIPTION, Backend, LocalDynamoDB, chosen_backend
from local.dynamodb_backend import embedded as embedded_dynamodb
from local.importing import LocalImporting
from local.lambda_context import LocalLambdaContext
from local.settings import (
    DEFAULT_API_PORT,
    DEMO_WEBHOOK_SECRET,
    LocalSettings,
    configure_handler_environment,
    local_dynamodb_client,
    local_webhook_secret,
    use_placeholder_credentials,
)
from local.tables import create_tables
from local.template import Route, http_api_routes

OPENAPI_PATH = "/openapi.json"
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding"}
# API Gateway's own payload limit; a larger declared body is refused before it is read.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
_MAX_LENGTH_DIGITS = 18
_JSON = [("content-type", "application/json")]


LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def lambda_handler_of(route: Route) -> LambdaHandler:
    """The function behind a route, by its template Handler (`module.attribute`)."""
    return lambda_handler_named(route.handler)


def lambda_handler_named(handler_name: str) -> LambdaHandler:
    """A template Handler (`module.attribute`) as the callable Lambda would run."""
    module_name, _, attribute = handler_name.rpartition(".")
    handler: LambdaHandler = getattr(importlib.import_module(module_name), attribute)
    return handler


class LocalApi:
    """Routes requests like API Gateway and runs each function like one Lambda execution environment."""

    def __init__(self, routes: list[Route], demo_token: str | None = None) -> None:
        self._routes = [(route, lambda_handler_of(route)) for route in routes]
        self._demo_token = demo_token
        # One execution environment handles one event at a time; the handlers rely on that.
        self._one_at_a_time = {route.function_id: threading.Lock() for route in routes}

    def respond(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes, client_ip: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        raw_path, _, query = target.partition("?")
        if method == "GET" and raw_path == OPENAPI_PATH:
            return 200, [("content-type", "application/json")], self._openapi().encode()
        signed_in = self._demo_token is not None and any(
            name.lower() == "cookie" and f"{SESSION_COOKIE}={self._demo_token}" in value for name, value in headers
        )
        docs = docs_answer(method, raw_path, OPENAPI_PATH, self._demo_token, signed_in)
        if docs is not None:
            return docs
        for route, lambda_handler in self._routes:
            path_parameters = route.match(method, raw_path)
            if path_parameters is not None:
                event = http_api_event(
                    route,
                    path_parameters=path_parameters,
                    method=method,
                    raw_path=raw_path,
                    raw_query_string=query,
                    headers=headers,
                    body=body,
                    source_ip=client_ip,
                )
                with self._one_at_a_time[route.function_id]:
                    result = lambda_handler(event, LocalLambdaContext.of(route.function_id))
                return _http_response(result)
        # What API Gateway answers for a route it does not have.
        return 404, [("content-type", "application/json")], b'{"message":"Not Found"}'

    def _openapi(self) -> str:
        return openapi_json()


def openapi_json() -> str:
    """The API's OpenAPI document as served and as committed in docs/openapi.json.

    The imports API only: the webhook route's contract is GitHub's (docs/github-app.md).
    """
    modules = [route.handler.rpartition(".")[0] for route in http_api_routes() if not route.is_github_webhook]
    return json.dumps(openapi_document(modules), indent=2, ensure_ascii=False) + "\n"


def _http_response(result: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(name, str(value)) for name, value in result.get("headers", {}).items()]
    headers += [("set-cookie", cookie) for cookie in result.get("cookies", [])]
    body = result.get("body") or ""
    payload = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
    return int(result["statusCode"]), headers, payload


def request_handler_for(api: LocalApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "neptun-imports-local"

        def setup(self) -> None:
            super().setup()
            # Responses go out at once: with Nagle's algorithm a small write after another waits for
            # the client's delayed ACK (about 40 ms on Linux) on a kept-alive connection.
            if self.connection.family in {socket.AF_INET, socket.AF_INET6}:
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _serve(self) -> None:
            started = time.perf_counter()
            status, headers, payload = self._answer()
            self.send_response(status)
            for name, value in headers:
                if name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
            elapsed_ms = (time.perf_counter() - started) * 1000
            request_line = f"{self.command} {self.path.partition('?')[0]}"
            print(f"{escaped(request_line)} {status} {elapsed_ms:.1f} ms", file=sys.stderr, flush=True)

        def _answer(self) -> tuple[int, list[tuple[str, str]], bytes]:
            if "chunked" in self.headers.get("transfer-encoding", "").lower():
                return 411, _JSON, b'{"message":"Length Required"}'
            length = declared_length(self.headers.get_all("content-length") or [])
            if length is None or length > MAX_PAYLOAD_BYTES:
                # The body's end is unknown (or not worth reading): answer, then drop the connection.
                self.close_connection = True
                if length is None:
                    return 400, _JSON, b'{"message":"Bad Request"}'
                return 413, _JSON, b'{"message":"Request Entity Too Large"}'
            body = self.rfile.read(length)
            incoming = [(name, value) for name, value in self.headers.items() if name.lower() not in _HOP_BY_HOP]
            return api.respond(self.command, self.path, incoming, body, self.client_address[0])

        def __getattr__(self, name: str) -> Any:
            # http.server looks up do_<METHOD>; every method goes to the routes, like API Gateway,
            # which answers an unknown method or path with 404 rather than 501.
            if name.startswith("do_"):
                return self._serve
            raise AttributeError(name)

        def log_message(self, format: str, *args: Any) -> None:
            """Silenced: _serve logs one line per request itself."""

    return Handler


def declared_length(values: list[str]) -> int | None:
    """The Content-Length a request declares (0 without one), or None when it is malformed.

    Plain decimal digits only, and several headers must agree (RFC 9110, 8.6).
    """
    if not values:
        return 0
    distinct = {value.strip() for value in values}
    if len(distinct) != 1:
        return None
    [value] = distinct
    if not (value.isascii() and value.isdigit()):
        return None
    # Past int()'s digit limit a length would raise; anything that long is far too large anyway.
    return int(value) if len(value) <= _MAX_LENGTH_DIGITS else MAX_PAYLOAD_BYTES + 1


def escaped(text: str) -> str:
    """Text safe for a terminal: control and other unprintable characters as Python escapes."""
    return "".join(character if character.isprintable() else ascii(character)[1:-1] for character in text)


def banner(
    settings: LocalSettings,
    token: str | None,
    backend: Backend | None,
    tables: list[str],
    importing: list[str] | None = None,
) -> str:
    base_url = f"http://127.0.0.1:{settings.api_port}"
    source = f"{DESCRIPTION[backend]}; tables from template.yaml: {', '.join(tables)}" if backend else "external"
    lines = [
        "Neptun imports service is running locally.",
        f"  API:       {base_url}",
        f"  OpenAPI:   {base_url}{OPENAPI_PATH}  (try it in a browser: {base_url}{DOCS_PATH})",
        f"  DynamoDB:  {settings.dynamodb_endpoint}  ({source})",
        f"  Webhook:   {base_url}{WEBHOOK_PATH}  (GitHub App deliveries; secret: {_secret_shown()})",
        *(importing or []),
    ]
    if token:
        path = f"/api/users/{DEMO_USER_ID}/projects/{DEMO_PROJECT_ID}/resources/imports"
        body = json.dumps(
            {
                "source_type": "github",
                "source_path": f"{DEMO_GITHUB_ACCOUNT}/repository",
                "title": "My GitHub Import",
                "description": "Importing from GitHub repository",
            }
        )
        lines += [
            f"  Demo data: user {DEMO_USER_ID}, project {DEMO_PROJECT_ID}, "
            f"GitHub App installation on '{DEMO_GITHUB_ACCOUNT}' covering all its repositories, "
            f"import {DEMO_IMPORT.id}",
            f"  Cookie:    neptun-session={token}",
            "",
            "Create an import:",
            f'  curl -i -X POST "{base_url}{path}" \\',
            '    -H "Accept: application/json" -H "Content-Type: application/json" \\',
            f'    -H "Cookie: neptun-session={token}" \\',
            f"    -d '{body}'",
            "",
            "List the project's imports (docs: docs/http-contract.md):",
            f'  curl -i "{base_url}{path}" -H "Accept: application/json" -H "Cookie: neptun-session={token}"',
            "",
            "Replay a signed GitHub delivery (installs the app on Codertocat for the demo user; docs/github-app.md):",
            f"  {_webhook_command(settings)}",
        ]
    lines += ["", "Ctrl-C stops it. Requests are logged one a line; the handler's JSON logs and metrics follow them."]
    return "\n".join(lines)


def _webhook_command(settings: LocalSettings) -> str:
    """`make webhook` as it reaches this server pasted as it is: on another port, `PORT=` says which."""
    port = "" if settings.api_port == DEFAULT_API_PORT else f"PORT={settings.api_port} "
    own_secret = local_webhook_secret() != DEMO_WEBHOOK_SECRET
    secret = "  # export the same GITHUB_WEBHOOK_SECRET in that shell first" if own_secret else ""
    return f"{port}make webhook ARGS='events/github/installation.created.json'{secret}"


def _secret_shown() -> str:
    if local_webhook_secret() != DEMO_WEBHOOK_SECRET:
        return "from GITHUB_WEBHOOK_SECRET"  # a secret of the user's own is not printed
    return f"{DEMO_WEBHOOK_SECRET} (the demo value; set GITHUB_WEBHOOK_SECRET for another)"


class QueueingHTTPServer(ThreadingHTTPServer):
    """Queues a burst of connections instead of resetting them, as API Gateway queues requests for
    Lambda. Python's default listen backlog is 5: a few dozen clients at once saw resets."""

    request_queue_size = 1024


def _port_in_use(error: OSError, port: int, variable: str) -> SystemExit:
    if error.errno == errno.EADDRINUSE:
        return SystemExit(f"error: port {port} is already in use; set {variable} to use another one")
    return SystemExit(f"error: cannot listen on port {port} ({error.strerror}); set {variable} to another one")


def main() -> None:
    """Serves until Ctrl-C, which ends it cleanly at any moment: also while DynamoDB starts, tables
    are created or the demo data is seeded (local/run.py covers the imports before this)."""
    started: list[LocalDynamoDB | LocalImporting] = []
    try:
        _serve(LocalSettings.from_environment(), started)
    except KeyboardInterrupt:
        print("\nStopping.", file=sys.stderr)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the cleanup short
        for embedded in reversed(started):  # the pipeline before the DynamoDB it polls
            embedded.stop()
    # Everything is closed and written. Skip the interpreter's teardown: after a burst on moto (which
    # copies the whole table on every transaction) it spends many seconds collecting that garbage.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _serve(settings: LocalSettings, started: list[LocalDynamoDB | LocalImporting]) -> None:
    """Starts DynamoDB, S3, SQS and GitHub (each recorded in `started` first, for the cleanup), the
    import pipeline, and serves until Ctrl-C."""
    embedded, backend = None, None
    if not settings.external_dynamodb:
        backend, notice = chosen_backend()
        if notice:
            print(notice, file=sys.stderr, flush=True)
        try:
            embedded = embedded_dynamodb(backend, settings.dynamodb_host, settings.dynamodb_port)
        except OSError as error:
            raise _port_in_use(error, settings.dynamodb_port, "DYNAMODB_PORT") from None
    try:
        api_server = QueueingHTTPServer(("127.0.0.1", settings.api_port), BaseHTTPRequestHandler)
    except OSError as error:
        raise _port_in_use(error, settings.api_port, "PORT") from None
    try:
        if embedded:
            started.append(embedded)
            embedded.start()
        use_placeholder_credentials()
        importing = LocalImporting()
        started.append(importing)
        client = local_dynamodb_client(settings.dynamodb_endpoint)
        configure_handler_environment(settings.dynamodb_endpoint, importing.start(client))
        token = None
        tables: list[str] = []
        if embedded or settings.seed_external:
            tables = create_tables(client, streams=True)  # the stream is the pipeline's outbox, as on AWS
            token = seed_demo_data(client)
            seed_demo_import(client)
        # The handler modules are imported only now that their environment is set.
        api_server.RequestHandlerClass = request_handler_for(LocalApi(http_api_routes(), demo_token=token))
        if embedded or settings.seed_external:
            # Only the make run that made the tables imports: another one sharing them (tests do)
            # would poll the same stream and queue each run twice.
            importing.start_polling(client, client.meta.region_name)
        print(banner(settings, token, backend, tables, importing.banner_lines()), flush=True)
        api_server.serve_forever()
    finally:
        api_server.server_close()


if __name__ == "__main__":
    main()
