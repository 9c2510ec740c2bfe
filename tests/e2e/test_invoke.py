"""`make invoke EVENT=...`: every file in events/ through the Docker-free `sam local invoke`.

All the events run in one `local.invoke` process (one DynamoDB start instead of one per event, each
event on fresh demo data), and the single-event form, whose stdout is the response alone, runs too.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.local_server import ROOT, run_in_repository

EVENTS = sorted((ROOT / "events").glob("[0-9][0-9][0-9]-*.json"))


def invoke(*event_files: Path) -> str:
    names = [str(event_file.relative_to(ROOT)) for event_file in event_files]
    result = run_in_repository([sys.executable, "-m", "local.invoke", *names], 300)
    assert result.returncode == 0, result.stderr
    return result.stdout  # the responses alone; logs and metrics go to stderr


@pytest.fixture(scope="module")
def responses() -> dict[str, dict[str, Any]]:
    """The response to each event, from one `make invoke EVENT='events/[0-9]*.json'`."""
    lines = [json.loads(line) for line in invoke(*EVENTS).splitlines()]
    assert [line["event"] for line in lines] == [str(path.relative_to(ROOT)) for path in EVENTS]
    return {Path(line["event"]).name: line["response"] for line in lines}


def assert_intended(event_file: Path, response: dict[str, Any]) -> None:
    assert response["statusCode"] == int(event_file.name[:3])
    if response["statusCode"] == 204:
        assert not response.get("body")
    elif response["headers"].get("Content-Type", "").startswith("text/markdown"):
        assert response["body"].startswith("# Project context\n")  # the only Markdown event
    else:
        assert json.loads(response["body"])


@pytest.mark.parametrize("event_file", EVENTS, ids=[path.stem for path in EVENTS])
def test_invoke_prints_the_lambda_response_with_the_intended_status(
    event_file: Path, responses: dict[str, dict[str, Any]]
) -> None:
    assert_intended(event_file, responses[event_file.name])


@pytest.mark.parametrize("name", ["201-github-import", "204-delete-import", "401-github-webhook-wrong-signature"])
def test_one_event_prints_its_response_alone(name: str) -> None:
    event_file = ROOT / "events" / f"{name}.json"
    assert_intended(event_file, json.loads(invoke(event_file)))


def test_each_event_of_a_run_sees_fresh_demo_data() -> None:
    deleted_first = [ROOT / "events" / "204-delete-import.json", ROOT / "events" / "200-get-import.json"]
    statuses = [json.loads(line)["response"]["statusCode"] for line in invoke(*deleted_first).splitlines()]
    assert statuses == [204, 200]  # the demo import the first event deleted is back for the second


PIPELINE_EVENTS = sorted((ROOT / "events" / "pipeline").glob("*.json"))


def test_the_pipelines_events_run_their_functions_and_the_demo_import_completes() -> None:
    names = [str(event_file.relative_to(ROOT)) for event_file in PIPELINE_EVENTS]
    result = run_in_repository([sys.executable, "-m", "local.invoke", *names], 300)
    assert result.returncode == 0, result.stderr
    responses = {Path(line["event"]).stem: line["response"] for line in map(json.loads, result.stdout.splitlines())}
    logged = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]

    assert responses == {
        "outbox-demo-import-created": {"batchItemFailures": []},
        # Seeded pending since 2026-11-27: overdue, so the sweep sends its job again.
        "sweep-scheduled": {"sent": 1, "more": False},
        "worker-run-demo-import": {"batchItemFailures": []},
    }
    queued = [line for line in logged if "ImportJobQueued" in line]
    assert [line["ImportJobQueued"] for line in queued] == [[1.0]]
    ended = [line for line in logged if line.get("message") == "import run ended"]
    assert [(line["function_name"], line["outcome"]) for line in ended] == [("ImportWorkerFunction", "completed")]
