"""Lambda entry point for `GET …/resources/imports/{import_id}/files/{path+}`: one kept file's text."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.models import Example
from aws_lambda_powertools.event_handler.openapi.params import Path

from domain.access import ImportKey, ProjectKey
from domain.errors import FieldError, RequestProblem, RequestRejected
from domain.import_files import FileCommand, ImportFiles
from handlers import error_responses
from handlers.composition import kept_content_reader
from handlers.edge import (
    GREEDY_TAIL,
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
from handlers.preconditions import IF_NONE_MATCH_HEADER, REVALIDATE, known_entity_tags, revalidated_text_responses
from handlers.snapstart import PrimingRequest

__all__ = ["app", "dynamodb", "files", "lambda_handler", "logger"]

FILE_PATH = f"{IMPORT_PATH}/files/{GREEDY_TAIL}"
TEXT = "text/plain; charset=utf-8"
MAX_PATH_CHARACTERS = 4096
edge = RouteEdge(IMPORT_PATH_IDS)
app = edge.app
files = ImportFiles(store, kept_content_reader())
_STATUSES = (400, 401, 403, 404, 409, 500, 503)
_CONFLICT = "No run of the import has completed yet: there are no files to read."
_PATH_RULE = "must be a kept file's path, each segment percent-encoded (RFC 3986), without empty, . or .. segments"
RepositoryPath = Annotated[
    str,
    Path(
        description="The file's path in the repository, `/`-separated, each segment percent-encoded (RFC 3986; "
        "an encoded `%2F` counts as a `/`).",
        openapi_examples={"readme": Example(summary="the repository's README", value="README.md")},
    ),
]


@app.get(
    FILE_PATH,
    summary="Read a kept file",
    description="The content of a file the last completed run kept, as the repository held it (UTF-8 text). "
    "Its ETag is git's blob SHA; send it as If-None-Match to get 304 while it is unchanged.",
    responses={
        **revalidated_text_responses("the file's text", TEXT, "git's blob SHA of the file, quoted."),
        **error_responses.openapi_error_responses(_STATUSES, conflict=_CONFLICT),
    },
    tags=["imports"],
)
def get_import_file(
    user_id: UserIdParameter,
    project_id: ProjectIdParameter,
    import_id: ImportIdParameter,
    path: RepositoryPath,
) -> Response[Any]:
    kept = files.read_file(
        FileCommand(
            session_token=edge.session_token(),
            path=ImportKey(ProjectKey(user_id, project_id), import_id),  # ids validated by Powertools
            file_path=repository_path(path),
            unchanged_if=known_entity_tags(edge.header(IF_NONE_MATCH_HEADER)),
            envelope=edge.envelope_problem(),
        )
    )
    headers = {"ETag": f'"{kept.sha}"'} | REVALIDATE
    if kept.content is None:
        return Response(status_code=304, headers=headers)
    return Response(status_code=200, content_type=TEXT, body=kept.content.decode("utf-8"), headers=headers)


def repository_path(encoded: str) -> str | RequestRejected:
    """The repository path the route's `{path+}` names, its segments percent-decoded as UTF-8.

    A git file name never holds `/`, so an encoded `%2F` (a client that encoded the whole path, as
    Swagger UI does) can only mean a separator, and counts as one."""
    try:
        decoded = unquote(encoded, errors="strict")
    except UnicodeDecodeError:
        decoded = ""
    segments = decoded.split("/")
    if (
        not decoded
        or len(encoded) > MAX_PATH_CHARACTERS
        or any(segment in ("", ".", "..") or "\x00" in segment for segment in segments)
    ):
        return RequestRejected(
            RequestProblem.INVALID_PATH,
            "The file path is invalid.",
            (FieldError(field="path", message=_PATH_RULE),),
        )
    return decoded


lambda_handler = edge.lambda_handler(priming=PrimingRequest("GET", f"{IMPORT_PATH}/files/README.md"))
