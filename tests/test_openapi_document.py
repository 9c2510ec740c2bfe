"""docs/openapi.json is the document the code generates: an API change shows in review."""

from __future__ import annotations

import json

from local.server import openapi_json
from local.template import http_api_routes
from tests.e2e.local_server import ROOT

COMMITTED = ROOT / "docs" / "openapi.json"


def test_the_committed_openapi_document_is_the_generated_one() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == openapi_json(), "run `make openapi` and commit the result"


def test_the_document_lists_every_route_of_the_template() -> None:
    paths = json.loads(COMMITTED.read_text(encoding="utf-8"))["paths"]
    documented = {f"{method.upper()} {path}" for path, item in paths.items() for method in item}
    # OpenAPI has no greedy parameter: API Gateway's `{path+}` is documented as `{path}` (it may hold `/`).
    routed = {route.route_key.replace("+}", "}") for route in http_api_routes() if not route.is_github_webhook}
    assert documented == routed


def test_every_operation_documents_its_errors_with_the_error_body() -> None:
    paths = json.loads(COMMITTED.read_text(encoding="utf-8"))["paths"]
    for item in paths.values():
        for operation in item.values():
            errors = {status: body for status, body in operation["responses"].items() if status.startswith(("4", "5"))}
            assert {"400", "401", "403", "404", "500", "503"} <= set(errors)
            for body in errors.values():
                assert body["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
