"""GitHub's webhook deliveries as this service reads them: headers and the payload fields it needs.

The payload models list only what a change needs (GitHub's documented payloads carry much more, which
is ignored). Shapes: GitHub's webhook documentation and octokit/webhooks' payload schemas.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from domain.access import RepositorySelection
from domain.errors import FieldError
from domain.installations import Change, InstallationDelivery

WEBHOOK_PATH = "/api/github/webhooks"  # the route template.yaml gives the webhook function
EVENT_HEADER = "x-github-event"
DELIVERY_HEADER = "x-github-delivery"
SIGNATURE_HEADER = "x-hub-signature-256"
PING = "ping"
# GitHub's delivery ids are GUIDs; anything in this shape is accepted (they become a DynamoDB key).
_DELIVERY_ID = re.compile(r"[0-9A-Za-z-]{1,64}")
_EVENT_NAME = re.compile(r"[a-z_]{1,64}")

GithubId = Annotated[int, Field(gt=0, lt=2**63)]
# Logins and repository names are GitHub's; bounded only so that junk never reaches storage.
GithubName = Annotated[str, Field(min_length=1, max_length=100)]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Account(_Payload):
    login: GithubName


class _Installation(_Payload):
    id: GithubId
    account: _Account
    repository_selection: RepositorySelection | None = None


class _InstallationLite(_Payload):
    id: GithubId


class _Repository(_Payload):
    name: GithubName


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


def installation_delivery(headers: DeliveryHeaders, change: Change, payload: dict[str, Any]) -> InstallationDelivery:
    """The delivery's change as the domain applies it; PayloadInvalid when it lacks what the change needs."""
    try:
        if change in {Change.REPOSITORIES_ADDED, Change.REPOSITORIES_REMOVED}:
            return _repositories_changed(headers, change, _InstallationRepositoriesEvent.model_validate(payload))
        if change is Change.RENAMED:
            return _renamed(headers, _InstallationTargetEvent.model_validate(payload))
        return _installation_changed(headers, change, _InstallationEvent.model_validate(payload))
    except ValidationError as invalid:
        raise PayloadInvalid(
            f"The {change.value} payload lacks what this service needs.", _field_errors(invalid)
        ) from None


def _installation_changed(headers: DeliveryHeaders, change: Change, event: _InstallationEvent) -> InstallationDelivery:
    return InstallationDelivery(
        delivery_id=headers.delivery_id,
        change=change,
        installation_id=event.installation.id,
        account_login=event.installation.account.login,
        sender_github_user_id=event.sender.id,
        repository_selection=event.installation.repository_selection,
        repositories_added=frozenset(repository.name for repository in event.repositories),
    )


def _repositories_changed(
    headers: DeliveryHeaders, change: Change, event: _InstallationRepositoriesEvent
) -> InstallationDelivery:
    return InstallationDelivery(
        delivery_id=headers.delivery_id,
        change=change,
        installation_id=event.installation.id,
        account_login=event.installation.account.login,
        sender_github_user_id=event.sender.id,
        repository_selection=event.repository_selection,
        repositories_added=frozenset(repository.name for repository in event.repositories_added),
        repositories_removed=frozenset(repository.name for repository in event.repositories_removed),
    )


def _renamed(headers: DeliveryHeaders, event: _InstallationTargetEvent) -> InstallationDelivery:
    return InstallationDelivery(
        delivery_id=headers.delivery_id,
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
