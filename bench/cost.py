"""What a million requests of each route cost, from what DynamoDB reported and what the function took.

Runs on Amazon's DynamoDB Local (`make bench` starts one): its ConsumedCapacity for every request
of each route's successful outcome (bench/requests_per_outcome.py), and the handler's wall time per
request, the median of ROUNDS. Priced at the public on-demand prices below, one place to change them.

DynamoDB Local misreports capacity (bench/billing.py), so what is billed is computed from the items
each request reads and writes, by DynamoDB's documented rules; what it reported is shown beside it.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any

from bench.events import create_event, delivery_event, route_event
from bench.requests_per_outcome import Outcome, RequestCapacity, measure
from local.lambda_context import LocalLambdaContext

ROUNDS = 50
MEMORY_GB = 1.0  # template.yaml's MemorySize, 1024 MB


@dataclass(frozen=True)
class Prices:
    """Public on-demand prices, USD, us-east-1, as published in November 2026."""

    region: str = "us-east-1"
    api_request: float = 1.00 / 1e6  # HTTP API, first 300 million requests a month
    lambda_request: float = 0.20 / 1e6
    lambda_gb_second: float = 0.0000133334  # arm64
    read_request_unit: float = 0.125 / 1e6  # DynamoDB on-demand, Standard table class
    write_request_unit: float = 0.625 / 1e6
    snapstart_cache_gb_second: float = 0.0000015046  # Python: per GB of memory, per second cached
    snapstart_restore_gb: float = 0.0001397998  # Python: per GB of memory, per restore


PRICES = Prices()
# The route each row stands for: its successful outcome in bench/requests_per_outcome.py.
ROUTE_OUTCOMES = {
    "create (201)": "create",
    "list a page (200)": "list: a page",
    "read (200)": "get: the import",
    "change the title (200)": "update: title",
    "delete (204)": "delete: the import",
    "webhook delivery (200)": "webhook: repositories added",
}


@dataclass(frozen=True)
class RouteCost:
    route: str
    reported_units: float
    read_units: float  # as billed
    write_units: float  # as billed
    milliseconds: float

    def per_million(self, prices: Prices = PRICES) -> dict[str, float]:
        dynamodb = self.read_units * prices.read_request_unit + self.write_units * prices.write_request_unit
        billed_seconds = math.ceil(self.milliseconds) / 1000  # Lambda bills whole milliseconds
        duration = billed_seconds * MEMORY_GB * prices.lambda_gb_second
        parts = {
            "API Gateway": prices.api_request,
            "Lambda requests": prices.lambda_request,
            "Lambda duration": duration,
            "DynamoDB": dynamodb,
        }
        return {name: cost * 1e6 for name, cost in parts.items()} | {"total": sum(parts.values()) * 1e6}


def billed_units(requests: list[RequestCapacity]) -> tuple[float, float]:
    """(read units, write units) DynamoDB bills for these requests (bench/billing.py)."""
    return sum(request.billed.read_units for request in requests), sum(
        request.billed.write_units for request in requests
    )


def time_routes(token: str, rounds: int = ROUNDS) -> dict[str, float]:
    """Median wall milliseconds per request of each route, against the DynamoDB the handlers were built for."""
    from local.server import lambda_handler_of  # noqa: PLC0415 - after the environment is set
    from local.template import http_api_routes  # noqa: PLC0415

    routes = {route.route_key: route for route in http_api_routes()}
    imports = "/api/users/1/projects/789/resources/imports"
    created: list[int] = []
    samples: dict[str, list[float]] = {route: [] for route in ROUTE_OUTCOMES}

    def timed(route: str, event: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        response: dict[str, Any] = lambda_handler_of(routes[event["routeKey"]])(event, LocalLambdaContext())
        samples[route].append(1000 * (time.perf_counter() - started))
        return response

    for round_number in range(rounds):
        response = timed("create (201)", create_event(token))
        created.append(json.loads(response["body"])["import"]["id"])
        one = f"{imports}/{created[0]}"
        timed("list a page (200)", route_event("GET", imports, token, query="limit=10"))
        timed("read (200)", route_event("GET", one, token))
        timed("change the title (200)", route_event("PUT", one, token, body={"title": f"t{round_number}"}))
        timed("webhook delivery (200)", delivery_event("installation_repositories.added", f"cost-{round_number}"))
    for import_id in created:
        timed("delete (204)", route_event("DELETE", f"{imports}/{import_id}", token))
    return {route: statistics.median(times) for route, times in samples.items()}


def route_costs(outcomes: list[Outcome], milliseconds: dict[str, float]) -> list[RouteCost]:
    by_name = {outcome.name: outcome for outcome in outcomes}
    costs = []
    for route, outcome_name in ROUTE_OUTCOMES.items():
        requests = by_name[outcome_name].capacity
        reads, writes = billed_units(requests)
        reported = sum(request.units for request in requests)
        costs.append(RouteCost(route, reported, reads, writes, milliseconds[route]))
    return costs


def snapstart_month(functions: int, prices: Prices = PRICES) -> float:
    """Caching one published version of each function for a 30-day month (SnapStart's fixed part)."""
    return functions * MEMORY_GB * 30 * 24 * 3600 * prices.snapstart_cache_gb_second


def snapstart_per_thousand_restores(prices: Prices = PRICES) -> float:
    return 1000 * MEMORY_GB * prices.snapstart_restore_gb


def measure_on_dynamodb_local() -> list[RouteCost] | str:
    """Run this module against a DynamoDB Local of its own; the reason when there is none."""
    lines = lines_on_dynamodb_local("bench.cost", "cost")
    if isinstance(lines, str):
        return lines
    return [RouteCost(**{key: value for key, value in line.items() if key != "per_million"}) for line in lines]


def lines_on_dynamodb_local(module: str, tag: str) -> list[dict[str, Any]] | str:
    """Run `python -m module` against a DynamoDB Local of its own and read its `tag {json}` lines; the
    reason when there is no DynamoDB Local."""
    from bench.cold_start import ROOT, child_environment  # noqa: PLC0415
    from local.dynamodb_local import DynamoDBLocal, unavailable_reason  # noqa: PLC0415

    reason = unavailable_reason()
    if reason is not None:
        return reason
    server = DynamoDBLocal("127.0.0.1", 0)
    server.start()
    try:
        environment = child_environment() | {"DYNAMODB_ENDPOINT_URL": server.endpoint}
        completed = subprocess.run(
            [sys.executable, "-m", module], env=environment, cwd=ROOT, capture_output=True, text=True, check=True
        )
    finally:
        server.stop()
    prefix = f"{tag} "
    return [json.loads(line.removeprefix(prefix)) for line in completed.stdout.splitlines() if line.startswith(prefix)]


def main() -> None:
    if not os.environ.get("DYNAMODB_ENDPOINT_URL"):
        sys.exit("bench.cost runs against DynamoDB Local: set DYNAMODB_ENDPOINT_URL (make bench does)")
    outcomes = measure()
    from local.demo import DEMO_SESSION_TOKEN  # noqa: PLC0415 - measure() seeded it

    for cost in route_costs(outcomes, time_routes(DEMO_SESSION_TOKEN)):
        print("cost", json.dumps(asdict(cost) | {"per_million": cost.per_million()}))


if __name__ == "__main__":
    main()
