"""The cost model of `make bench`: DynamoDB's billing rules applied to reported capacity, and the sums."""

from __future__ import annotations

import pytest

from bench.billing import Bill
from bench.cost import PRICES, RouteCost, billed_units, snapstart_month
from bench.requests_per_outcome import RequestCapacity


def test_the_bill_is_the_sum_of_what_each_request_is_billed_not_what_was_reported() -> None:
    create = [
        RequestCapacity("BatchGetItem", 3.0, Bill(read_units=3.0)),
        RequestCapacity("TransactWriteItems", 4.0, Bill(read_units=4.0, write_units=6.0)),
    ]
    assert billed_units(create) == (3.0 + 4.0, 6.0)


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
