"""Lambda entry point for `GET /api/users/{user_id}/projects/{project_id}/resources/imports/{import_id}`."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types

from domain.access import ImportKey, ProjectKey
from domain.manage_imports import ImportCommand, ImportManager
from domain.models import ImportResponse
from handlers import error_responses
from handlers.edge import (
    IMPORT_PATH,
    IMPORT_PATH_IDS,
    ImportIdParameter,
    ProjectIdParameter,
    RouteEdge,
    UserIdParameter,
    dynamodb,
    logger,
    store,
)
from handlers.preconditions import ETAG_HEADER, stored_import_response
from handlers.snapstart import PrimingRequest

__all__ = ["app", "dynamodb", "lambda_handler", "logger", "manager"]

edge = RouteEdge(IMPORT_PATH_IDS)
app = edge.app
manager = ImportManager(store)
_STATUSES = (400, 401, 403, 404, 500, 503)


@app.get(
    IMPORT_PATH,
    summary="Read one import",
    responses={
        200: {
            "description": "The import.",
            "headers": ETAG_HEADER,
            "content": {content_types.APPLICATION_JSON: {"model": ImportResponse}},
        },
        **error_responses.openapi_error_responses(_STATUSES),
    },
    tags=["imports"],
)
def get_project_import(
    user_id: UserIdParameter,
    project_id: ProjectIdParameter,
    import_id: ImportIdParameter,
) -> Response[Any]:
    stored = manager.get_import(
        ImportCommand(
            session_token=edge.session_token(),
            path=ImportKey(ProjectKey(user_id, project_id), import_id),  # ids validated by Powertools
            envelope=edge.envelope_problem(),
        )
    )
    return stored_import_response(stored, 200)


lambda_handler = edge.lambda_handler(priming=PrimingRequest("GET", IMPORT_PATH))
