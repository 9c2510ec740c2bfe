"""DynamoDB requests per outcome, counted with botocore's `request-created` event (retries included)."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import io
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bench.billing import Bill, ItemSizes, SizeBefore, bill
from bench.events import BODY, DEMO_IMPORT_ID, create_event, delivery_event, route_event
from local.lambda_context import LocalLambdaContext


@dataclass(frozen=True)
class Outcome:
    name: str
    status: int
    requests: list[str]
    # Per request: what DynamoDB reported it consumed (ReturnConsumedCapacity=TOTAL on every request).
    capacity: list[RequestCapacity]


@dataclass(frozen=True)
class RequestCapacity:
    operation: str
    units: float  # ConsumedCapacity's CapacityUnits, summed over the tables; 0 when none was reported
    billed: Bill  # what DynamoDB bills for it, by its documented rules (bench/billing.py)


def _cases(token: str) -> list[tuple[str, dict[str, Any]]]:
    uncovered = {"source_type": "github", "source_path": "stranger/repository"}
    return [
        ("create", create_event(token)),
        ("no session", create_event("never-issued")),
        ("another user's path", create_event(token, user_id=2)),
        ("project not found", create_event(token, project_id=790)),
        ("repository not covered", create_event(token, body=uncovered)),
        ("invalid body", create_event(token, body=BODY | {"source_type": "svn"})),
        ("create, Idempotency-Key", _with_key(create_event(token), "bench-key")),
        ("replay, same key", _with_key(create_event(token), "bench-key")),
        *_existing_import_cases(token),
        ("webhook: installation created", delivery_event("installation.created", "bench-1")),
        ("webhook: repositories added", delivery_event("installation_repositories.added", "bench-2")),
        ("webhook: redelivered", delivery_event("installation_repositories.added", "bench-2")),
        ("webhook: account renamed", delivery_event("installation_target.renamed", "bench-3")),
        ("webhook: ping", delivery_event("ping", "bench-4")),
    ]


def _existing_import_cases(token: str) -> list[tuple[str, dict[str, Any]]]:
    imports = "/api/users/1/projects/789/resources/imports"
    one, missing = f"{imports}/{DEMO_IMPORT_ID}", f"{imports}/{DEMO_IMPORT_ID + 1}"
    stale = (("if-match", '"v99"'),)
    return [
        ("list: a page", route_event("GET", imports, token, query="limit=10")),
        ("list: a filtered page", route_event("GET", imports, token, query="source_type=github")),
        ("list: unknown parameter", route_event("GET", imports, token, query="sort=id")),
        ("list: project not found", route_event("GET", imports.replace("789", "790"), token)),
        ("get: the import", route_event("GET", one, token)),
        ("get: import not found", route_event("GET", missing, token)),
        ("update: title", route_event("PUT", one, token, body={"title": "Renamed"})),
        ("update: github path, owner read along", route_event("PUT", one, token, body={"source_path": "username/b"})),
        ("update: to local_folder", route_event("PUT", one, token, body={"source_type": "local_folder"})),
        ("update: back to github (stored path)", route_event("PUT", one, token, body={"source_type": "github"})),
        ("update: stale If-Match", route_event("PUT", one, token, body={"title": "x"}, headers=stale)),
        ("update: import not found", route_event("PUT", missing, token, body={"title": "x"})),
        ("delete: stale If-Match", route_event("DELETE", one, token, headers=stale)),
        ("delete: the import", route_event("DELETE", one, token)),
        ("delete: import not found", route_event("DELETE", one, token)),
    ]


class RequestRecorder:
    """Records, through botocore's events, every DynamoDB request a call makes and what it consumed."""

    def __init__(self, sizes: ItemSizes) -> None:
        self.sent: list[str] = []  # one per attempt, retries included
        self.capacity: list[RequestCapacity] = []  # one per call
        self._sizes = sizes
        self._calls: list[tuple[dict[str, Any], SizeBefore]] = []

    @contextlib.contextmanager
    def attached_to(self, clients: tuple[Any, ...]) -> Iterator[None]:
        hooks = [
            ("request-created.dynamodb", self._count),
            ("provide-client-params.dynamodb", self._before_the_call),
            ("after-call.dynamodb", self._keep_capacity),
        ]
        for client in clients:
            for hook in hooks:
                client.meta.events.register(*hook)
        try:
            yield
        finally:
            for client in clients:
                for hook in hooks:
                    client.meta.events.unregister(*hook)

    def _count(self, event_name: str, **_: Any) -> None:
        self.sent.append(event_name.rsplit(".", 1)[-1])

    def _before_the_call(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        # Every call the functions make accepts it; it changes only what the response carries.
        params["ReturnConsumedCapacity"] = "TOTAL"
        self._calls.append((copy.deepcopy(params), self._sizes.before(model.name, params)))

    def _keep_capacity(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        reported = parsed.get("ConsumedCapacity", [])
        tables = reported if isinstance(reported, list) else [reported]
        units = sum(float(table.get("CapacityUnits", 0)) for table in tables)
        params, size_before = self._calls[len(self.capacity)]
        size_after = self._sizes.before(model.name, params)  # read now: the items as the call left them
        # A cancelled transaction is billed as if it had committed: an upper bound.
        billed = bill(model.name, params, parsed, size_before, size_after)
        self.capacity.append(RequestCapacity(model.name, units, billed))


def side_client(client: Any) -> Any:
    """A client of its own to the same DynamoDB, for reads that are not the measured calls'."""
    import boto3  # noqa: PLC0415

    return boto3.client("dynamodb", endpoint_url=client.meta.endpoint_url, region_name=client.meta.region_name)


def _with_key(event: dict[str, Any], key: str) -> dict[str, Any]:
    event["headers"]["idempotency-key"] = key
    return event


def measure() -> list[Outcome]:
    """On moto in process; or, with DYNAMODB_ENDPOINT_URL set before the handlers are imported, on that
    DynamoDB (which must have no tables yet), e.g. DynamoDB Local (`python -m bench.requests_per_outcome`)."""
    import moto  # noqa: PLC0415 - before the handler creates its client, so that moto intercepts it

    from handlers import create_import, github_webhook  # noqa: PLC0415
    from local.demo import seed_demo_data, seed_demo_import  # noqa: PLC0415
    from local.server import lambda_handler_of  # noqa: PLC0415
    from local.tables import create_tables  # noqa: PLC0415
    from local.template import http_api_routes  # noqa: PLC0415

    routes = {route.route_key: route for route in http_api_routes()}
    outcomes = []
    external = bool(os.environ.get("DYNAMODB_ENDPOINT_URL"))
    with contextlib.nullcontext() if external else moto.mock_aws(), contextlib.redirect_stdout(io.StringIO()):
        create_tables(create_import.dynamodb)  # every function shares the client of handlers/edge.py
        token = seed_demo_data(create_import.dynamodb)
        seed_demo_import(create_import.dynamodb)
        sizes = ItemSizes(side_client(create_import.dynamodb))
        for name, event in _cases(token):
            lambda_handler = lambda_handler_of(routes[event["routeKey"]])
            recorder = RequestRecorder(sizes)
            clients = (create_import.dynamodb, github_webhook.dynamodb)  # the webhook has its own
            with recorder.attached_to(clients):
                response = lambda_handler(event, LocalLambdaContext())
            outcomes.append(Outcome(name, response["statusCode"], recorder.sent, recorder.capacity))
    if outcomes[0].status != 201:
        raise RuntimeError(f"the create case did not succeed: {json.dumps(dataclasses.asdict(outcomes[0]))}")
    return outcomes


if __name__ == "__main__":
    # One JSON line per outcome, for comparing backends (tests/e2e/test_requests_on_both_backends.py).
    for outcome in measure():
        print("outcome", json.dumps(dataclasses.asdict(outcome)), file=sys.stdout)
