"""Which DynamoDB `make run` and `make invoke` embed: Amazon's DynamoDB Local when it can run, else moto.

DYNAMODB=local or DYNAMODB=moto forces one; unset, DynamoDB Local is used when Java 17+ and the
installed jar are there, and moto otherwise, with a one-line notice saying why.
"""

from __future__ import annotations

import os
from enum import StrEnum
from typing import Protocol

from local import dynamodb_local
from local.embedded_dynamodb import EmbeddedDynamoDB


class Backend(StrEnum):
    LOCAL = "local"
    MOTO = "moto"


DESCRIPTION = {
    Backend.LOCAL: "embedded DynamoDB Local, Amazon's, in memory",
    Backend.MOTO: "embedded moto server",
}


class LocalDynamoDB(Protocol):
    @property
    def endpoint(self) -> str: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


def chosen_backend() -> tuple[Backend, str | None]:
    """The backend to embed, and a notice when DynamoDB Local was wanted but cannot run."""
    forced = os.environ.get("DYNAMODB", "").strip().lower()
    if forced == Backend.MOTO:
        return Backend.MOTO, None
    if forced not in {"", Backend.LOCAL}:
        raise SystemExit(f"error: DYNAMODB must be 'local' or 'moto', not {forced!r}")
    reason = dynamodb_local.unavailable_reason()
    if forced == Backend.LOCAL and reason:
        raise SystemExit(f"error: DYNAMODB=local, but {reason}")
    if reason:
        return Backend.MOTO, f"Notice: embedding moto instead of DynamoDB Local ({reason}); DYNAMODB=moto hides this."
    return Backend.LOCAL, None


def embedded(backend: Backend, host: str, port: int) -> LocalDynamoDB:
    """Binds (or checks) the port at once, so that a port in use is reported before anything starts."""
    if backend is Backend.LOCAL:
        return dynamodb_local.DynamoDBLocal(host, port)
    return EmbeddedDynamoDB(host, port)
