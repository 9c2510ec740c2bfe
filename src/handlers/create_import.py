"""Lambda entry point for `POST /api/users/{user_id}/projects/{project_id}/resources/imports`.

Powertools validates the path and the body before any middleware runs, so authentication cannot
simply come first as a middleware. Instead both ways out of validation lead to the same domain call:
a valid request reaches the route, an invalid one the RequestValidationError handler, and each hands
the domain a CreateImportCommand in which invalid parts are RequestRejected values. The domain then
checks the session before it reports anything about the path or the body.
"""

from __future__ import annotations

import binascii
from collections.abc import Sequence
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import Metrics, MetricUnit
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BeforeValidator, Field, TypeAdapter, ValidationError

from domain.access import ProjectKey
from domain.create_import import CreateImportCommand
from domain.errors import FieldError, ImportRefused, RequestKeyReused, RequestProblem, RequestRejected, StorageBusy
from domain.models import MAX_SAFE_INTEGER, CreatedImport, CreateImportRequest, ProjectImport
from handlers import error_responses
from handlers.composition import Settings, dynamodb_client, import_service
from handlers.idempotency import (
    IDEMPOTENCY_KEY_HEADER,
    IdempotentCreates,
    KeyInFlight,
    idempotency_key,
)
from handlers.request_body import (
    content_type_for_powertools,
    envelope_problem,
    strict_json_loads,
    unreadable_body_problem,
)
from handlers.session_cookie import session_token

IMPORTS_ROUTE = "/api/users/<user_id>/projects/<project_id>/resources/imports"

logger = Logger()
metrics = Metrics()
app = APIGatewayHttpResolver(enable_validation=True, json_body_deserializer=strict_json_loads)
settings = Settings.from_environment()
dynamodb = dynamodb_client(settings)
service = import_service(settings, dynamodb)
idempotent_creates = IdempotentCreates(service, settings.idempotency_table, dynamodb)


def _plain_decimal_digits(value: object) -> object:
    # Refuses what int() would forgive: signs, spaces, underscores, non-ASCII digits.
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("must be written as plain decimal digits")
    return value


ResourceId = Annotated[int, BeforeValidator(_plain_decimal_digits), Field(ge=1, le=MAX_SAFE_INTEGER)]
_resource_id = TypeAdapter(ResourceId)
INVALID_PATH_MESSAGE = f"user_id and project_id must be whole numbers from 1 to {MAX_SAFE_INTEGER}."
PATH_ID_RULE = f"must be a whole number from 1 to {MAX_SAFE_INTEGER} in plain decimal digits"


@app.post(
    IMPORTS_ROUTE,
    summary="Create an import in a project",
    description="Records a new import (a GitHub repository, a public repository URL or a local folder).",
    responses={
        201: {
            "description": "The import was created.",
            "headers": {"Location": {"description": "The new import's path.", "schema": {"type": "string"}}},
            "content": {content_types.APPLICATION_JSON: {"model": CreatedImport}},
        },
        **error_responses.openapi_error_responses(),
    },
    tags=["imports"],
)
def create_project_import(
    user_id: Annotated[ResourceId, Path(description="The signed-in user's id.")],
    project_id: Annotated[ResourceId, Path(description="The project's id; it must be the user's.")],
    request: Annotated[CreateImportRequest, Body()],
) -> Response[Any]:
    event = app.current_event
    headers = event.headers  # Powertools builds a case-insensitive copy on every access
    key = idempotency_key(headers.get(IDEMPOTENCY_KEY_HEADER))
    body: CreateImportRequest | RequestRejected = envelope_problem(
        headers.get("content-type"), event.body, bool(event.is_base64_encoded)
    ) or (key if isinstance(key, RequestRejected) else request)
    approved = service.approve(
        CreateImportCommand(
            session_token=_session_token(event),
            project=ProjectKey(user_id=user_id, project_id=project_id),
            body=body,
        )
    )
    if isinstance(key, str):
        created = idempotent_creates.create(approved, key, app.lambda_context, on_created=_count_created)
    else:
        created = service.store(approved)
        _count_created(created)
    return Response(
        status_code=HTTPStatus.CREATED,
        content_type=content_types.APPLICATION_JSON,
        body=CreatedImport(import_=created).model_dump_json(),
        headers={"Location": f"/api/users/{user_id}/projects/{project_id}/resources/imports/{created.id}"},
    )


def _count_created(created: ProjectImport) -> None:
    # One EMF line per created import, which is also its log line: the import id rides along as
    # metadata (searchable in Logs Insights, not a dimension). A second, plain log line would double
    # the per-request cost (see README, Performance). Namespace and service: POWERTOOLS_* variables.
    metrics.add_dimension(name="source_type", value=created.source_type.value)
    metrics.add_metric(name="ImportCreated", unit=MetricUnit.Count, value=1)
    metrics.add_metadata(key="import_id", value=created.id)
    metrics.add_metadata(key="request_id", value=app.current_event.request_context.request_id)
    metrics.flush_metrics()  # now, not per invocation: most invocations have no metric to publish


def refuse_invalid_request(error: Exception) -> Response[Any]:
    """Path or body failed validation: still authenticate first, then report it."""
    validation_errors = error.errors() if isinstance(error, RequestValidationError) else []
    if any(entry["loc"][:1] == ("response",) for entry in validation_errors):
        return unexpected_error(error)  # our own response broke its model: a bug, not the client's fault
    event = app.current_event
    body_rejected = unreadable_body_problem(
        event.headers.get("content-type"), event.body, bool(event.is_base64_encoded)
    ) or RequestRejected(
        RequestProblem.INVALID_BODY, "The request body is invalid.", _field_errors(validation_errors, "body")
    )
    command = CreateImportCommand(
        session_token=_session_token(event),
        project=_project_key(event.path_parameters or {}),
        body=body_rejected,
    )
    try:
        service.approve(command)
    except ImportRefused as refusal:  # always: a command with a rejected body is refused
        return refuse(refusal)
    except StorageBusy as busy:
        return storage_busy(busy)
    except Exception as failure:  # e.g. DynamoDB down while reading the session
        return unexpected_error(failure)
    return unexpected_error(error)


def refuse(refusal: ImportRefused) -> Response[Any]:
    return error_responses.refusal_response(refusal)


def key_in_flight(error: KeyInFlight) -> Response[Any]:
    return error_responses.error_response(HTTPStatus.CONFLICT, str(error))


def key_reused(error: RequestKeyReused) -> Response[Any]:
    return error_responses.error_response(HTTPStatus.UNPROCESSABLE_ENTITY, str(error))


def storage_busy(error: StorageBusy) -> Response[Any]:
    logger.warning("DynamoDB kept throttling after retries", extra={"error_type": type(error.__cause__).__name__})
    return error_responses.storage_busy_response()


def unexpected_error(error: Exception) -> Response[Any]:
    logger.exception("Unexpected error while creating an import", extra={"error_type": type(error).__name__})
    return error_responses.error_response(HTTPStatus.INTERNAL_SERVER_ERROR, error_responses.INTERNAL_ERROR_MESSAGE)


def no_such_route(error: Exception) -> Response[Any]:
    """Powertools matched no route: a path segment it does not match, or a hand-made event.

    API Gateway sends this function only its own route, whose `{user_id}` and `{project_id}` match
    any segment; Powertools' patterns match fewer characters (not `"`, `\\` or a backtick). Such a
    request is an invalid path, refused after authentication like any other.
    """
    routed_here = app.current_event.path_parameters or {}
    if {"user_id", "project_id"} <= routed_here.keys() and isinstance(_project_key(routed_here), RequestRejected):
        return refuse_invalid_request(error)
    return error_responses.error_response(HTTPStatus.NOT_FOUND, "There is no such route.")


# Registered by call rather than as decorators so that the functions keep their types for mypy.
_VALIDATION_FAILURES: list[type[Exception]] = [
    RequestValidationError,
    RequestUnsupportedContentType,
    UnicodeDecodeError,  # Powertools decodes base64 bodies as UTF-8 before any hook of ours runs
    binascii.Error,
]
app.exception_handler(_VALIDATION_FAILURES)(refuse_invalid_request)
app.exception_handler(ImportRefused)(refuse)
app.exception_handler(KeyInFlight)(key_in_flight)
app.exception_handler(RequestKeyReused)(key_reused)
app.exception_handler(StorageBusy)(storage_busy)
app.exception_handler(Exception)(unexpected_error)
app.not_found(no_such_route)


def _session_token(event: APIGatewayProxyEventV2) -> str | None:
    # Payload 2.0 moves the Cookie header into `cookies`; a hand-made event may still carry the header.
    return session_token(event.cookies or [event.headers.get("cookie", "")])


def _project_key(path_parameters: dict[str, str]) -> ProjectKey | RequestRejected:
    """The path's ids by our own rule, so an invalid path names its fields however validation ended."""
    ids: dict[str, int] = {}
    errors: list[FieldError] = []
    for name in ("user_id", "project_id"):
        try:
            ids[name] = _resource_id.validate_python(path_parameters.get(name))
        except ValidationError:
            errors.append(FieldError(field=name, message=PATH_ID_RULE))
    if errors:
        return RequestRejected(RequestProblem.INVALID_PATH, INVALID_PATH_MESSAGE, tuple(errors))
    return ProjectKey(user_id=ids["user_id"], project_id=ids["project_id"])


def _field_errors(validation_errors: Sequence[Any], location: str) -> tuple[FieldError, ...]:
    return tuple(
        FieldError(field=".".join(str(part) for part in entry["loc"][1:]) or location, message=_message(entry))
        for entry in validation_errors
        if entry["loc"][:1] == (location,)
    )


def _message(entry: dict[str, Any]) -> str:
    return str(entry.get("msg", "is invalid")).removeprefix("Value error, ")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    headers = event.get("headers") or {}
    for name in [name for name in headers if name.lower() == "content-type"]:
        # Before Powertools parses the body: it must only ever parse JSON (see the function's docstring).
        headers[name] = content_type_for_powertools(headers[name])
    return app.resolve(event, context)
