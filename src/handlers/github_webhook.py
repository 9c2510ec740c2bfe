"""Lambda entry point for `POST /api/github/webhooks`: the Neptun GitHub App's webhook deliveries.

Authenticity first: nothing in a delivery is parsed, stored or logged before its signature matches
the App's secret. Then its headers (400), size (413), JSON (400), event/action (202 when this service
does not act on it) and payload (400); then one atomic write (domain/installations.py).

| answer | when                                                                          |
| ------ | ----------------------------------------------------------------------------- |
| 200    | applied; or applied before (same delivery id or same bytes); or the          |
|        | installation was deleted; or a newer installation owns the account's login    |
| 202    | an event or action this service does not act on; or applied, but the         |
|        | installer is not linked to a Neptun user yet                                  |
| 400    | missing GitHub headers, malformed JSON, a payload lacking what its event needs |
| 401    | missing or wrong X-Hub-Signature-256                                          |
| 413    | body over 6 MiB (on AWS, API Gateway refuses it before the function)           |
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from domain.errors import FieldError, StorageBusy
from domain.installations import (
    DeliveryOutcome,
    InstallationChangedMeanwhile,
    InstallationService,
)
from dynamodb_store.installations import DynamoDBInstallationLedger
from handlers import error_responses
from handlers.composition import Settings, dynamodb_client
from handlers.github_deliveries import (
    PING,
    SIGNATURE_HEADER,
    WEBHOOK_PATH,
    DeliveryHeaders,
    PayloadInvalid,
    change_of,
    delivery_headers,
    installation_delivery,
)
from handlers.headers import lower_case_names, with_response_headers
from handlers.request_body import raw_body, strict_json_loads
from handlers.snapstart import PrimingRequest, prime_before_snapshot
from handlers.webhook_secret import WebhookSecret

# GitHub caps payloads at 25 MB; Lambda takes a request of at most 6 MB, event included, so API Gateway
# refuses a larger body before the function runs. This bound only makes the local server answer the
# same. A `created` delivery listing 1,000 repositories is about 200 KB, 20,000 about 4 MB.
MAX_WEBHOOK_BODY_BYTES = 6 * 1024 * 1024
_STATUS_OF_OUTCOME = {
    DeliveryOutcome.APPLIED: HTTPStatus.OK,
    DeliveryOutcome.DUPLICATE: HTTPStatus.OK,
    DeliveryOutcome.IGNORED: HTTPStatus.OK,
    DeliveryOutcome.SUPERSEDED: HTTPStatus.OK,
    DeliveryOutcome.AWAITING_LINK: HTTPStatus.ACCEPTED,
}
_COUNTED = frozenset({DeliveryOutcome.APPLIED, DeliveryOutcome.AWAITING_LINK})

logger = Logger()
# This function's own metric set (see handlers/create_import.py).
metrics = EphemeralMetrics()
settings = Settings.from_environment()
dynamodb = dynamodb_client(settings)
service = InstallationService(DynamoDBInstallationLedger(dynamodb, settings.data_table))
secret = WebhookSecret.from_environment()
app = APIGatewayHttpResolver()


@app.post(WEBHOOK_PATH)
def receive_delivery() -> Response[Any]:
    event = app.current_event
    headers: dict[str, str] = event.raw_event.get("headers") or {}
    body = raw_body(event.body, bool(event.is_base64_encoded))
    if body is None or not secret.signs(body, headers.get(SIGNATURE_HEADER)):
        logger.warning("Delivery refused: its signature does not match the App's webhook secret")
        return error_responses.error_response(HTTPStatus.UNAUTHORIZED, "X-Hub-Signature-256 is missing or wrong.")
    github = delivery_headers(headers)
    if isinstance(github, PayloadInvalid):
        return _invalid(github)
    logger.append_keys(github_delivery=github.delivery_id, github_event=github.event)
    if len(body) > MAX_WEBHOOK_BODY_BYTES:
        return error_responses.error_response(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "The payload is larger than 6 MiB.")
    return _apply(github, body)


def _apply(github: DeliveryHeaders, body: bytes) -> Response[Any]:
    try:
        payload = strict_json_loads(body.decode("utf-8"), max_bytes=MAX_WEBHOOK_BODY_BYTES)
    except (UnicodeDecodeError, json.JSONDecodeError):
        message = "The payload is not one JSON object in UTF-8."
        return _invalid(PayloadInvalid(message, (FieldError(field="body", message=message),)))
    if github.event == PING:
        return _answer(HTTPStatus.OK, github, "pong")
    change = change_of(github.event, payload)
    if change is None:
        logger.info("Delivery not acted on")
        return _answer(HTTPStatus.ACCEPTED, github, "not_handled")
    try:
        outcome = service.apply(installation_delivery(github, change, payload, body))
    except PayloadInvalid as invalid:
        return _invalid(invalid)
    logger.info("Delivery applied", extra={"outcome": outcome.value})
    if outcome in _COUNTED:
        _count(change.value)
    return _answer(_STATUS_OF_OUTCOME[outcome], github, outcome.value)


def _count(change: str) -> None:
    metrics.add_dimension(name="change", value=change)
    metrics.add_metric(name="InstallationEvent", unit=MetricUnit.Count, value=1)
    metrics.flush_metrics()


def _answer(status: HTTPStatus, github: DeliveryHeaders, outcome: str) -> Response[Any]:
    body = {"delivery": github.delivery_id, "event": github.event, "outcome": outcome}
    return Response(status_code=int(status), content_type=content_types.APPLICATION_JSON, body=body)


def _invalid(invalid: PayloadInvalid) -> Response[Any]:
    return error_responses.error_response(HTTPStatus.BAD_REQUEST, str(invalid), invalid.errors)


def _storage_busy(error: StorageBusy | InstallationChangedMeanwhile) -> Response[Any]:
    logger.warning("DynamoDB throttled or the installation kept changing", extra={"error_type": type(error).__name__})
    return error_responses.storage_busy_response()


def _unexpected(error: Exception) -> Response[Any]:
    logger.exception("Unexpected error", extra={"error_type": type(error).__name__})
    return error_responses.error_response(HTTPStatus.INTERNAL_SERVER_ERROR, error_responses.INTERNAL_ERROR_MESSAGE)


app.exception_handler([StorageBusy, InstallationChangedMeanwhile])(_storage_busy)
app.exception_handler(Exception)(_unexpected)
# SnapStart (handlers/snapstart.py): an unsigned delivery, refused before the secret is read.
prime_before_snapshot(app.resolve, PrimingRequest("POST", WEBHOOK_PATH, body={"zen": "Priming."}))


@logger.inject_lambda_context(log_event=False, clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    event["headers"] = lower_case_names(event.get("headers") or {})
    try:
        return with_response_headers(app.resolve(event, context))
    finally:
        # Locally one process serves every function through loggers of one service: keep these to ours.
        logger.remove_keys(["github_delivery", "github_event"])
