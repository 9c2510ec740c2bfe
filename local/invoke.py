"""`make invoke EVENT=events/<file>.json`: a Docker-free `sam local invoke`.

Runs the Lambda handler of the function the event's routeKey names in template.yaml once on the event,
against an embedded DynamoDB (DynamoDB Local, or moto's server mode: local/dynamodb_backend.py) on a
free loopback port with the tables from
template.yaml and the demo data (the demo import included), and prints the handler's response to
stdout (its logs go to stderr). With DYNAMODB_ENDPOINT_URL set, that DynamoDB is used as it is.

Given several events (`make invoke EVENT='events/[0-9]*.json'`), it starts the DynamoDB once and runs each
event on fresh demo data (the embedded tables are made again between events, so no event sees what
another wrote), printing one JSON line per event: `{"event": "<file>", "response": {...}}`.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local.demo import seed_demo_data, seed_demo_import
from local.dynamodb_backend import chosen_backend
from local.dynamodb_backend import embedded as embedded_dynamodb
from local.lambda_context import LocalLambdaContext
from local.server import lambda_handler_of
from local.settings import LocalSettings, configure_handler_environment, local_dynamodb_client
from local.tables import create_tables, delete_tables
from local.template import Route, http_api_routes

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


def main(arguments: list[str]) -> int:
    if not arguments:
        print("usage: make invoke EVENT=events/<file>.json (or several: EVENT='events/[0-9]*.json')", file=sys.stderr)
        return 2
    # Every file is read and routed before anything starts: a mistake in the last one costs nothing.
    read = [(argument, _event(Path(argument))) for argument in arguments]
    events = [(name, event, _route_of(name, event)) for name, event in read]
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
        _invoke_each(
            events, local_dynamodb_client(endpoint), embedded=embedded is not None, seed=settings.seed_external
        )
    finally:
        if embedded:
            embedded.stop()
    return 0


def _invoke_each(
    events: list[tuple[str, dict[str, Any], Route]], client: DynamoDBClient, *, embedded: bool, seed: bool
) -> None:
    """Each event on fresh demo data in an embedded DynamoDB (seeded too when `seed`), printed as it ends."""
    for index, (name, event, route) in enumerate(events):
        lambda_handler = lambda_handler_of(route)
        if embedded and index:
            delete_tables(client)  # the previous event's writes go with them
        if embedded or seed:
            create_tables(client)
            seed_demo_data(client)
            seed_demo_import(client)
        with contextlib.redirect_stdout(sys.stderr):  # EMF metric lines, printed by Powertools
            response = lambda_handler(event, LocalLambdaContext.of(route.function_id))
        if len(events) == 1:
            print(json.dumps(response, indent=2, ensure_ascii=False))
        else:
            print(json.dumps({"event": name, "response": response}, ensure_ascii=False), flush=True)


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


def _route_of(name: str, event: dict[str, Any]) -> Route:
    routes = {route.route_key: route for route in http_api_routes()}
    route_key = event.get("routeKey") or event.get("requestContext", {}).get("routeKey")
    if route_key not in routes:
        raise SystemExit(f"error: {name}: its routeKey {route_key!r} is none of the template's: {', '.join(routes)}")
    return routes[route_key]


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
