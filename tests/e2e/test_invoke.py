"""`make invoke EVENT=...`: every file in events/ through the Docker-free `sam local invoke`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.e2e.local_server import ROOT, run_in_repository

EVENTS = sorted((ROOT / "events").glob("[0-9][0-9][0-9]-*.json"))


@pytest.mark.parametrize("event_file", EVENTS, ids=[path.stem for path in EVENTS])
def test_invoke_prints_the_lambda_response_with_the_intended_status(event_file: Path) -> None:
    result = run_in_repository([sys.executable, "-m", "local.invoke", str(event_file.relative_to(ROOT))])
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)  # stdout is the response alone; logs and metrics go to stderr
    assert response["statusCode"] == int(event_file.name[:3])
    if response["statusCode"] == 204:
        assert not response.get("body")
    else:
        assert json.loads(response["body"])
