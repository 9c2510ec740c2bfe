"""Lambda entry point for `DELETE /api/users/{user_id}/projects/{project_id}/resources/imports/{import_id}`."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from domain.access import ImportKey, ProjectKey
from domain.manage_imports import ImportCommand, ImportManager
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
from handlers.preconditions import IF_MATCH_HEADER, if_match
from handlers.snapstart import PrimingRequest

__all__ = ["app", "dynamodb", "lambda_handler", "logger", "manager"]

edge = RouteEdge(IMPORT_PATH_IDS)
app = edge.app
manager = ImportManager(store)
_STATUSES = (400, 401, 403, 404, 412, 500, 503)


@app.delete(
    IMPORT_PATH,
    summary="Delete an import",
    description="Deletes the import and its id claim in one atomic write. With If-Match, only if unchanged.",
    responses={
        204: {"description": "Deleted; no body.", "content": {}},
        **error_responses.openapi_error_responses(_STATUSES),
    },
    tags=["imports"],
)
def delete_project_import(
    user_id: UserIdParameter,
    project_id: ProjectIdParameter,
    import_id: ImportIdParameter,
) -> Response[Any]:
    manager.delete_import(
        ImportCommand(
            session_token=edge.session_token(),
            path=ImportKey(ProjectKey(user_id, project_id), import_id),  # ids validated by Powertools
            if_match=if_match(edge.header(IF_MATCH_HEADER)),
            envelope=edge.envelope_problem(),
        )
    )
    return Response(status_code=204)


# A stale-looking If-Match like a real client's; refused for want of a session before it matters.
PRIMING_REQUEST = PrimingRequest("DELETE", IMPORT_PATH, headers=((IF_MATCH_HEADER, '"v1"'),))
lambda_handler = edge.lambda_handler(priming=PRIMING_REQUEST)
