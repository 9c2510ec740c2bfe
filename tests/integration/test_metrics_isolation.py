"""Each function's metrics are its own: make run serves every function in one process, where one
function's flush must not take (and empty) another's metrics in flight. With Powertools' shared
Metrics() it did, and the create whose set was emptied between check and serialisation answered 500
("Must contain at least one metric"): the cause of the burst test's rare failure on make run."""

from __future__ import annotations

import json

import pytest
from aws_lambda_powertools.metrics import MetricUnit

from handlers import create_import, github_webhook, import_outbox, import_sweep, import_worker


def test_a_flush_in_one_function_leaves_another_functions_metrics_in_flight(capsys: pytest.CaptureFixture[str]) -> None:
    create_import.metrics.add_metric(name="ImportCreated", unit=MetricUnit.Count, value=1)
    for other in (import_outbox, import_worker, import_sweep, github_webhook):
        other.metrics.flush_metrics()  # nothing of theirs in flight: nothing to emit

    assert capsys.readouterr().out == ""
    create_import.metrics.flush_metrics(raise_on_empty_metrics=True)
    (emitted,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert emitted["ImportCreated"] == [1.0]
