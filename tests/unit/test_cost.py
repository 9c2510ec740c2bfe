"""The cost model of `make bench`: DynamoDB's billing rules applied to reported capacity, and the sums."""

from __future__ import annotations

import pytest

from bench.cost import PRICES, RouteCost, billed_units, snapstart_month
from bench.requests_per_outcome import RequestCapacity


def test_reads_and_plain_writes_are_billed_as_reported() -> None:
    requests = [RequestCapacity("BatchGetItem", 3.0, 0), RequestCapacity("PutItem", 1.0, 0)]
    assert billed_units(requests) == (3.0, 1.0)


def test_a_transaction_bills_its_writes_twice_and_each_condition_check_as_two_reads() -> None:
    create = [RequestCapacity("BatchGetItem", 3.0, 0), RequestCapacity("TransactWriteItems", 2.0, 2)]
    assert billed_units(create) == (3.0 + 2 * 2, 2 * 2.0)


def test_a_million_requests_add_up_each_part() -> None:
    route = RouteCost("create (201)", reported_units=5, read_units=7, write_units=4, milliseconds=17.2)
    parts = route.per_million()
    assert parts["API Gateway"] == pytest.approx(1.00)
    assert parts["DynamoDB"] == pytest.approx(7 * 0.125 + 4 * 0.625)
    # 18 ms billed (whole milliseconds) at 1 GB.
    assert parts["Lambda duration"] == pytest.approx(0.018 * PRICES.lambda_gb_second * 1e6)
    assert parts["total"] == pytest.approx(sum(value for name, value in parts.items() if name != "total"))


def test_snapstart_caches_each_function_for_the_whole_month() -> None:
    assert snapstart_month(6) == pytest.approx(6 * 2_592_000 * PRICES.snapstart_cache_gb_second)
