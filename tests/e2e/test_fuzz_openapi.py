"""Schemathesis fuzzes the local server from its own OpenAPI document, over real HTTP."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.local_server import LocalServer, run_in_repository, start_local_server

MAX_EXAMPLES = 150  # per phase; bounded so that the test command stays quick
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
]


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    running = start_local_server()
    yield running
    running.stop()


def test_schemathesis_finds_no_server_error_and_no_undocumented_response(server: LocalServer, tmp_path: Path) -> None:
    report = tmp_path / "events.ndjson"
    result = run_in_repository(
        [
            str(Path(sys.executable).with_name("st")),
            "run",
            f"{server.base_url}/openapi.json",
            "--checks",
            ",".join(CHECKS),
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            "20261127",
            # What this test looks for is a 5xx or an undocumented answer, not a slow one (speed is make
            # bench's). make run's S3 is moto, one request at a time: the project digest of the hundreds
            # of imports the fuzzer creates took more than schemathesis's default 10 s beside the other
            # tests on two cores (a CI run of 2026-12-02).
            "--request-timeout",
            "120",
            "--header",
            f"Cookie: neptun-session={server.session_token}",
            "--report",
            "ndjson",
            "--report-ndjson-path",
            str(report),
        ],
        # On DynamoDB Local beside the other end-to-end tests on two cores, it once took more than 600 s
        # (a CI run of 2026-12-02, after the upload tests were added).
        timeout=1200,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    responses = [
        json.loads(line) for line in report.read_text(encoding="utf-8").splitlines() if '"status_code"' in line
    ]
    assert responses  # the run really sent requests
