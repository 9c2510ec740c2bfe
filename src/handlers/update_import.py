"""Lambda entry point for `PUT /api/users/{user_id}/projects/{project_id}/resources/imports/{import_id}`."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body

from domain.access import ImportKey, ProjectKey
from domain.errors import RequestRejected
from domain.manage_imports import ImportManager, UpdateImportCommand
from domain.models import ImportResponse, UpdateImportRequest
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
from handlers.preconditions import ETAG_HEADER, IF_MATCH_HEADER, if_match, stored_import_response
from handlers.snapstart import PrimingRequest

__all__ = ["app", "dynamodb", "lambda_handler", "logger", "manager"]

edge = RouteEdge(IMPORT_PATH_IDS, takes_body=True)
app = edge.app
manager = ImportManager(store)
_STATUSES = (400, 401, 403, 404, 412, 413, 415, 500, 503)


@app.put(
    IMPORT_PATH,
    summary="Change an import",
    description="Changes the fields given; null clears title or description. With If-Match, only if unchanged.",
    responses={
        200: {
            "description": "The import as changed.",
            "headers": ETAG_HEADER,
            "content": {content_types.APPLICATION_JSON: {"model": ImportResponse}},
        },
        **error_responses.openapi_error_responses(_STATUSES),
    },
    tags=["imports"],
)
def update_project_import(
    user_id: UserIdParameter,
    project_id: ProjectIdParameter,
    import_id: ImportIdParameter,
    request: Annotated[UpdateImportRequest, Body()],
) -> Response[Any]:
    body: UpdateImportRequest | RequestRejected = edge.envelope_problem() or request
    command = UpdateImportCommand(
        session_token=edge.session_token(),
        path=ImportKey(ProjectKey(user_id, project_id), import_id),  # ids validated by Powertools
        body=body,
        if_match=if_match(edge.header(IF_MATCH_HEADER)),
    )
    stored = manager.update_import(command)
    return stored_import_response(stored, 200)


# A stale-looking If-Match like a real client's; refused for want of a session before it matters.
PRIMING_REQUEST = PrimingRequest("PUT", IMPORT_PATH, body={"title": "Priming"}, headers=((IF_MATCH_HEADER, '"v1"'),))
lambda_handler = edge.lambda_handler(priming=PRIMING_REQUEST)
