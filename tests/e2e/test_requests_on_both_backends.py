"""DynamoDB requests per outcome, counted on moto and on Amazon's DynamoDB Local: the same on both."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator

import pytest

from bench.cold_start import handler_environment
from bench.cost import ROUTE_OUTCOMES, measure_on_dynamodb_local
from local.dynamodb_local import DynamoDBLocal, unavailable_reason
from tests.e2e.local_server import run_in_repository

pytestmark = pytest.mark.both_backends

# The budget of each outcome, as docs/http-contract.md's table and docs/performance.md state it.
EXPECTED = {
    "create": ["BatchGetItem", "TransactWriteItems"],
    "no session": ["BatchGetItem"],
    "repository not covered": ["BatchGetItem"],
    "create, Idempotency-Key": ["BatchGetItem", "TransactWriteItems"],
    "replay, same key": ["BatchGetItem", "TransactWriteItems"],
    "list: a page": ["BatchGetItem", "Query"],
    "get: the import": ["BatchGetItem"],
    "update: title": ["BatchGetItem", "TransactWriteItems"],
    "list: a filtered page": ["BatchGetItem", "Query"],
    "update: back to github (stored path)": ["BatchGetItem", "BatchGetItem", "TransactWriteItems"],
    "delete: the import": ["BatchGetItem", "TransactWriteItems"],
    "webhook: installation created": ["BatchGetItem", "TransactWriteItems"],
    "webhook: redelivered": ["BatchGetItem", "TransactWriteItems"],
    "webhook: ping": [],
}


@pytest.fixture(scope="module")
def dynamodb_local() -> Iterator[str]:
    reason = unavailable_reason()
    assert reason is None, f"make test installs DynamoDB Local and needs Java 17+: {reason}"
    server = DynamoDBLocal("127.0.0.1", 0)
    server.start()
    yield server.endpoint
    server.stop()


def outcomes(**environment: str) -> dict[str, tuple[int, list[str]]]:
    result = run_in_repository(
        [sys.executable, "-m", "bench.requests_per_outcome"], 300, **(handler_environment() | environment)
    )
    assert result.returncode == 0, result.stderr[-3000:]
    measured = [json.loads(line.split(" ", 1)[1]) for line in result.stdout.splitlines() if line.startswith("outcome ")]
    return {outcome["name"]: (outcome["status"], outcome["requests"]) for outcome in measured}


def test_each_outcome_makes_the_same_requests_on_moto_and_dynamodb_local(dynamodb_local: str) -> None:
    on_moto = outcomes()
    on_local = outcomes(DYNAMODB_ENDPOINT_URL=dynamodb_local)
    assert on_local == on_moto
    for name, requests in EXPECTED.items():
        assert on_local[name][1] == requests, name


def test_make_bench_prices_every_route_from_the_capacity_dynamodb_local_reports() -> None:
    measured = measure_on_dynamodb_local()  # what make bench prints, on a DynamoDB Local of its own
    assert not isinstance(measured, str), f"make test installs DynamoDB Local and needs Java 17+: {measured}"
    rows = {route.route: route for route in measured}
    assert set(rows) == set(ROUTE_OUTCOMES)
    for name, route in rows.items():
        assert route.reported_units > 0, name
        assert route.milliseconds > 0, name
    assert rows["create (201)"].write_units > rows["read (200)"].write_units == 0
