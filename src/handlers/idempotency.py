"""The `Idempotency-Key` request header (IETF draft), on Powertools' idempotency utility.

A create that carries the header is stored at most once per user and key for 24 hours: a retry with
the same body replays the first 201, the same key with another body is 422, and a retry while the
first is still running is 409. Keys are scoped per user, so one user's key never replays another's.
The utility is imported on the first request that carries a key, not on cold start.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from domain.create_import import ApprovedImport, ImportService
from domain.errors import FieldError, RequestKeyReused, RequestProblem, RequestRejected, StorageBusy
from domain.models import REQUEST_KEY_WINDOW_SECONDS, ProjectImport
from dynamodb_store.throttling import is_throttling

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from mypy_boto3_dynamodb.client import DynamoDBClient

IDEMPOTENCY_KEY_HEADER = "idempotency-key"
# The draft makes the value a structured-field string ("..."); a bare token is accepted too.
_KEY = re.compile(r'"(?P<quoted>[\x21\x23-\x7e]{1,255})"|(?P<bare>[\x21\x23-\x7e]{1,255})')


class KeyInFlight(Exception):
    """The first request with this key is still being processed."""

    def __init__(self) -> None:
        super().__init__("A request with this Idempotency-Key is still being processed; retry in a moment.")


def idempotency_key(header_value: str | None) -> str | RequestRejected | None:
    """The key the header carries, None without the header, RequestRejected for a malformed one."""
    if header_value is None:
        return None
    match = _KEY.fullmatch(header_value.strip())
    if match is None:
        rule = "must be 1 to 255 visible ASCII characters, optionally in double quotes"
        return RequestRejected(
            RequestProblem.INVALID_IDEMPOTENCY_KEY,
            f"The Idempotency-Key header {rule}.",
            (FieldError(field="Idempotency-Key", message=rule),),
        )
    return match["quoted"] or match["bare"]


class IdempotentCreates:
    """Stores an approved import at most once per (user, key), replaying the first result."""

    def __init__(self, service: ImportService, table_name: str, client: DynamoDBClient) -> None:
        self._service = service
        self._table_name = table_name
        self._client = client

    def create(
        self,
        approved: ApprovedImport,
        key: str,
        context: LambdaContext,
        on_created: Callable[[ProjectImport], None],
    ) -> ProjectImport:
        """Store `approved` unless this user's key already did; `on_created` runs only when it is stored."""
        from aws_lambda_powertools.utilities.idempotency.exceptions import (  # noqa: PLC0415 - keyed requests only
            IdempotencyAlreadyInProgressError,
            IdempotencyPersistenceLayerError,
            IdempotencyValidationError,
        )

        create_once, config = self._powertools
        config.register_lambda_context(context)  # an in-flight record expires with this invocation
        attempt = {
            "key": f"{approved.project.user_id}:{key}",  # per user: never another user's response
            "payload": {
                "user_id": approved.project.user_id,
                "project_id": approved.project.project_id,
                "request": approved.request.model_dump(mode="json"),
            },
        }
        try:
            stored: dict[str, Any] = create_once(attempt=attempt, approved=approved, on_created=on_created)
        except IdempotencyAlreadyInProgressError as in_flight:
            raise KeyInFlight from in_flight
        except IdempotencyValidationError as mismatch:
            raise RequestKeyReused from mismatch
        except IdempotencyPersistenceLayerError as failure:
            if is_throttling(failure.__cause__):
                raise StorageBusy from failure
            raise
        return ProjectImport.model_validate(stored)

    @cached_property
    def _powertools(self) -> tuple[Callable[..., dict[str, Any]], Any]:
        from aws_lambda_powertools.utilities.idempotency import (  # noqa: PLC0415 - keyed requests only
            DynamoDBPersistenceLayer,
            IdempotencyConfig,
            idempotent_function,
        )

        persistence = DynamoDBPersistenceLayer(table_name=self._table_name, boto3_client=self._client)
        config = IdempotencyConfig(
            event_key_jmespath="key",
            payload_validation_jmespath="payload",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=REQUEST_KEY_WINDOW_SECONDS,
        )
        service = self._service

        def create_once(
            attempt: dict[str, Any], approved: ApprovedImport, on_created: Callable[[ProjectImport], None]
        ) -> dict[str, Any]:
            # What this returns is what a replay returns: the import as the first 201 showed it.
            # The key goes to the storage too, which refuses a second import for it in the same
            # transaction: Powertools' record alone cannot, if its completion is lost (see README).
            created = service.store(approved, request_key=attempt["key"])
            on_created(created)
            return created.model_dump(mode="json")

        idempotent = idempotent_function(
            data_keyword_argument="attempt",
            persistence_store=persistence,
            config=config,
            key_prefix="neptun-imports.create_import",
        )
        return cast("Callable[..., dict[str, Any]]", idempotent(create_once)), config
