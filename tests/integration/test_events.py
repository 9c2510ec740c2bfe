"""Every file in events/ produces the status its name starts with, against the demo data."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from handlers.import_messages import RunMessage, parse_message
from local.demo import DEMO_IMPORT, DEMO_IMPORT_START_ID, seed_demo_data, seed_demo_import
from local.template import function_environment, http_api_routes
from tests.api_client import invoke, stored_import_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

EVENTS_FOLDER = Path(__file__).resolve().parents[2] / "events"
EVENTS = sorted(EVENTS_FOLDER.glob("[0-9][0-9][0-9]-*.json"))


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
    # No 201 among them: the demo data holds no local_folder import (test_import_upload.py); 409 is the
    # demo import's answer, a github one.
    "POST /api/users/{user_id}/projects/{project_id}/resources/imports/{import_id}/upload": {
        400,
        401,
        403,
        404,
        409,
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
    "GET /api/users/{user_id}/projects/{project_id}/resources/imports/{import_id}/context": {400, 401, 403, 404, 409},
    # The demo project has no completed import without make run's GitHub stand-in: a digest of none.
    "GET /api/users/{user_id}/projects/{project_id}/resources/context": {200, 400, 401, 403, 404},
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
    elif response.headers.get("content-type", "").startswith("text/markdown"):
        assert response.text.startswith("# Project context\n")
    else:
        assert response.json()["statusCode" if response.status >= 400 else next(iter(response.json()))]


def test_env_json_sets_exactly_variables_the_template_declares() -> None:
    env = json.loads((EVENTS[0].parent / "env.json").read_text(encoding="utf-8"))
    # sam local invoke --env-vars ignores variables the template does not declare.
    assert set(env) == {route.function_id for route in http_api_routes()}
    for function_id, variables in env.items():
        assert set(variables) <= set(function_environment(function_id))


def test_the_outbox_event_holds_the_demo_import_as_the_service_stores_it(dynamodb: DynamoDBClient) -> None:
    seed_demo_data(dynamodb)
    seed_demo_import(dynamodb)
    event = json.loads((EVENTS_FOLDER / "pipeline" / "outbox-demo-import-created.json").read_text(encoding="utf-8"))
    [record] = event["Records"]

    assert record["dynamodb"]["NewImage"] == stored_import_item(dynamodb, DEMO_IMPORT.id)
    assert record["dynamodb"]["Keys"] == {name: record["dynamodb"]["NewImage"][name] for name in ("PK", "SK")}


def test_the_worker_event_names_the_demo_imports_first_run() -> None:
    event = json.loads((EVENTS_FOLDER / "pipeline" / "worker-run-demo-import.json").read_text(encoding="utf-8"))
    [record] = event["Records"]
    message = parse_message(record["body"])

    assert isinstance(message, RunMessage)
    assert (message.import_id, message.start_id) == (DEMO_IMPORT.id, DEMO_IMPORT_START_ID)
    assert record["md5OfBody"] == hashlib.md5(record["body"].encode()).hexdigest()  # noqa: S324 - SQS's own checksum
