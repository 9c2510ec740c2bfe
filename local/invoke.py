"""`make invoke EVENT=events/<file>.json`: a Docker-free `sam local invoke`.

Runs the Lambda handler of the function the event's routeKey names in template.yaml once on the event,
against an embedded DynamoDB (DynamoDB Local, or moto's server mode: local/dynamodb_backend.py) on a
free loopback port with the tables from
template.yaml and the demo data (the demo import included), and prints the handler's response to
stdout (its logs go to stderr). With DYNAMODB_ENDPOINT_URL set, that DynamoDB is used as it is.

An event of the import pipeline goes to its function by its shape, as its event source would hand it:
a DynamoDB stream record to the outbox, an SQS record to the worker, EventBridge's scheduled event to
the sweep (events/pipeline/). For those, make run's S3, SQS and GitHub stand-in start too
(local/importing.py), on free ports unless LOCAL_AWS_PORT, LOCAL_GITHUB_PORT or LOCAL_CODELOAD_PORT
name others.

Given several events (`make invoke EVENT='events/[0-9]*.json'`), it starts the DynamoDB once and runs each
event on fresh demo data (the embedded tables are made again between events, so no event sees what
another wrote), printing one JSON line per event: `{"event": "<file>", "response": {...}}`.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local.demo import seed_demo_data, seed_demo_import
from local.dynamodb_backend import chosen_backend
from local.dynamodb_backend import embedded as embedded_dynamodb
from local.importing import DEFAULT_PORTS, LocalImporting
from local.lambda_context import LocalLambdaContext
from local.server import lambda_handler_named
from local.settings import (
    LocalSettings,
    configure_handler_environment,
    local_dynamodb_client,
    use_placeholder_credentials,
)
from local.tables import create_tables, delete_tables
from local.template import function_handler, http_api_routes

# The pipeline's functions, by what hands them their events.
_FUNCTION_OF_EVENT_SOURCE = {"aws:dynamodb": "ImportOutboxFunction", "aws:sqs": "ImportWorkerFunction"}
_SCHEDULED_FUNCTION = "ImportSweepFunction"

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


def main(arguments: list[str]) -> int:
    if not arguments:
        print("usage: make invoke EVENT=events/<file>.json (or several: EVENT='events/[0-9]*.json')", file=sys.stderr)
        return 2
    # Every file is read and routed before anything starts: a mistake in the last one costs nothing.
    read = [(argument, _event(Path(argument))) for argument in arguments]
    events = [(name, event, _target_of(name, event)) for name, event in read]
    settings = LocalSettings.from_environment()
    embedded = None
    if not settings.external_dynamodb:
        backend, notice = chosen_backend()
        if notice:
            print(notice, file=sys.stderr)
        embedded = embedded_dynamodb(backend, "127.0.0.1", 0)
    endpoint = embedded.endpoint if embedded else settings.dynamodb_endpoint
    importing = None
    if embedded:
        embedded.start()
    try:
        client = local_dynamodb_client(endpoint)
        pipeline_environment: dict[str, str] = {}
        if any(target.is_pipeline for _, _, target in events):
            for name in DEFAULT_PORTS:  # never in the way of a make run beside it
                os.environ.setdefault(name, "0")
            use_placeholder_credentials()  # its S3 and SQS clients are made before the handlers' environment
            importing = LocalImporting()
            pipeline_environment = importing.start(client)
        configure_handler_environment(endpoint, pipeline_environment)
        from handlers import edge  # noqa: PLC0415 - imported only once its environment is set

        edge.logger.registered_handler.setStream(sys.stderr)  # type: ignore[attr-defined]
        _invoke_each(events, client, embedded=embedded is not None, seed=settings.seed_external)
    finally:
        if importing:
            importing.stop()
        if embedded:
            embedded.stop()
    return 0


@dataclass(frozen=True)
class Target:
    """The function an event is for, and its template Handler."""

    function_id: str
    handler: str
    is_pipeline: bool = False


def _invoke_each(
    events: list[tuple[str, dict[str, Any], Target]], client: DynamoDBClient, *, embedded: bool, seed: bool
) -> None:
    """Each event on fresh demo data in an embedded DynamoDB (seeded too when `seed`), printed as it ends."""
    for index, (name, event, target) in enumerate(events):
        lambda_handler = lambda_handler_named(target.handler)
        if embedded and index:
            delete_tables(client)  # the previous event's writes go with them
        if embedded or seed:
            create_tables(client)
            seed_demo_data(client)
            seed_demo_import(client)
        with contextlib.redirect_stdout(sys.stderr):  # EMF metric lines, printed by Powertools
            response = lambda_handler(event, LocalLambdaContext.of(target.function_id))
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


def _target_of(name: str, event: dict[str, Any]) -> Target:
    pipeline_function = _pipeline_function_of(event)
    if pipeline_function is not None:
        return Target(pipeline_function, function_handler(pipeline_function), is_pipeline=True)
    routes = {route.route_key: route for route in http_api_routes()}
    route_key = event.get("routeKey") or event.get("requestContext", {}).get("routeKey")
    if route_key not in routes:
        raise SystemExit(
            f"error: {name}: its routeKey {route_key!r} is none of the template's: {', '.join(routes)} "
            "(and it is no stream, queue or schedule event of the import pipeline)"
        )
    route = routes[route_key]
    return Target(route.function_id, route.handler)


def _pipeline_function_of(event: dict[str, Any]) -> str | None:
    if event.get("source") == "aws.events" and event.get("detail-type") == "Scheduled Event":
        return _SCHEDULED_FUNCTION
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        return _FUNCTION_OF_EVENT_SOURCE.get(records[0].get("eventSource", ""))
    return None


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
