"""Calls the real Lambda handler the way API Gateway does, and reads its responses like a client."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dynamodb_store import keys
from local.apigw_event import http_api_event
from local.demo import DEMO_PROJECT_ID, DEMO_SESSION_TOKEN, DEMO_USER_ID
from local.lambda_context import LocalLambdaContext
from local.server import lambda_handler_of
from local.template import Route, http_api_routes
from tests.iam_policy import running

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

ROUTES = http_api_routes()
IMPORTS_ROUTE = ROUTES[0]


def imports_path(user_id: object = DEMO_USER_ID, project_id: object = DEMO_PROJECT_ID) -> str:
    return f"/api/users/{user_id}/projects/{project_id}/resources/imports"


def import_path(import_id: object, user_id: object = DEMO_USER_ID, project_id: object = DEMO_PROJECT_ID) -> str:
    return f"{imports_path(user_id, project_id)}/{import_id}"


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str]
    text: str
    raw: dict[str, Any] = field(repr=False)

    def json(self) -> Any:
        return json.loads(self.text)


def route_for(method: str, path: str) -> tuple[Route, dict[str, str]]:
    """The route API Gateway would pick, with its path parameters."""
    for route in ROUTES:
        parameters = route.match(method, path)
        if parameters is not None:
            return route, parameters
    raise LookupError(f"API Gateway has no route for {method} {path}")


def invoke(event: dict[str, Any]) -> HttpResponse:
    """Run the routed function's Lambda handler on an event, as API Gateway would, and read its response."""
    route = next((route for route in ROUTES if route.route_key == event["routeKey"]), IMPORTS_ROUTE)
    with running(route.function_id):  # every DynamoDB request is checked against this function's IAM policy
        raw = lambda_handler_of(route)(event, LocalLambdaContext())
    headers = {name.lower(): value for name, value in raw.get("headers", {}).items()}
    return HttpResponse(status=raw["statusCode"], headers=headers, text=raw.get("body") or "", raw=raw)


def post_imports(
    body: object = None,
    *,
    token: str | None = DEMO_SESSION_TOKEN,
    path: str | None = None,
    headers: Mapping[str, str | None] | None = None,
    cookie_header: str | None = None,
    raw_body: bytes | None = None,
    as_base64: bool = False,
) -> HttpResponse:
    """POST to the imports route the way a client would: JSON body, session cookie, JSON headers."""
    path = path or imports_path()
    path_parameters = IMPORTS_ROUTE.match("POST", path) or {}
    defaults: dict[str, str | None] = {"content-type": "application/json", "accept": "application/json"}
    all_headers = {name: value for name, value in {**defaults, **(headers or {})}.items() if value is not None}
    if cookie_header is None and token is not None:
        cookie_header = f"neptun-session={token}"
    header_pairs = list(all_headers.items()) + ([("cookie", cookie_header)] if cookie_header is not None else [])
    payload = raw_body if raw_body is not None else json.dumps(body).encode() if body is not None else b""
    event = http_api_event(
        IMPORTS_ROUTE,
        path_parameters=path_parameters,
        method="POST",
        raw_path=path,
        headers=header_pairs,
        body=payload,
    )
    if as_base64:  # API Gateway base64-encodes what it does not take for text; force it here
        event["body"], event["isBase64Encoded"] = base64.b64encode(payload).decode("ascii"), True
    return invoke(event)


def call(
    method: str,
    path: str,
    body: object = None,
    *,
    token: str | None = DEMO_SESSION_TOKEN,
    headers: Mapping[str, str | None] | None = None,
    query: str = "",
    raw_body: bytes | None = None,
) -> HttpResponse:
    """Any route, the way a client would call it: session cookie, JSON headers, JSON body if given."""
    route, path_parameters = route_for(method, path)
    defaults: dict[str, str | None] = {"accept": "application/json"}
    if body is not None or raw_body is not None:
        defaults["content-type"] = "application/json"
    all_headers = {name: value for name, value in {**defaults, **(headers or {})}.items() if value is not None}
    header_pairs = list(all_headers.items()) + ([("cookie", f"neptun-session={token}")] if token else [])
    payload = raw_body if raw_body is not None else json.dumps(body).encode() if body is not None else b""
    event = http_api_event(
        route,
        path_parameters=path_parameters,
        method=method,
        raw_path=path,
        raw_query_string=query,
        headers=header_pairs,
        body=payload,
    )
    return invoke(event)


FOLDER_IMPORT = {"source_type": "local_folder", "source_path": "src/app", "title": "A folder"}
GITHUB_IMPORT = {
    "source_type": "github",
    "source_path": "username/repository",
    "title": "My GitHub Import",
    "description": "Importing from GitHub repository",
}


def assert_error(response: HttpResponse, status: int) -> dict[str, Any]:
    assert response.status == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert body["statusCode"] == status
    assert isinstance(body["message"], str)
    assert body["message"]
    assert set(body) <= {"statusCode", "message", "errors"}
    return body


def stored_imports(
    dynamodb: DynamoDBClient, user_id: int = DEMO_USER_ID, project_id: int = DEMO_PROJECT_ID
) -> list[Any]:
    # The documented access pattern for listing a project's imports: one Query on its partition.
    response = dynamodb.query(
        TableName="DataTable",
        KeyConditionExpression="PK = :project AND begins_with(SK, :imports)",
        ExpressionAttributeValues={
            ":project": {"S": f"USER#{user_id}#PROJECT#{project_id}"},
            ":imports": {"S": "IMPORT#"},
        },
        ConsistentRead=True,
    )
    return response["Items"]


def stored_import_item(
    dynamodb: DynamoDBClient, import_id: int, user_id: int = DEMO_USER_ID, project_id: int = DEMO_PROJECT_ID
) -> dict[str, Any]:
    """The import's own item as stored (run state included), or {} when there is none."""
    key = {"PK": {"S": f"USER#{user_id}#PROJECT#{project_id}"}, "SK": {"S": f"IMPORT#{import_id:016d}"}}
    item: dict[str, Any] = dynamodb.get_item(TableName="DataTable", Key=key, ConsistentRead=True).get("Item", {})
    return item


def assert_copies_match_imports(dynamodb: DynamoDBClient) -> None:
    """The partition holds exactly one copy per import, under its type, with the import's attributes."""
    items = dynamodb.query(
        TableName="DataTable",
        KeyConditionExpression="PK = :project",
        ExpressionAttributeValues={":project": {"S": f"USER#{DEMO_USER_ID}#PROJECT#{DEMO_PROJECT_ID}"}},
        ConsistentRead=True,
    )["Items"]
    imports = {item["SK"]["S"]: item for item in items if item["SK"]["S"].startswith("IMPORT#")}
    copies = {item["SK"]["S"]: item for item in items if item["SK"]["S"].startswith("SOURCE_TYPE#")}
    assert len(copies) == len(imports) == len(items) / 2
    for sort_key, stored in imports.items():
        copy = copies[f"SOURCE_TYPE#{stored['source_type']['S']}#{sort_key}"]
        expected = {"version": {"N": "1"}} | stored  # an import stored before versions existed is version 1
        ignored = {"SK", "entity_type", *keys.IMPORT_ONLY_ATTRIBUTES}  # only the import itself is indexed
        assert {n: v for n, v in copy.items() if n not in ignored} == {
            n: v for n, v in expected.items() if n not in ignored
        }
