"""Why a request on a project's imports is refused. The HTTP layer maps each to one status code."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from domain.models import ProjectImport


class ImportRefused(Exception):
    """Base of every refusal the domain decides; `str(error)` is a sentence a person understands."""


class NotAuthenticated(ImportRefused):
    """No session cookie, an unknown one or an expired one: deliberately one error for all three."""

    def __init__(self) -> None:
        super().__init__("Sign in again: the neptun-session cookie is missing, unknown or expired.")


class UserMismatch(ImportRefused):
    def __init__(self) -> None:
        super().__init__("The session belongs to another user than the one in the path.")


class ProjectNotFound(ImportRefused):
    """The project does not exist or is not this user's; the two are indistinguishable on purpose."""

    def __init__(self) -> None:
        super().__init__("The project was not found.")


class ImportNotFound(ImportRefused):
    """No such import in this project of this user; another project's or user's import looks the same."""

    def __init__(self) -> None:
        super().__init__("Import not found")


class PreconditionFailed(ImportRefused):
    """If-Match named a version of the import other than the stored one: nothing was changed."""

    def __init__(self) -> None:
        super().__init__(
            "The import has changed since you read it (If-Match does not match its ETag); read it again first."
        )


class RepositoryNotCovered(ImportRefused):
    def __init__(self, full_name: str) -> None:
        self.full_name = full_name
        super().__init__(
            f"The user's Neptun GitHub App installation does not cover {full_name}; "
            "grant the app access to it on GitHub first."
        )


class ProjectFull(ImportRefused):
    """The project already holds MAX_IMPORTS_PER_PROJECT imports."""

    def __init__(self, most: int) -> None:
        super().__init__(f"The project already holds {most:,} imports, the most a project may; delete one first.")


class NothingToRefresh(ImportRefused):
    """A `local_folder` import: its content comes from its upload, not from a source the service reads."""

    def __init__(self) -> None:
        super().__init__("A local_folder import is imported from its upload; it has no source to refresh.")


class NotAnUploadImport(ImportRefused):
    """Only a `local_folder` import takes an upload; a repository's import reads its repository."""

    def __init__(self) -> None:
        super().__init__(
            "Only a local_folder import takes an upload; this import reads its repository (refresh it instead)."
        )


class NothingImportedYet(ImportRefused):
    def __init__(self) -> None:
        super().__init__("No run of this import has completed yet: there are no files to read; see its status.")


class FilesChanged(ImportRefused):
    """The cursor came from a listing a newer run has replaced."""

    def __init__(self) -> None:
        super().__init__("A newer run replaced the files this cursor pages through; start again without a cursor.")


class KeptFileNotFound(ImportRefused):
    def __init__(self) -> None:
        super().__init__("The import kept no file at this path (see its files listing for why).")


class RequestProblem(Enum):
    """What is wrong with the request itself, in the order it is reported."""

    INVALID_PATH = "invalid_path"
    INVALID_QUERY = "invalid_query"
    INVALID_PRECONDITION = "invalid_precondition"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    BODY_TOO_LARGE = "body_too_large"
    INVALID_BODY = "invalid_body"
    INVALID_IDEMPOTENCY_KEY = "invalid_idempotency_key"


@dataclass(frozen=True)
class FieldError:
    """One field's problem, as a client can show it next to that field."""

    field: str
    message: str


class RequestRejected(ImportRefused):
    """The path or the body is invalid. Reported only after authentication, never before it."""

    def __init__(self, problem: RequestProblem, message: str, errors: tuple[FieldError, ...] = ()) -> None:
        self.problem = problem
        self.errors = errors
        super().__init__(message)


class RequestKeyReused(Exception):
    """An idempotency key already stored an import made from a different request."""

    def __init__(self) -> None:
        super().__init__("This Idempotency-Key was already used with a different request; use a new key.")


class AlreadyStoredForKey(Exception):
    """The storage already holds an import for this request key (raised by the storage port)."""

    def __init__(self, existing: ProjectImport, fingerprint: str | None) -> None:
        super().__init__(f"import {existing.id} was already stored for this request key")
        self.existing = existing
        self.fingerprint = fingerprint


class InstallerNotLinked(Exception):
    """The GitHub user who installed the app is not linked to the importing Neptun user (raised by the
    storage port, which checks the link in the same write)."""


class StorageBusy(Exception):
    """The storage keeps refusing for lack of capacity (throttling) after the SDK's own retries."""


class ImportChanged(Exception):
    """The stored import is no longer the version a write was conditioned on, or is gone."""


class ContentReplaced(Exception):
    """Kept content was gone when read: a newer run replaced it and its prefix was deleted meanwhile."""


class ImportIdTaken(Exception):
    """The storage already holds an import with the id just drawn; the use case draws another."""


class ImportIdsExhausted(Exception):
    """Every id drawn for one create collided; this points at a broken clock or random source."""
