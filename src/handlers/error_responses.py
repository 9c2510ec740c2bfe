"""Every error response, built in one place: `{"statusCode", "message"}` plus field errors for a 400."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, Field

from domain.errors import (
    FieldError,
    FilesChanged,
    ImportNotFound,
    ImportRefused,
    KeptFileNotFound,
    NotAnUploadImport,
    NotAuthenticated,
    NothingImportedYet,
    NothingToRefresh,
    PreconditionFailed,
    ProjectFull,
    ProjectNotFound,
    RepositoryNotCovered,
    RequestProblem,
    RequestRejected,
    UserMismatch,
)

INTERNAL_ERROR_MESSAGE = "Something went wrong on our side; try again later."
# A 400 lists at most this many field errors, each field name cut to at most this many characters,
# so a body of thousands of unknown (or very long) keys cannot make the answer larger than the question.
MAX_LISTED_FIELD_ERRORS = 20
MAX_FIELD_NAME_CHARACTERS = 100

_STATUS_OF_PROBLEM = {
    RequestProblem.INVALID_PATH: HTTPStatus.BAD_REQUEST,
    RequestProblem.INVALID_QUERY: HTTPStatus.BAD_REQUEST,
    RequestProblem.INVALID_PRECONDITION: HTTPStatus.BAD_REQUEST,
    RequestProblem.UNSUPPORTED_MEDIA_TYPE: HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
    RequestProblem.BODY_TOO_LARGE: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    RequestProblem.INVALID_BODY: HTTPStatus.BAD_REQUEST,
    RequestProblem.INVALID_IDEMPOTENCY_KEY: HTTPStatus.BAD_REQUEST,
}
_STATUS_OF_REFUSAL: dict[type[ImportRefused], HTTPStatus] = {
    NotAuthenticated: HTTPStatus.UNAUTHORIZED,
    UserMismatch: HTTPStatus.FORBIDDEN,
    RepositoryNotCovered: HTTPStatus.FORBIDDEN,
    ProjectNotFound: HTTPStatus.NOT_FOUND,
    ImportNotFound: HTTPStatus.NOT_FOUND,
    PreconditionFailed: HTTPStatus.PRECONDITION_FAILED,
    ProjectFull: HTTPStatus.CONFLICT,
    NothingToRefresh: HTTPStatus.CONFLICT,
    NotAnUploadImport: HTTPStatus.CONFLICT,
    NothingImportedYet: HTTPStatus.CONFLICT,
    FilesChanged: HTTPStatus.CONFLICT,
    KeptFileNotFound: HTTPStatus.NOT_FOUND,
}


class FieldErrorBody(BaseModel):
    field: str = Field(
        description="Where the problem is: a body field, a path id, a query parameter, 'body' or a header name."
    )
    message: str


class ErrorBody(BaseModel):
    """The body of every error response."""

    statusCode: int  # noqa: N815 - the documented wire name
    message: str = Field(description="One sentence a person understands.")
    errors: list[FieldErrorBody] | None = Field(default=None, description="Only on 400: each invalid field.")


def status_of(refusal: ImportRefused) -> HTTPStatus:
    if isinstance(refusal, RequestRejected):
        return _STATUS_OF_PROBLEM[refusal.problem]
    return _STATUS_OF_REFUSAL[type(refusal)]


def refusal_response(refusal: ImportRefused) -> Response[Any]:
    errors = refusal.errors if isinstance(refusal, RequestRejected) else ()
    return error_response(status_of(refusal), str(refusal), errors)


def error_response(status: HTTPStatus, message: str, errors: tuple[FieldError, ...] = ()) -> Response[Any]:
    body: dict[str, Any] = {"statusCode": int(status), "message": message}
    if errors:
        unlisted = len(errors) - MAX_LISTED_FIELD_ERRORS
        if unlisted > 0:
            listed = f"The first {MAX_LISTED_FIELD_ERRORS} problems are listed; {unlisted} more are not."
            body["message"] = f"{message} {listed}"
        body["errors"] = [
            {"field": shortened(error.field), "message": error.message} for error in errors[:MAX_LISTED_FIELD_ERRORS]
        ]
    return Response(status_code=int(status), content_type=content_types.APPLICATION_JSON, body=body)


def shortened(field: str) -> str:
    if len(field) <= MAX_FIELD_NAME_CHARACTERS:
        return field
    return field[: MAX_FIELD_NAME_CHARACTERS - 1] + "…"


# Throttling that outlived the SDK's retries passes in seconds; a client should wait before retrying.
RETRY_AFTER_SECONDS = 1


def storage_busy_response() -> Response[Any]:
    response = error_response(HTTPStatus.SERVICE_UNAVAILABLE, "The service is busy; retry in a moment.")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


_DESCRIBED = {
    HTTPStatus.BAD_REQUEST: "Invalid path, query, header or body; `errors` lists what is invalid.",
    HTTPStatus.UNAUTHORIZED: "The neptun-session cookie is missing, unknown or expired.",
    HTTPStatus.FORBIDDEN: "The session is another user's, or the GitHub App installation does not cover the repo.",
    HTTPStatus.NOT_FOUND: "The project (or the import) does not exist or is not the user's.",
    HTTPStatus.CONFLICT: "A request with the same Idempotency-Key is still being processed.",
    HTTPStatus.PRECONDITION_FAILED: "If-Match does not match the import's current ETag; nothing was changed.",
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "The body is larger than 64 KiB.",
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: "The Content-Type is not application/json.",
    HTTPStatus.UNPROCESSABLE_ENTITY: "The Idempotency-Key was used before with a different request.",
    HTTPStatus.INTERNAL_SERVER_ERROR: "An unexpected error; details are logged under the request id.",
    HTTPStatus.SERVICE_UNAVAILABLE: "DynamoDB is throttling; retry after the Retry-After seconds.",
}


def openapi_error_responses(statuses: tuple[int, ...], conflict: str | None = None) -> dict[int, OpenAPIResponse]:
    """The error part of a route's OpenAPI `responses`, for the statuses it can answer.

    `conflict` describes the route's own 409 (a create's is its Idempotency-Key's)."""
    described = _DESCRIBED | ({HTTPStatus.CONFLICT: conflict} if conflict else {})
    return {
        status: {
            "description": described[HTTPStatus(status)],
            "content": {content_types.APPLICATION_JSON: {"model": ErrorBody}},
        }
        for status in statuses
    }
