"""Lambda entry point for `GET …/resources/imports/{import_id}/context`: the import's digest (Markdown)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from domain.access import ImportKey, ProjectKey
from domain.import_files import DigestCommand, DigestQuery, ImportFiles
from handlers import error_responses
from handlers.composition import kept_content_reader
from handlers.digests import MARKDOWN, QUERY_NAMES, RESPONSE_LIMIT, MaxTokens, digest_response
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
from handlers.preconditions import IF_NONE_MATCH_HEADER, known_entity_tags, revalidated_text_responses
from handlers.snapstart import PrimingRequest

__all__ = ["app", "dynamodb", "files", "lambda_handler", "logger"]

CONTEXT_PATH = f"{IMPORT_PATH}/context"
edge = RouteEdge(IMPORT_PATH_IDS, query_names=QUERY_NAMES)
app = edge.app
files = ImportFiles(store, kept_content_reader())
_STATUSES = (400, 401, 403, 404, 409, 500, 503)
_CONFLICT = "No run of the import has completed yet: there is nothing to put in its digest."


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
    max_tokens: MaxTokens = None,
) -> Response[Any]:
    digest = files.digest(
        DigestCommand(
            session_token=edge.session_token(),
            path=ImportKey(ProjectKey(user_id, project_id), import_id),  # ids validated by Powertools
            query=edge.envelope_problem() or DigestQuery(max_tokens),
            unchanged_if=known_entity_tags(edge.header(IF_NONE_MATCH_HEADER)),
            limit=RESPONSE_LIMIT,
        )
    )
    return digest_response(digest)


lambda_handler = edge.lambda_handler(priming=PrimingRequest("GET", CONTEXT_PATH))
