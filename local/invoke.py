"""`make invoke EVENT=events/<file>.json`: a Docker-free `sam local invoke`.

Runs the Lambda handler of the function the event's routeKey names in template.yaml once on the event,
against an embedded DynamoDB (DynamoDB Local, or moto's server mode: local/dynamodb_backend.py) on a
free loopback port with the tables from
template.yaml and the demo data (the demo import included), and prints the handler's response to
stdout (its logs go to stderr). With DYNAMODB_ENDPOINT_URL set, that DynamoDB is used as it is.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Any

from local.demo import seed_demo_data, seed_demo_import
from local.dynamodb_backend import chosen_backend
from local.dynamodb_backend import embedded as embedded_dynamodb
from local.lambda_context import LocalLambdaContext
from local.server import lambda_handler_of
from local.settings import LocalSettings, configure_handler_environment, local_dynamodb_client
from local.tables import create_tables
from local.template import Route, http_api_routes


def main(arguments: list[str]) -> int:
    if len(arguments) != 1:
        print("usage: make invoke EVENT=events/<file>.json", file=sys.stderr)
        return 2
    event = _event(Path(arguments[0]))
    settings = LocalSettings.from_environment()
    embedded = None
    if not settings.external_dynamodb:
        backend, notice = chosen_backend()
        if notice:
            print(notice, file=sys.stderr)
        embedded = embedded_dynamodb(backend, "127.0.0.1", 0)
    endpoint = embedded.endpoint if embedded else settings.dynamodb_endpoint
    if embedded:
        embedded.start()
    try:
        configure_handler_environment(endpoint)
        from handlers import edge  # noqa: PLC0415 - imported only once its environment is set

        edge.logger.registered_handler.setStream(sys.stderr)  # type: ignore[attr-defined]
        lambda_handler = lambda_handler_of(_route_of(event))
        if embedded or settings.seed_external:
            client = local_dynamodb_client(endpoint)
            create_tables(client)
            seed_demo_data(client)
            seed_demo_import(client)
        with contextlib.redirect_stdout(sys.stderr):  # EMF metric lines, printed by Powertools
            response = lambda_handler(event, LocalLambdaContext())
    finally:
        if embedded:
            embedded.stop()
    print(json.dumps(response, indent=2, ensure_ascii=False))
    return 0


def _event(path: Path) -> dict[str, Any]:
    try:
        event = json.loads(path.read_text(encoding="utf-8"))
    except OSError as unreadable:
        raise SystemExit(f"error: cannot read the event file {path}: {unreadable.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as broken:
        raise SystemExit(f"error: {path} is not a JSON event: {broken}") from None
    if not isinstance(event, dict):
        raise SystemExit(f"error: {path} is not a JSON object (an API Gateway event)")
    return event


def _route_of(event: dict[str, Any]) -> Route:
    routes = {route.route_key: route for route in http_api_routes()}
    route_key = event.get("routeKey") or event.get("requestContext", {}).get("routeKey")
    if route_key not in routes:
        raise SystemExit(f"error: the event's routeKey {route_key!r} is none of the template's: {', '.join(routes)}")
    return routes[route_key]


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
