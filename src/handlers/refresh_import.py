"""Lambda entry point for `POST /api/users/{user_id}/projects/{project_id}/resources/imports/{import_id}/refresh`."""

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

REFRESH_PATH = f"{IMPORT_PATH}/refresh"
edge = RouteEdge(IMPORT_PATH_IDS)
app = edge.app
manager = ImportManager(store)
_STATUSES = (400, 401, 403, 404, 409, 500, 503)
_CONFLICT = "A local_folder import: its content comes from its upload, and it has no source to refresh."


@app.post(
    REFRESH_PATH,
    summary="Import an import's source again",
    description="Wants a new run of the import's repository (its `source_ref` again, e.g. the branch's newest "
    "commit): `status` becomes `pending`, and the last completed run's content stays readable until the new "
    "run completes. While a run is pending or importing, nothing new starts (still 202). No body; the ETag "
    "does not change (a run is not a client's change).",
    responses={
        202: {
            "description": "A run is wanted (or already was); the import as it now is.",
            "headers": ETAG_HEADER,
            "content": {content_types.APPLICATION_JSON: {"model": ImportResponse}},
        },
        **error_responses.openapi_error_responses(_STATUSES, conflict=_CONFLICT),
    },
    tags=["imports"],
)
def refresh_project_import(
    user_id: UserIdParameter,
    project_id: ProjectIdParameter,
    import_id: ImportIdParameter,
) -> Response[Any]:
    stored = manager.refresh_import(
        ImportCommand(
            session_token=edge.session_token(),
            path=ImportKey(ProjectKey(user_id, project_id), import_id),  # ids validated by Powertools
            envelope=edge.envelope_problem(),
        )
    )
    return stored_import_response(stored, 202)


lambda_handler = edge.lambda_handler(priming=PrimingRequest("POST", REFRESH_PATH))
