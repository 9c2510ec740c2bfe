"""Lambda entry point for `POST /api/users/{user_id}/projects/{project_id}/resources/imports/{import_id}/upload`."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types

from domain.access import ImportKey, ProjectKey
from domain.manage_imports import ImportCommand
from domain.upload_grants import UploadGrantResponse, UploadGrants
from handlers import error_responses
from handlers.composition import upload_signer
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
from handlers.snapstart import PrimingRequest

__all__ = ["app", "dynamodb", "grants", "lambda_handler", "logger"]

UPLOAD_PATH = f"{IMPORT_PATH}/upload"
edge = RouteEdge(IMPORT_PATH_IDS)
app = edge.app
grants = UploadGrants(store, upload_signer())
_STATUSES = (400, 401, 403, 404, 409, 500, 503)
_CONFLICT = "Not a local_folder import: it reads its repository, and takes no upload."


@app.post(
    UPLOAD_PATH,
    summary="Get a form to upload a folder's archive",
    description="For a `local_folder` import: a presigned S3 POST for one `.zip` or `.tar.gz` of the folder, "
    "of at most `max_bytes`, usable until `expires_at` (docs/importing.md, Uploading a folder). POST `url` as "
    "multipart/form-data with every entry of `fields`, then the archive as `file`. Once it has arrived, the "
    "import's run starts (`pending`, `importing`, then `completed` or `failed`, as for a repository); the "
    "newest upload to arrive is what the import holds. No body; each call gives a new form.",
    responses={
        201: {
            "description": "The form to upload with.",
            "content": {content_types.APPLICATION_JSON: {"model": UploadGrantResponse}},
        },
        **error_responses.openapi_error_responses(_STATUSES, conflict=_CONFLICT),
    },
    tags=["imports"],
)
def grant_import_upload(
    user_id: UserIdParameter,
    project_id: ProjectIdParameter,
    import_id: ImportIdParameter,
) -> Response[Any]:
    grant = grants.grant(
        ImportCommand(
            session_token=edge.session_token(),
            path=ImportKey(ProjectKey(user_id, project_id), import_id),  # ids validated by Powertools
            envelope=edge.envelope_problem(),
        )
    )
    body = UploadGrantResponse(upload=grant).model_dump(mode="json")
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=body)


lambda_handler = edge.lambda_handler(priming=PrimingRequest("POST", UPLOAD_PATH))
