"""Lambda entry point for `GET /api/users/{user_id}/projects/{project_id}/resources/imports/{import_id}/files`."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BeforeValidator, Field

from domain.access import ImportKey, ProjectKey
from domain.errors import RequestRejected
from domain.import_files import MAX_FILES_PAGE, FilesCommand, FilesQuery, ImportFiles, ImportFilesPage
from handlers import error_responses
from handlers.composition import kept_content_reader
from handlers.cursors import MAX_CURSOR_CHARACTERS, files_cursor, files_position
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
from handlers.path_ids import plain_decimal_digits
from handlers.snapstart import PrimingRequest

__all__ = ["app", "dynamodb", "files", "lambda_handler", "logger"]

FILES_PATH = f"{IMPORT_PATH}/files"
edge = RouteEdge(IMPORT_PATH_IDS, query_names=frozenset({"limit", "cursor"}))
app = edge.app
files = ImportFiles(store, kept_content_reader())
_STATUSES = (400, 401, 403, 404, 409, 500, 503)
_CONFLICT = "No run of the import has completed yet, or a newer run replaced the listing the cursor pages through."

PageSize = Annotated[int, BeforeValidator(plain_decimal_digits), Field(ge=1, le=MAX_FILES_PAGE)]


@app.get(
    FILES_PATH,
    summary="List an import's files",
    description="Every path of the tree the last completed run read, in the archive's order, with why each was "
    "kept or not. A `github` import's installation must still cover its repository (403 otherwise).",
    responses={
        200: {
            "description": "A page of the listing; `next_cursor` is null on the last page.",
            "content": {content_types.APPLICATION_JSON: {"model": ImportFilesPage}},
        },
        **error_responses.openapi_error_responses(_STATUSES, conflict=_CONFLICT),
    },
    tags=["imports"],
)
def list_import_files(
    user_id: UserIdParameter,
    project_id: ProjectIdParameter,
    import_id: ImportIdParameter,
    limit: Annotated[PageSize, Query(description=f"Paths per page, 1 to {MAX_FILES_PAGE}.")] = MAX_FILES_PAGE,
    cursor: Annotated[
        str | None, Query(description="The previous page's next_cursor.", max_length=MAX_CURSOR_CHARACTERS)
    ] = None,
) -> Response[Any]:
    key = ImportKey(ProjectKey(user_id, project_id), import_id)  # ids validated by Powertools
    query = edge.envelope_problem() or _files_query(key, limit, cursor)
    page = files.list_files(FilesCommand(session_token=edge.session_token(), path=key, query=query))
    body = ImportFilesPage.model_validate(
        {
            "commit_sha": page.commit_sha,
            "files": page.rows,
            "next_cursor": files_cursor(key, page.next_position) if page.next_position else None,
        }
    )
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=body.model_dump_json())


def _files_query(key: ImportKey, limit: int, cursor: str | None) -> FilesQuery | RequestRejected:
    after = files_position(cursor, key) if cursor is not None else None
    if isinstance(after, RequestRejected):
        return after
    return FilesQuery(limit=limit, after=after)


lambda_handler = edge.lambda_handler(priming=PrimingRequest("GET", FILES_PATH))
