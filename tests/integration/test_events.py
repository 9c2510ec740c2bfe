"""Every file in events/ produces the status its name starts with, against the demo data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local.template import function_environment
from tests.api_client import invoke

EVENTS = sorted((Path(__file__).resolve().parents[2] / "events").glob("[0-9][0-9][0-9]-*.json"))


def test_there_is_an_event_for_success_and_each_error_class() -> None:
    statuses = {int(path.name[:3]) for path in EVENTS}
    assert statuses == {201, 400, 401, 403, 404, 413, 415}


@pytest.mark.usefixtures("demo_token")
@pytest.mark.parametrize("event_file", EVENTS, ids=[path.stem for path in EVENTS])
def test_event_produces_its_intended_status(event_file: Path) -> None:
    response = invoke(json.loads(event_file.read_text(encoding="utf-8")))
    assert response.status == int(event_file.name[:3]), response.text
    assert response.json()["statusCode" if response.status != 201 else "import"]


def test_env_json_sets_exactly_variables_the_template_declares() -> None:
    env = json.loads((EVENTS[0].parent / "env.json").read_text(encoding="utf-8"))
    # sam local invoke --env-vars ignores variables the template does not declare.
    assert set(env["CreateImportFunction"]) <= set(function_environment())
