"""Lambda entry point for `GET /api/users/{user_id}/projects/{project_id}/resources/context`: the
project's digest, every completed import in one Markdown document."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from domain.access import ProjectKey
from domain.import_files import DigestQuery
from domain.project_context import ProjectContext, ProjectDigestCommand
from handlers import error_responses
from handlers.composition import kept_content_reader
from handlers.digests import MARKDOWN, QUERY_NAMES, RESPONSE_LIMIT, MaxTokens, digest_response
from handlers.edge import (
    PROJECT_PATH_IDS,
    RESOURCES_PATH,
    ProjectIdParameter,
    RouteEdge,
    UserIdParameter,
    dynamodb,
    logger,
    store,
)
from handlers.preconditions import IF_NONE_MATCH_HEADER, known_entity_tags, revalidated_text_responses
from handlers.snapstart import PrimingRequest

__all__ = ["app", "context", "dynamodb", "lambda_handler", "logger"]

PROJECT_CONTEXT_PATH = f"{RESOURCES_PATH}/context"
edge = RouteEdge(PROJECT_PATH_IDS, query_names=QUERY_NAMES)
app = edge.app
context = ProjectContext(store, kept_content_reader())
_STATUSES = (400, 401, 403, 404, 500, 503)


@app.get(
    PROJECT_CONTEXT_PATH,
    summary="Read a project's digest",
    description="Every import of the project with a completed run, in the order they were created, as one "
    "Markdown document for a chat: each import's digest one heading level down (docs/importing.md, The "
    "project's digest). `max_tokens` is one budget across them: the first file that would pass it and "
    "everything after it are left out and listed, as are `github` imports GitHub no longer lets the user "
    "read. Its ETag changes with any import's run or fields, the access and the bound: send it as "
    "If-None-Match to get 304 while it is unchanged.",
    responses={
        **revalidated_text_responses("the digest", MARKDOWN, "The digest's version, quoted."),
        **error_responses.openapi_error_responses(_STATUSES),
    },
    tags=["imports"],
)
def get_project_context(
    user_id: UserIdParameter,
    project_id: ProjectIdParameter,
    max_tokens: MaxTokens = None,
) -> Response[Any]:
    digest = context.digest(
        ProjectDigestCommand(
            session_token=edge.session_token(),
            path=ProjectKey(user_id, project_id),  # ids validated by Powertools
            query=edge.envelope_problem() or DigestQuery(max_tokens),
            unchanged_if=known_entity_tags(edge.header(IF_NONE_MATCH_HEADER)),
            limit=RESPONSE_LIMIT,
        )
    )
    return digest_response(digest)


lambda_handler = edge.lambda_handler(priming=PrimingRequest("GET", PROJECT_CONTEXT_PATH))
