"""Lambda entry point for `POST /api/users/{user_id}/projects/{project_id}/resources/imports`.

Authentication before validation is the shared edge's (handlers/edge.py); this module is the route.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from domain.access import ProjectKey
from domain.create_import import CreateImportCommand, ImportService
from domain.errors import ProjectFull, RequestKeyReused, RequestRejected
from domain.models import MAX_IMPORTS_PER_PROJECT, CreateImportRequest, ImportResponse, ProjectImport
from handlers import error_responses
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
from handlers.idempotency import IDEMPOTENCY_KEY_HEADER, idempotency_key
from handlers.snapstart import PrimingRequest

__all__ = ["app", "dynamodb", "lambda_handler", "logger", "service"]

# This function's own metric set: Metrics() shares one across every instance in the process, and
# make run serves all functions in one process, where a flush in one thread emptied another's set
# between its check and its serialisation (a 500: "Must contain at least one metric").
metrics = EphemeralMetrics()
edge = RouteEdge(PROJECT_PATH_IDS, takes_body=True)
app = edge.app
service = ImportService(store)
_STATUSES = (400, 401, 403, 404, 409, 413, 415, 422, 500, 503)
_CONFLICT = str(ProjectFull(MAX_IMPORTS_PER_PROJECT))


@app.post(
    IMPORTS_PATH,
    summary="Create an import in a project",
    description="Records a new import (a GitHub repository, a public repository URL or a local folder).",
    responses={
        201: {
            "description": "The import was created.",
            "headers": {"Location": {"description": "The new import's path.", "schema": {"type": "string"}}},
            "content": {content_types.APPLICATION_JSON: {"model": ImportResponse}},
        },
        **error_responses.openapi_error_responses(_STATUSES, conflict=_CONFLICT),
    },
    tags=["imports"],
)
def create_project_import(
    user_id: UserIdParameter,
    project_id: ProjectIdParameter,
    request: Annotated[CreateImportRequest, Body()],
) -> Response[Any]:
    key = idempotency_key(edge.header(IDEMPOTENCY_KEY_HEADER))
    body: CreateImportRequest | RequestRejected = edge.envelope_problem() or (
        key if isinstance(key, RequestRejected) else request
    )
    approved = service.approve(
        # Powertools validated the path ids with the same ResourceId type the edge's own check uses.
        CreateImportCommand(session_token=edge.session_token(), project=ProjectKey(user_id, project_id), body=body)
    )
    # Per user: one user's key never replays another's import.
    stored = service.store(approved, request_key=f"{approved.project.user_id}:{key}" if isinstance(key, str) else None)
    created = stored.import_
    if not stored.replayed:
        _count_created(created)
    return Response(
        status_code=HTTPStatus.CREATED,
        content_type=content_types.APPLICATION_JSON,
        body=ImportResponse(import_=created).model_dump_json(),
        headers={"Location": f"/api/users/{user_id}/projects/{project_id}/resources/imports/{created.id}"},
    )


def _count_created(created: ProjectImport) -> None:
    # One EMF line per created import, which is also its log line: the import id rides along as
    # metadata (searchable in Logs Insights, not a dimension). A second, plain log line would double
    # the per-request cost (see docs/performance.md). Namespace and service: POWERTOOLS_* variables.
    metrics.add_dimension(name="source_type", value=created.source_type.value)
    metrics.add_metric(name="ImportCreated", unit=MetricUnit.Count, value=1)
    metrics.add_metadata(key="import_id", value=created.id)
    metrics.add_metadata(key="request_id", value=edge.event.request_context.request_id)
    metrics.flush_metrics()  # now, not per invocation: most invocations have no metric to publish


def key_reused(error: RequestKeyReused) -> Response[Any]:
    return error_responses.error_response(HTTPStatus.UNPROCESSABLE_ENTITY, str(error))


app.exception_handler(RequestKeyReused)(key_reused)
# SnapStart's priming request (handlers/snapstart.py): a valid body, no session.
PRIMING_BODY = {"source_type": "github", "source_path": "octocat/hello-world", "title": "Priming"}
lambda_handler = edge.lambda_handler(priming=PrimingRequest("POST", IMPORTS_PATH, body=PRIMING_BODY))
