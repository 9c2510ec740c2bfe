"""Lambda entry point for `GET /api/users/{user_id}/projects/{project_id}/resources/imports`."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BeforeValidator, Field

from domain.access import ProjectKey
from domain.errors import RequestRejected
from domain.manage_imports import ImportManager, ListImportsCommand
from domain.models import MAX_PAGE_SIZE, ImportsPage, ImportsQuery, ListOrder, SourceType
from handlers import error_responses
from handlers.cursors import MAX_CURSOR_CHARACTERS, after_id, cursor_after
from handlers.edge import (
    IMPORTS_PATH,
    PROJECT_PATH_IDS,
    ProjectIdParameter,
    RouteEdge,
    UserIdParameter,
    dynamodb,
    logger,
    store,
)
from handlers.path_ids import plain_decimal_digits
from handlers.snapstart import PrimingRequest

__all__ = ["app", "dynamodb", "lambda_handler", "logger", "manager"]

edge = RouteEdge(PROJECT_PATH_IDS, query_names=frozenset({"source_type", "limit", "cursor", "order"}))
app = edge.app
manager = ImportManager(store)
_STATUSES = (400, 401, 403, 404, 500, 503)


PageSize = Annotated[int, BeforeValidator(plain_decimal_digits), Field(ge=1, le=MAX_PAGE_SIZE)]


@app.get(
    IMPORTS_PATH,
    summary="List a project's imports",
    description="One page of the project's imports in id (= creation) order, optionally of one source type.",
    responses={
        200: {
            "description": "A page of imports; `next_cursor` is null on the last page.",
            "content": {content_types.APPLICATION_JSON: {"model": ImportsPage}},
        },
        **error_responses.openapi_error_responses(_STATUSES),
    },
    tags=["imports"],
)
def list_project_imports(
    user_id: UserIdParameter,
    project_id: ProjectIdParameter,
    source_type: Annotated[SourceType | None, Query(description="Only imports of this source type.")] = None,
    limit: Annotated[PageSize, Query(description=f"Imports per page, 1 to {MAX_PAGE_SIZE}.")] = MAX_PAGE_SIZE,
    cursor: Annotated[
        str | None, Query(description="The previous page's next_cursor.", max_length=MAX_CURSOR_CHARACTERS)
    ] = None,
    order: Annotated[ListOrder, Query(description="asc: oldest first (default); desc: newest first.")] = ListOrder.ASC,
) -> Response[Any]:
    project = ProjectKey(user_id, project_id)  # ids validated by Powertools
    query = edge.envelope_problem() or _imports_query(project, source_type, limit, cursor, order)
    page = manager.list_imports(ListImportsCommand(session_token=edge.session_token(), project=project, query=query))
    next_cursor = cursor_after(project, source_type, order, page.imports[-1].id) if page.more else None
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=ImportsPage(imports=page.imports, next_cursor=next_cursor).model_dump_json(),
    )


def _imports_query(
    project: ProjectKey, source_type: SourceType | None, limit: int, cursor: str | None, order: ListOrder
) -> ImportsQuery | RequestRejected:
    after = after_id(cursor, project, source_type, order) if cursor is not None else None
    if isinstance(after, RequestRejected):
        return after
    return ImportsQuery(source_type=source_type, order=order, limit=limit, after_id=after)


lambda_handler = edge.lambda_handler(priming=PrimingRequest("GET", IMPORTS_PATH))
