"""The HTTP edge every route shares: one resolver per function, authentication before validation.

Powertools validates the path, query and body before any middleware runs, so authentication cannot
simply come first as a middleware. Instead both ways out of validation lead to the same domain gate
(domain/gate.py): a valid request reaches the route, which hands its use case the request's parts
(invalid ones as RequestRejected values); an invalid one reaches `refuse_invalid_request`, which hands
the gate the same path and the problem. The gate checks the session before it reports either.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.models import Example
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from domain.access import ImportKey, ProjectKey
from domain.errors import FieldError, ImportRefused, RequestProblem, RequestRejected, StorageBusy
from domain.gate import Gate
from domain.models import MAX_SAFE_INTEGER
from handlers import error_responses
from handlers.composition import Settings, dynamodb_client, import_store
from handlers.headers import lower_case_names, with_response_headers
from handlers.path_ids import ResourceId, resource_id
from handlers.request_body import (
    content_type_for_powertools,
    envelope_problem,
    strict_json_loads,
    unreadable_body_problem,
)
from handlers.session_cookie import session_token
from handlers.snapstart import PrimingRequest, prime_before_snapshot

PROJECT_PATH_IDS = ("user_id", "project_id")
IMPORT_PATH_IDS = (*PROJECT_PATH_IDS, "import_id")
RESOURCES_PATH = "/api/users/<user_id>/projects/<project_id>/resources"
IMPORTS_PATH = f"{RESOURCES_PATH}/imports"
IMPORT_PATH = f"{IMPORTS_PATH}/<import_id>"

logger = Logger()
settings = Settings.from_environment()
dynamodb = dynamodb_client(settings)
store = import_store(settings, dynamodb)
_gate = Gate(store)


# The path parameters of every route, as Powertools validates them and the OpenAPI document shows them.
# The examples are the ids of the API documents' examples (and of `make run`'s demo data, whose /docs
# page pre-fills a parameter from its first `examples` entry), so every route's example succeeds there.
def _id_parameter(description: str, example: int) -> Any:
    demo = Example(summary="the API documents' examples and make run's demo data", value=example)
    return Path(description=description, openapi_examples={"demo": demo})


UserIdParameter = Annotated[ResourceId, _id_parameter("The signed-in user's id.", 1)]
ProjectIdParameter = Annotated[ResourceId, _id_parameter("The project's id; it must be the user's.", 789)]
ImportIdParameter = Annotated[ResourceId, _id_parameter("The import's id, in that project.", 246205947048956)]
PATH_ID_RULE = f"must be a whole number from 1 to {MAX_SAFE_INTEGER} in plain decimal digits"

# Registered by call rather than as decorators so that the functions keep their types for mypy.
_VALIDATION_FAILURES: list[type[Exception]] = [
    RequestValidationError,
    RequestUnsupportedContentType,
    UnicodeDecodeError,  # Powertools decodes base64 bodies as UTF-8 before any hook of ours runs
    binascii.Error,
]


GREEDY_TAIL = "<path>"


class _GreedyTailResolver(APIGatewayHttpResolver):
    """A resolver whose rules may end in `<path>`, matching the rest of the path across `/` as API
    Gateway's `{path+}` does (Powertools' own parameters stop at `/`). Powertools' REST resolver
    overrides `_compile_regex` the same way."""

    @staticmethod
    def _compile_regex(rule: str, base_regex: str = "^{}$") -> re.Pattern[str]:
        if not rule.endswith(GREEDY_TAIL):
            compiled: re.Pattern[str] = APIGatewayHttpResolver._compile_regex(rule, base_regex)
            return compiled
        head: re.Pattern[str] = APIGatewayHttpResolver._compile_regex(rule.removesuffix(GREEDY_TAIL), "{}")
        return re.compile(base_regex.format(f"{head.pattern}(?P<path>.+)"))


class RouteEdge:
    """One function's resolver and the checks its route shares with every other route.

    `path_ids` are the route's path parameters; `query_names` the query parameters it takes (any other
    is a 400 naming it); `takes_body` whether it reads a JSON body (then Content-Type and size are checked).
    """

    def __init__(
        self, path_ids: Sequence[str], query_names: frozenset[str] = frozenset(), takes_body: bool = False
    ) -> None:
        self.path_ids = tuple(path_ids)
        self.query_names = query_names
        self.takes_body = takes_body
        self.app = _GreedyTailResolver(enable_validation=True, json_body_deserializer=strict_json_loads)
        self.app.exception_handler(_VALIDATION_FAILURES)(self.refuse_invalid_request)
        self.app.exception_handler(ImportRefused)(error_responses.refusal_response)
        self.app.exception_handler(StorageBusy)(storage_busy)
        self.app.exception_handler(Exception)(unexpected_error)
        self.app.not_found(self.no_such_route)

    @property
    def event(self) -> APIGatewayProxyEventV2:
        return self.app.current_event

    def header(self, name: str) -> str | None:
        """A request header by its lower-case name. The entry point lower-cased the event's names once:
        Powertools' own `headers` builds a case-insensitive copy on every access."""
        headers: dict[str, str] = self.event.raw_event.get("headers") or {}
        return headers.get(name)

    def session_token(self) -> str | None:
        # Payload 2.0 moves the Cookie header into `cookies`; a hand-made event may still carry the header.
        return session_token(self.event.raw_event.get("cookies") or [self.header("cookie") or ""])

    def path(self) -> ProjectKey | ImportKey | RequestRejected:
        """The path's ids by our own rule, so an invalid path names its fields however validation ended."""
        parameters = self.event.path_parameters or {}
        ids: dict[str, int] = {}
        errors: list[FieldError] = []
        for name in self.path_ids:
            try:
                ids[name] = resource_id.validate_python(parameters.get(name))
            except ValidationError:
                errors.append(FieldError(field=name, message=PATH_ID_RULE))
        if errors:
            names = f"{', '.join(self.path_ids[:-1])} and {self.path_ids[-1]}"
            message = f"{names} must be whole numbers from 1 to {MAX_SAFE_INTEGER}."
            return RequestRejected(RequestProblem.INVALID_PATH, message, tuple(errors))
        project = ProjectKey(user_id=ids["user_id"], project_id=ids["project_id"])
        return ImportKey(project, ids["import_id"]) if "import_id" in ids else project

    def project_path(self) -> ProjectKey | RequestRejected:
        path = self.path()
        return path.project if isinstance(path, ImportKey) else path

    def envelope_problem(self) -> RequestRejected | None:
        """Unknown query parameters, then (for a route with a body) Content-Type and size."""
        # A name may be empty (`?=x`); it is still named, visibly.
        unknown = sorted(
            name or "(empty name)" for name in set(self.event.query_string_parameters or {}) - self.query_names
        )
        if unknown:
            rule = "is not a query parameter of this route"
            return RequestRejected(
                RequestProblem.INVALID_QUERY,
                _unknown_parameters_message(unknown),
                tuple(FieldError(field=name, message=rule) for name in unknown),
            )
        if self.takes_body:
            event = self.event
            return envelope_problem(self.header("content-type"), event.body, bool(event.is_base64_encoded))
        return None

    def refuse_invalid_request(self, error: Exception) -> Response[Any]:
        """Path, query or body failed validation: still authenticate first, then report it."""
        validation_errors = error.errors() if isinstance(error, RequestValidationError) else []
        if any(entry["loc"][:1] == ("response",) for entry in validation_errors):
            return unexpected_error(error)  # our own response broke its model: a bug, not the client's fault
        problem = self.envelope_problem() or self._unreadable_body() or _validation_problem(validation_errors)
        try:
            _gate.refuse(self.session_token(), self.project_path(), problem)
        except ImportRefused as refusal:  # always: the problem is refused once the session is checked
            return error_responses.refusal_response(refusal)
        except StorageBusy as busy:
            return storage_busy(busy)
        except Exception as failure:  # e.g. DynamoDB down while reading the session
            return unexpected_error(failure)
        return unexpected_error(error)

    def no_such_route(self, error: Exception) -> Response[Any]:
        """Powertools matched no route: a path segment it does not match, or a hand-made event.

        API Gateway sends a function only its own route, whose `{...}` parameters match any segment;
        Powertools' patterns match fewer characters (not `"`, `\\\\` or a backtick). Such a request is an
        invalid path, refused after authentication like any other.
        """
        routed_here = self.event.path_parameters or {}
        if set(self.path_ids) <= routed_here.keys() and isinstance(self.path(), RequestRejected):
            return self.refuse_invalid_request(error)
        return error_responses.error_response(HTTPStatus.NOT_FOUND, "There is no such route.")

    def _unreadable_body(self) -> RequestRejected | None:
        if not self.takes_body:
            return None
        event = self.event
        return unreadable_body_problem(self.header("content-type"), event.body, bool(event.is_base64_encoded))

    def lambda_handler(self, priming: PrimingRequest) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
        """The function's entry point: Logger's context, then the resolver. With SnapStart, `priming`
        is answered once before the snapshot (handlers/snapstart.py)."""
        app = self.app

        def resolve(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
            headers = lower_case_names(event.get("headers") or {})
            if "content-type" in headers:
                # Before Powertools parses the body: it must only ever parse JSON (see request_body.py).
                headers["content-type"] = content_type_for_powertools(headers["content-type"])
            event["headers"] = headers
            return with_response_headers(app.resolve(event, context))

        prime_before_snapshot(resolve, priming)
        handle: Callable[[dict[str, Any], LambdaContext], dict[str, Any]] = logger.inject_lambda_context(
            correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False
        )(resolve)
        return handle


# The message names a few; `errors` names up to MAX_LISTED_FIELD_ERRORS, each as bounded.
_NAMED_IN_MESSAGE = 3


def _unknown_parameters_message(unknown: list[str]) -> str:
    named = ", ".join(error_responses.shortened(name) for name in unknown[:_NAMED_IN_MESSAGE])
    more = len(unknown) - _NAMED_IN_MESSAGE
    if more > 0:
        return f"Unknown query parameters: {named} and {more} more."
    return f"Unknown query parameter{'s' if len(unknown) > 1 else ''}: {named}."


def _validation_problem(validation_errors: Sequence[Any]) -> RequestRejected:
    query_errors = _field_errors(validation_errors, "query")
    if query_errors:
        return RequestRejected(RequestProblem.INVALID_QUERY, "The query string is invalid.", query_errors)
    return RequestRejected(
        RequestProblem.INVALID_BODY, "The request body is invalid.", _field_errors(validation_errors, "body")
    )


def _field_errors(validation_errors: Sequence[Any], location: str) -> tuple[FieldError, ...]:
    return tuple(
        FieldError(field=".".join(str(part) for part in entry["loc"][1:]) or location, message=_message(entry))
        for entry in validation_errors
        if entry["loc"][:1] == (location,)
    )


def _message(entry: dict[str, Any]) -> str:
    return str(entry.get("msg", "is invalid")).removeprefix("Value error, ")


def storage_busy(error: StorageBusy) -> Response[Any]:
    logger.warning("DynamoDB kept throttling after retries", extra={"error_type": type(error.__cause__).__name__})
    return error_responses.storage_busy_response()


def unexpected_error(error: Exception) -> Response[Any]:
    logger.exception("Unexpected error", extra={"error_type": type(error).__name__})
    return error_responses.error_response(HTTPStatus.INTERNAL_SERVER_ERROR, error_responses.INTERNAL_ERROR_MESSAGE)
