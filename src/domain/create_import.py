"""The create-import use case, with the order in which a request's problems are reported.

Authentication comes first: a request without a live session gets NotAuthenticated whatever else is
wrong with it, so an anonymous caller learns nothing about paths, bodies or projects. Then the path,
the user, the body, the project, and for GitHub imports the App installation.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from domain.access import AccessQuery, GithubInstallation, ProjectKey, Session, session_token_hash
from domain.errors import (
    AlreadyStoredForKey,
    ImportIdsExhausted,
    ImportIdTaken,
    NotAuthenticated,
    ProjectNotFound,
    RepositoryNotCovered,
    RequestKeyReused,
    RequestRejected,
    UserMismatch,
)
from domain.ids import RANDOM_BITS, import_id_at
from domain.models import CreateImportRequest, ProjectImport, SourceType
from domain.ports import ImportStore
from domain.source_paths import parse_github_repository

# A collision needs two creates in the same millisecond drawing the same 12 bits; five in a row
# means the clock or the random source is broken, which is worth a 500 rather than a loop.
MAX_ID_DRAWS = 5

_Part = TypeVar("_Part")


@dataclass(frozen=True)
class CreateImportCommand:
    """One request as the HTTP layer understood it; invalid parts arrive as RequestRejected."""

    session_token: str | None
    project: ProjectKey | RequestRejected
    body: CreateImportRequest | RequestRejected


@dataclass(frozen=True)
class ApprovedImport:
    """A request that passed every check and may now be stored."""

    project: ProjectKey
    request: CreateImportRequest


def utc_now() -> datetime:
    return datetime.now(UTC)


def random_id_bits() -> int:
    return secrets.randbits(RANDOM_BITS)


class ImportService:
    """Creates imports. Makes at most one storage read and, when everything checks out, one write."""

    def __init__(
        self,
        store: ImportStore,
        clock: Callable[[], datetime] = utc_now,
        id_bits: Callable[[], int] = random_id_bits,
    ) -> None:
        self._store = store
        self._clock = clock
        self._id_bits = id_bits

    def create_import(self, command: CreateImportCommand) -> ProjectImport:
        return self.store(self.approve(command))

    def approve(self, command: CreateImportCommand) -> ApprovedImport:
        """Read once and check everything, in the documented order; raise the first refusal."""
        token_hash = session_token_hash(command.session_token) if command.session_token else None
        if token_hash is None:
            raise NotAuthenticated
        facts = self._store.read_access(_access_query(token_hash, command))
        session_user = self._live_session_user(facts.session)
        project = _accepted(command.project)
        if session_user != project.user_id:
            raise UserMismatch
        request = _accepted(command.body)
        if not facts.project_exists:
            raise ProjectNotFound
        if request.source_type is SourceType.GITHUB:
            _require_installation_covers(facts.installation, request.source_path)
        return ApprovedImport(project=project, request=request)

    def _live_session_user(self, session: Session | None) -> int:
        if session is None or not session.is_live_at(self._clock().timestamp()):
            raise NotAuthenticated
        return session.user_id

    def store(self, approved: ApprovedImport, request_key: str | None = None) -> ProjectImport:
        """Write the import in one request, drawing a new id on the rare collision.

        With a `request_key` (a client's idempotency key, already scoped to its user) the storage
        refuses a second import for the same key, whatever happened to the first response: the
        import stored first is returned, or RequestKeyReused when it was made from another request.
        """
        project, request = approved.project, approved.request
        fingerprint = request_fingerprint(approved) if request_key else None
        for _ in range(MAX_ID_DRAWS):
            created_at = _to_milliseconds(self._clock())
            new_import = ProjectImport(
                id=import_id_at(created_at, self._id_bits()),
                source_type=request.source_type,
                source_path=request.source_path,
                title=request.title,
                description=request.description,
                created_at=created_at,
                updated_at=created_at,
                neptun_user_id=project.user_id,
                project_id=project.project_id,
            )
            try:
                self._store.add_import(new_import, request_key, fingerprint)
            except ImportIdTaken:
                continue
            except AlreadyStoredForKey as stored:
                if stored.fingerprint != fingerprint:
                    raise RequestKeyReused from stored
                return stored.existing
            return new_import
        raise ImportIdsExhausted(f"{MAX_ID_DRAWS} id draws in a row collided")


def request_fingerprint(approved: ApprovedImport) -> str:
    """What makes two requests the same request: the project and the body, canonically hashed."""
    canonical = json.dumps(
        [approved.project.user_id, approved.project.project_id, approved.request.model_dump(mode="json")],
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _access_query(token_hash: str, command: CreateImportCommand) -> AccessQuery:
    # Only what a valid request will need is read: no project for an invalid path or body, no
    # installation unless the body is a valid `github` import.
    body = command.body
    body_is_valid = isinstance(body, CreateImportRequest)
    project = command.project if isinstance(command.project, ProjectKey) and body_is_valid else None
    github_account = None
    if project is not None and isinstance(body, CreateImportRequest) and body.source_type is SourceType.GITHUB:
        github_account = body.source_path.partition("/")[0]
    return AccessQuery(token_hash=token_hash, project=project, github_account=github_account)


def _accepted(part: _Part | RequestRejected) -> _Part:
    if isinstance(part, RequestRejected):
        raise part
    return part


def _require_installation_covers(installation: GithubInstallation | None, source_path: str) -> None:
    repository = parse_github_repository(source_path)
    if repository is None:  # the request model has already validated it
        raise ValueError(f"not an owner/repo: {source_path!r}")
    if installation is None or not installation.covers(repository.name):
        raise RepositoryNotCovered(repository.full_name)


def _to_milliseconds(moment: datetime) -> datetime:
    # Responses show milliseconds, so the stored value carries no more precision than that.
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
