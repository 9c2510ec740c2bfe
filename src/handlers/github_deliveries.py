"""GitHub's webhook deliveries as this service reads them: headers and the payload fields it needs.

The payload models list only what a change needs (GitHub's documented payloads carry much more, which
is ignored). Shapes: GitHub's webhook documentation and octokit/webhooks' payload schemas.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
)

from domain.access import RepositorySelection
from domain.errors import FieldError
from domain.installations import Change, InstallationDelivery
from domain.source_paths import is_github_login, is_github_repository_name

WEBHOOK_PATH = "/api/github/webhooks"  # the route template.yaml gives the webhook function
EVENT_HEADER = "x-github-event"
DELIVERY_HEADER = "x-github-delivery"
SIGNATURE_HEADER = "x-hub-signature-256"
PING = "ping"
# GitHub's delivery ids are GUIDs; anything in this shape is accepted (they become a DynamoDB key).
_DELIVERY_ID = re.compile(r"[0-9A-Za-z-]{1,64}")
_EVENT_NAME = re.compile(r"[a-z_]{1,64}")
_MAX_TIME_LENGTH = 64  # ISO 8601 times are about 30 characters


def _github_login(text: str) -> str:
    if not is_github_login(text):
        raise ValueError("must be a GitHub login: 1-39 ASCII letters, digits or single inner hyphens")
    return text


def _github_repository_name(text: str) -> str:
    if not is_github_repository_name(text):
        raise ValueError("must be a GitHub repository name: 1-100 ASCII letters, digits, '.', '_' or '-'")
    return text


def _epoch_seconds(value: object) -> object:
    """GitHub writes `installation.created_at` as epoch seconds in some payloads, ISO 8601 in others."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str) or len(value) > _MAX_TIME_LENGTH:
        raise ValueError("must be epoch seconds or an ISO 8601 time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("must be epoch seconds or an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise ValueError("must name its time zone")
    return int(moment.timestamp())


# Strict: GitHub sends ids as JSON integers, never "5", 5.0 or true.
GithubId = Annotated[StrictInt, Field(gt=0, lt=2**63)]
GithubLogin = Annotated[StrictStr, AfterValidator(_github_login)]
GithubRepositoryName = Annotated[StrictStr, AfterValidator(_github_repository_name)]
GithubTime = Annotated[StrictInt, BeforeValidator(_epoch_seconds)]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Account(_Payload):
    login: GithubLogin


class _Installation(_Payload):
    id: GithubId
    account: _Account
    repository_selection: RepositorySelection | None = None
    created_at: GithubTime | None = None


class _InstallationLite(_Payload):
    id: GithubId


class _Repository(_Payload):
    name: GithubRepositoryName


class _User(_Payload):
    id: GithubId


class _InstallationEvent(_Payload):
    installation: _Installation
    sender: _User
    repositories: list[_Repository] = []  # listed by `created` (GitHub omits it for some actions)


class _InstallationRepositoriesEvent(_Payload):
    installation: _Installation
    sender: _User
    repository_selection: RepositorySelection
    repositories_added: list[_Repository]
    repositories_removed: list[_Repository]


class _InstallationTargetEvent(_Payload):
    installation: _InstallationLite
    sender: _User
    account: _Account  # the account under its new login


@dataclass(frozen=True)
class DeliveryHeaders:
    event: str
    delivery_id: str


class PayloadInvalid(Exception):
    def __init__(self, message: str, errors: tuple[FieldError, ...] = ()) -> None:
        super().__init__(message)
        self.errors = errors


def delivery_headers(headers: dict[str, str]) -> DeliveryHeaders | PayloadInvalid:
    event, delivery_id = headers.get(EVENT_HEADER, ""), headers.get(DELIVERY_HEADER, "")
    errors = []
    if not _EVENT_NAME.fullmatch(event):
        errors.append(FieldError(field="X-GitHub-Event", message="must name a GitHub webhook event"))
    if not _DELIVERY_ID.fullmatch(delivery_id):
        errors.append(FieldError(field="X-GitHub-Delivery", message="must be GitHub's delivery GUID"))
    if errors:
        return PayloadInvalid("The delivery's GitHub headers are missing or invalid.", tuple(errors))
    return DeliveryHeaders(event=event, delivery_id=delivery_id)


def change_of(event: str, payload: dict[str, Any]) -> Change | None:
    """The change an event/action pair makes, or None for one this service does not act on."""
    action = payload.get("action")
    try:
        return Change(f"{event}.{action}") if isinstance(action, str) else None
    except ValueError:
        return None


def installation_delivery(
    headers: DeliveryHeaders, change: Change, payload: dict[str, Any], body: bytes
) -> InstallationDelivery:
    """The delivery's change as the domain applies it; PayloadInvalid when it lacks what the change needs."""
    signed = _Signed(headers.delivery_id, hashlib.sha256(body).hexdigest())
    try:
        if change in {Change.REPOSITORIES_ADDED, Change.REPOSITORIES_REMOVED}:
            return _repositories_changed(signed, change, _InstallationRepositoriesEvent.model_validate(payload))
        if change is Change.RENAMED:
            return _renamed(signed, _InstallationTargetEvent.model_validate(payload))
        return _installation_changed(signed, change, _InstallationEvent.model_validate(payload))
    except ValidationError as invalid:
        raise PayloadInvalid(
            f"The {change.value} payload lacks what this service needs.", _field_errors(invalid)
        ) from None


@dataclass(frozen=True)
class _Signed:
    delivery_id: str
    body_digest: str


def _installation_changed(signed: _Signed, change: Change, event: _InstallationEvent) -> InstallationDelivery:
    return InstallationDelivery(
        delivery_id=signed.delivery_id,
        body_digest=signed.body_digest,
        change=change,
        installation_id=event.installation.id,
        account_login=event.installation.account.login,
        sender_github_user_id=event.sender.id,
        repository_selection=event.installation.repository_selection,
        repositories_added=frozenset(repository.name for repository in event.repositories),
        installation_created_at=event.installation.created_at,
    )


def _repositories_changed(
    signed: _Signed, change: Change, event: _InstallationRepositoriesEvent
) -> InstallationDelivery:
    return InstallationDelivery(
        delivery_id=signed.delivery_id,
        body_digest=signed.body_digest,
        change=change,
        installation_id=event.installation.id,
        account_login=event.installation.account.login,
        sender_github_user_id=event.sender.id,
        repository_selection=event.repository_selection,
        repositories_added=frozenset(repository.name for repository in event.repositories_added),
        repositories_removed=frozenset(repository.name for repository in event.repositories_removed),
        installation_created_at=event.installation.created_at,
    )


def _renamed(signed: _Signed, event: _InstallationTargetEvent) -> InstallationDelivery:
    return InstallationDelivery(
        delivery_id=signed.delivery_id,
        body_digest=signed.body_digest,
        change=Change.RENAMED,
        installation_id=event.installation.id,
        account_login=event.account.login,
        sender_github_user_id=event.sender.id,
    )


def _field_errors(invalid: ValidationError) -> tuple[FieldError, ...]:
    # The messages only, never the input values: a payload's content is not echoed or logged.
    return tuple(
        FieldError(field=".".join(str(part) for part in error["loc"]) or "body", message=error["msg"])
        for error in invalid.errors(include_input=False, include_url=False)
    )
