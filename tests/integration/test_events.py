"""Every file in events/ produces the status its name starts with, against the demo data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from local.demo import seed_demo_data, seed_demo_import
from local.template import function_environment, http_api_routes
from tests.api_client import invoke

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

EVENTS = sorted((Path(__file__).resolve().parents[2] / "events").glob("[0-9][0-9][0-9]-*.json"))


# Each route's success and every error status it answers from its own checks (500 and 503 come from
# faults, tested in test_faults.py; 422 from a second keyed request, in test_idempotency.py).
STATUSES_OF_ROUTE = {
    "POST /api/users/{user_id}/projects/{project_id}/resources/imports": {201, 400, 401, 403, 404, 413, 415},
    "GET /api/users/{user_id}/projects/{project_id}/resources/imports": {200, 400, 401, 403, 404},
    "GET /api/users/{user_id}/projects/{project_id}/resources/imports/{import_id}": {200, 400, 401, 403, 404},
    "PUT /api/users/{user_id}/projects/{project_id}/resources/imports/{import_id}": {
        200,
        400,
        401,
        403,
        404,
        412,
        413,
        415,
    },
    "DELETE /api/users/{user_id}/projects/{project_id}/resources/imports/{import_id}": {204, 400, 401, 403, 404, 412},
    # 409 (a local_folder import) is not among them: the demo data holds none (test_refresh_import.py).
    "POST /api/users/{user_id}/projects/{project_id}/resources/imports/{import_id}/refresh": {
        202,
        400,
        401,
        403,
        404,
    },
    # No 200 yet for the files routes: the demo import is never imported without make run's GitHub
    # stand-in (test_import_files.py reads completed imports). 409 is the demo import's answer.
    "GET /api/users/{user_id}/projects/{project_id}/resources/imports/{import_id}/files": {400, 401, 403, 404, 409},
    "GET /api/users/{user_id}/projects/{project_id}/resources/imports/{import_id}/files/{path+}": {
        400,
        401,
        403,
        404,
        409,
    },
    "POST /api/github/webhooks": {200, 202, 400, 401},
}


def route_key_of(event_file: Path) -> str:
    route_key: str = json.loads(event_file.read_text(encoding="utf-8"))["routeKey"]
    return route_key


def test_there_is_an_event_for_each_routes_success_and_each_error_status() -> None:
    found: dict[str, set[int]] = {}
    for event_file in EVENTS:
        found.setdefault(route_key_of(event_file), set()).add(int(event_file.name[:3]))
    assert found == STATUSES_OF_ROUTE
    assert set(found) == {route.route_key for route in http_api_routes()}


@pytest.mark.parametrize("event_file", EVENTS, ids=[path.stem for path in EVENTS])
def test_event_produces_its_intended_status(event_file: Path, dynamodb: DynamoDBClient) -> None:
    seed_demo_data(dynamodb)
    seed_demo_import(dynamodb)
    response = invoke(json.loads(event_file.read_text(encoding="utf-8")))
    assert response.status == int(event_file.name[:3]), response.text
    if response.status == 204:
        assert response.text == ""
    else:
        assert response.json()["statusCode" if response.status >= 400 else next(iter(response.json()))]


def test_env_json_sets_exactly_variables_the_template_declares() -> None:
    env = json.loads((EVENTS[0].parent / "env.json").read_text(encoding="utf-8"))
    # sam local invoke --env-vars ignores variables the template does not declare.
    assert set(env) == {route.function_id for route in http_api_routes()}
    for function_id, variables in env.items():
        assert set(variables) <= set(function_environment(function_id))
