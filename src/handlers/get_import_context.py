"""Lambda entry point for `GET …/resources/imports/{import_id}/context`: the import's digest (Markdown)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BeforeValidator, Field

from domain.access import ImportKey, ProjectKey
from domain.import_digest import ResponseLimit
from domain.import_files import MAX_DIGEST_TOKENS, DigestCommand, DigestQuery, ImportFiles
from handlers import error_responses
from handlers.composition import kept_content_reader
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
from handlers.preconditions import IF_NONE_MATCH_HEADER, REVALIDATE, known_entity_tags, revalidated_text_responses
from handlers.snapstart import PrimingRequest

__all__ = ["app", "dynamodb", "files", "lambda_handler", "logger"]

CONTEXT_PATH = f"{IMPORT_PATH}/context"
MARKDOWN = "text/markdown; charset=utf-8"
# Lambda returns at most 6 MB (6,291,456 bytes) to API Gateway, the body escaped inside a JSON
# envelope; what is left for the headers and the envelope's own fields is ample below this.
MAX_ESCAPED_BODY_BYTES = 6_000_000
edge = RouteEdge(IMPORT_PATH_IDS, query_names=frozenset({"max_tokens"}))
app = edge.app
files = ImportFiles(store, kept_content_reader())
_STATUSES = (400, 401, 403, 404, 409, 500, 503)
_CONFLICT = "No run of the import has completed yet: there is nothing to put in its digest."

MaxTokens = Annotated[int, BeforeValidator(plain_decimal_digits), Field(ge=1, le=MAX_DIGEST_TOKENS)]


@app.get(
    CONTEXT_PATH,
    summary="Read an import's digest",
    description="The last completed run's kept files as one Markdown document for a chat: a header, the tree "
    "of kept files, then each file in a fenced block tagged with its language (docs/importing.md, The digest). "
    "`max_tokens` stops it before the files' listed counts pass the bound; what is left out is listed at "
    "the end. Its ETag changes with the run, the import's fields and the bound: send it as If-None-Match "
    "to get 304 while it is unchanged.",
    responses={
        **revalidated_text_responses("the digest", MARKDOWN, "The digest's version, quoted."),
        **error_responses.openapi_error_responses(_STATUSES, conflict=_CONFLICT),
    },
    tags=["imports"],
)
def get_import_context(
    user_id: UserIdParameter,
    project_id: ProjectIdParameter,
    import_id: ImportIdParameter,
    max_tokens: Annotated[
        MaxTokens | None,
        Query(
            description=f"At most this many tokens of files (their listed counts summed), 1 to {MAX_DIGEST_TOKENS:,}."
        ),
    ] = None,
) -> Response[Any]:
    digest = files.digest(
        DigestCommand(
            session_token=edge.session_token(),
            path=ImportKey(ProjectKey(user_id, project_id), import_id),  # ids validated by Powertools
            query=edge.envelope_problem() or DigestQuery(max_tokens),
            unchanged_if=known_entity_tags(edge.header(IF_NONE_MATCH_HEADER)),
            limit=ResponseLimit(escaped_size, MAX_ESCAPED_BODY_BYTES),
        )
    )
    headers = {"ETag": f'"{digest.etag}"'} | REVALIDATE
    if digest.markdown is None:
        return Response(status_code=304, headers=headers)
    return Response(status_code=200, content_type=MARKDOWN, body=digest.markdown, headers=headers)


def escaped_size(text: str) -> int:
    """The text's size as Lambda carries it, escaped as JSON (`\\n`, `\\uXXXX`)."""
    return len(json.dumps(text))


lambda_handler = edge.lambda_handler(priming=PrimingRequest("GET", CONTEXT_PATH))
