"""The create-import use case: the gate's checks (domain/gate.py), then for GitHub imports the App
installation, then one write."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from domain.access import GithubInstallation, ProjectKey
from domain.errors import (
    AlreadyStoredForKey,
    ImportIdsExhausted,
    ImportIdTaken,
    InstallerNotLinked,
    RepositoryNotCovered,
    RequestKeyReused,
    RequestRejected,
)
from domain.gate import NOTHING_MORE, Gate, Reads, accepted, utc_now
from domain.ids import RANDOM_BITS, import_id_at
from domain.models import CreateImportRequest, ProjectImport, SourceType
from domain.ports import ImportStore
from domain.source_paths import parse_github_repository

# A collision needs two creates in the same millisecond drawing the same 12 bits; five in a row
# means the clock or the random source is broken, which is worth a 500 rather than a loop.
MAX_ID_DRAWS = 5


@dataclass(frozen=True)
class CreateImportCommand:
    """One request as the HTTP layer understood it; invalid parts arrive as RequestRejected."""

    session_token: str | None
    project: ProjectKey | RequestRejected
    body: CreateImportRequest | RequestRejected


@dataclass(frozen=True)
class StoredCreate:
    """What a create stored: the import, and whether it was stored before for the same request key."""

    import_: ProjectImport
    replayed: bool


@dataclass(frozen=True)
class ApprovedImport:
    """A request that passed every check and may now be stored."""

    project: ProjectKey
    request: CreateImportRequest
    # For a `github` import: the GitHub user whose link to the project's user the write must find.
    installer_github_user_id: int | None = None


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
        self._gate = Gate(store, clock=lambda: self._clock())  # noqa: PLW0108 - follows a replaced clock

    def create_import(self, command: CreateImportCommand) -> ProjectImport:
        return self.store(self.approve(command)).import_

    def approve(self, command: CreateImportCommand) -> ApprovedImport:
        """Read once and check everything, in the documented order; raise the first refusal."""
        admitted = self._gate.admit(command.session_token, command.project, [command.body], _reads_for(command.body))
        request = accepted(command.body)
        if request.source_type is not SourceType.GITHUB:
            return ApprovedImport(project=admitted.project, request=request)
        installer = require_installation_covers(admitted.facts.installation, request.source_path)
        return ApprovedImport(project=admitted.project, request=request, installer_github_user_id=installer)

    def store(self, approved: ApprovedImport, request_key: str | None = None) -> StoredCreate:
        """Write the import in one request, drawing a new id on the rare collision.

        With a `request_key` (a client's idempotency key, already scoped to its user) the storage
        refuses a second import for the same key within REQUEST_KEY_WINDOW_SECONDS, whatever happened
        to the first response, and however many requests race: the import stored first is returned
        as replayed, or RequestKeyReused when it was made from another request.
        """
        project, request = approved.project, approved.request
        fingerprint = request_fingerprint(approved) if request_key else None
        for _ in range(MAX_ID_DRAWS):
            created_at = to_milliseconds(self._clock())
            new_import = ProjectImport(
                id=import_id_at(created_at, self._id_bits()),
                source_type=request.source_type,
                source_path=request.source_path,
                source_ref=request.source_ref,
                title=request.title,
                description=request.description,
                created_at=created_at,
                updated_at=created_at,
                neptun_user_id=project.user_id,
                project_id=project.project_id,
            )
            try:
                self._store.add_import(new_import, request_key, fingerprint, approved.installer_github_user_id)
            except ImportIdTaken:
                continue
            except InstallerNotLinked as unlinked:
                raise RepositoryNotCovered(request.source_path) from unlinked
            except AlreadyStoredForKey as stored:
                if stored.fingerprint != fingerprint:
                    raise RequestKeyReused from stored
                return StoredCreate(import_=stored.existing, replayed=True)
            return StoredCreate(import_=new_import, replayed=False)
        raise ImportIdsExhausted(f"{MAX_ID_DRAWS} id draws in a row collided")


def request_fingerprint(approved: ApprovedImport) -> str:
    """What makes two requests the same request: the project and the body, canonically hashed."""
    # A body without a ref hashes as it did before `source_ref` existed, so that a key claimed by an
    # earlier version replays across the upgrade instead of answering 422.
    unset = {"source_ref"} if approved.request.source_ref is None else set()
    body = approved.request.model_dump(mode="json", exclude=unset)
    canonical = json.dumps(
        [approved.project.user_id, approved.project.project_id, body],
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _reads_for(body: CreateImportRequest | RequestRejected) -> Reads:
    # A valid `github` import needs its owner's installation; nothing else is read beyond the project.
    if isinstance(body, CreateImportRequest) and body.source_type is SourceType.GITHUB:
        return Reads(github_repository=parse_github_repository(body.source_path))
    return NOTHING_MORE


def require_installation_covers(installation: GithubInstallation | None, source_path: str) -> int:
    """The installer's GitHub user id when the installation covers the repository; else the refusal.

    Whose installation it is, is checked by the write itself: the installer's link must name the user.
    """
    repository = parse_github_repository(source_path)
    if repository is None:  # the request model has already validated it
        raise ValueError(f"not an owner/repo: {source_path!r}")
    installer = installation.installer_github_user_id if installation else None
    if installation is None or installer is None or not installation.covers(repository.name):
        raise RepositoryNotCovered(repository.full_name)
    return installer


def to_milliseconds(moment: datetime) -> datetime:
    # Responses show milliseconds, so the stored value carries no more precision than that.
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
