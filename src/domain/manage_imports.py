"""Reading, listing, changing and deleting a project's imports, behind the same gate as the create.

After the gate: the import (404), for a changed `github` source the App installation (403), then the
If-Match precondition (412). Each use case reads once and, when it changes something, writes once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from domain.access import GithubInstallation, ImportKey, ProjectKey
from domain.create_import import require_installation_covers, to_milliseconds
from domain.errors import (
    FieldError,
    ImportChanged,
    ImportNotFound,
    InstallerNotLinked,
    NothingToRefresh,
    PreconditionFailed,
    RepositoryNotCovered,
    RequestProblem,
    RequestRejected,
)
from domain.gate import NOTHING_MORE, Gate, Reads, accepted, utc_now
from domain.models import (
    ImportsQuery,
    ImportsSlice,
    ProjectImport,
    SourceType,
    StoredImport,
    UpdateImportRequest,
    source_path_problem,
    source_ref_fit_problem,
)
from domain.ports import ImportStore
from domain.source_paths import GithubRepository, parse_github_repository

# A write without If-Match that meets a concurrent change reads again and retries this often.
MAX_UNCONDITIONAL_ATTEMPTS = 3


@dataclass(frozen=True)
class Precondition:
    """If-Match as versions: `versions` None means `*` (any stored version)."""

    versions: frozenset[int] | None

    def holds_for(self, version: int) -> bool:
        return self.versions is None or version in self.versions


@dataclass(frozen=True)
class ListImportsCommand:
    session_token: str | None
    project: ProjectKey | RequestRejected
    query: ImportsQuery | RequestRejected


@dataclass(frozen=True)
class ImportCommand:
    """GET or DELETE of one import; `if_match` None when the request has no If-Match.

    `envelope` is what is wrong with the request beyond path and headers (an unknown query parameter).
    """

    session_token: str | None
    path: ImportKey | RequestRejected
    if_match: Precondition | RequestRejected | None = None
    envelope: RequestRejected | None = None


@dataclass(frozen=True)
class UpdateImportCommand:
    session_token: str | None
    path: ImportKey | RequestRejected
    body: UpdateImportRequest | RequestRejected
    if_match: Precondition | RequestRejected | None = None


class ImportManager:
    """The use cases on existing imports."""

    def __init__(self, store: ImportStore, clock: Callable[[], datetime] = utc_now) -> None:
        self._store = store
        self._clock = clock
        self._gate = Gate(store, clock=lambda: self._clock())  # noqa: PLW0108 - follows a replaced clock

    def list_imports(self, command: ListImportsCommand) -> ImportsSlice:
        admitted = self._gate.admit(command.session_token, command.project, [command.query])
        return self._store.list_imports(admitted.project, accepted(command.query))

    def get_import(self, command: ImportCommand) -> StoredImport:
        return self._find(command.session_token, command.path, [command.envelope]).stored

    def delete_import(self, command: ImportCommand) -> None:
        for _ in range(MAX_UNCONDITIONAL_ATTEMPTS):
            found = self._find(command.session_token, command.path, [command.envelope, command.if_match])
            precondition = accepted(command.if_match)
            _require(precondition, found.stored)
            try:
                self._store.remove_import(found.stored)
            except ImportChanged:
                if precondition is not None:
                    raise PreconditionFailed from None
                continue  # changed meanwhile: read again (gone by then: 404) and delete what is stored now
            return
        raise ImportChanged(f"the import kept changing over {MAX_UNCONDITIONAL_ATTEMPTS} attempts")

    def refresh_import(self, command: ImportCommand) -> StoredImport:
        """Start a new run of the import's source, unless one is pending or importing: then nothing new.

        The last completed run's content stays readable until the new run replaces it. The installation
        is not checked here: the run asks GitHub, and fails `installation_missing` if it is gone.
        """
        for _ in range(MAX_UNCONDITIONAL_ATTEMPTS):
            stored = self._find(command.session_token, command.path, [command.envelope]).stored
            if stored.import_.source_type is SourceType.LOCAL_FOLDER:
                raise NothingToRefresh
            if stored.run_in_flight:
                return stored
            try:
                return self._store.start_run(stored, self._clock())
            except ImportChanged:
                continue  # changed meanwhile (another refresh, a run ending): read again and decide again
        raise ImportChanged(f"the import kept changing over {MAX_UNCONDITIONAL_ATTEMPTS} attempts")

    def update_import(self, command: UpdateImportCommand) -> StoredImport:
        for _ in range(MAX_UNCONDITIONAL_ATTEMPTS):
            found = self._find(command.session_token, command.path, [command.body, command.if_match])
            body = accepted(command.body)
            installer = self._installer_of_new_source(found, body)
            changed = self._changed(found, body)
            _require_fitting_ref(changed, body.model_fields_set)
            precondition = accepted(command.if_match)
            _require(precondition, found.stored)
            try:
                self._store.replace_import(changed, found.stored, installer)
            except ImportChanged:
                if precondition is not None:
                    raise PreconditionFailed from None
                continue  # no precondition: the last write wins, so read the new state and apply again
            except InstallerNotLinked as unlinked:
                raise RepositoryNotCovered(changed.source_path) from unlinked
            return StoredImport(import_=changed, version=found.stored.version + 1)
        raise ImportChanged(f"the import kept changing over {MAX_UNCONDITIONAL_ATTEMPTS} attempts")

    def _find(
        self, session_token: str | None, path: ImportKey | RequestRejected, parts: list[object | RequestRejected]
    ) -> _Found:
        project = path.project if isinstance(path, ImportKey) else path
        import_id = path.import_id if isinstance(path, ImportKey) else None
        body = next((part for part in parts if isinstance(part, UpdateImportRequest)), None)
        # A body naming a GitHub repository has its owner's installation read along, in the same request.
        repository = parse_github_repository(body.source_path) if body and body.source_path else None
        reads = Reads(import_id=import_id, github_repository=repository) if import_id is not None else NOTHING_MORE
        admitted = self._gate.admit(session_token, project, parts, reads)
        stored = admitted.facts.stored_import
        if stored is None:
            raise ImportNotFound
        key = ImportKey(admitted.project, stored.import_.id)
        installation = admitted.facts.installation
        return _Found(key=key, stored=stored, installation=installation, repository_read=repository)

    def _installer_of_new_source(self, found: _Found, body: UpdateImportRequest) -> int | None:
        """For a changed `github` source: the installer whose link the write must find (else the refusal).

        A title/description change alone does not re-check the installation (docs/http-contract.md, Change).
        """
        source_type, source_path = _new_source(found.stored.import_, body)
        if not {"source_type", "source_path"} & body.model_fields_set:
            return None
        _require_fitting_source(source_type, source_path, body.model_fields_set)
        if source_type is not SourceType.GITHUB:
            return None
        return require_installation_covers(self._installation_for(found, source_path), source_path)

    def _changed(self, found: _Found, body: UpdateImportRequest) -> ProjectImport:
        current = found.stored.import_
        given = body.model_fields_set
        source_type, source_path = _new_source(current, body)
        now = to_milliseconds(self._clock())
        changed = current.model_copy(
            update={
                "source_type": source_type,
                "source_path": source_path,
                "source_ref": body.source_ref if "source_ref" in given else current.source_ref,
                "title": body.title if "title" in given else current.title,
                "description": body.description if "description" in given else current.description,
                "updated_at": max(now, current.updated_at),  # never earlier, whatever the clocks did
            }
        )
        return changed.with_new_run() if changed.source_differs(current) else changed

    def _installation_for(self, found: _Found, source_path: str) -> GithubInstallation | None:
        repository = parse_github_repository(source_path)
        if repository is None:  # the source path was validated before
            raise ValueError(f"not an owner/repo: {source_path!r}")
        read = found.repository_read
        if read is not None and read.full_name.casefold() == repository.full_name.casefold():
            return found.installation  # read with the request (None: there is none)
        # Only the stored path names the repository: it can be read only after the import (a third request).
        return self._store.read_installation(repository)


@dataclass(frozen=True)
class _Found:
    key: ImportKey
    stored: StoredImport
    installation: GithubInstallation | None
    repository_read: GithubRepository | None  # what `installation` was read for, if it was


def _new_source(current: ProjectImport, body: UpdateImportRequest) -> tuple[SourceType, str]:
    source_type = body.source_type if body.source_type is not None else current.source_type
    return source_type, body.source_path if body.source_path is not None else current.source_path


def _require(precondition: Precondition | None, stored: StoredImport) -> None:
    if precondition is not None and not precondition.holds_for(stored.version):
        raise PreconditionFailed


def _require_fitting_ref(changed: ProjectImport, given: set[str]) -> None:
    problem = source_ref_fit_problem(changed.source_type, changed.source_ref)
    if problem is not None:
        field = "source_ref" if "source_ref" in given else "source_type"
        message = (
            problem
            if field == "source_ref"
            else f"does not fit the stored source_ref: give source_ref null ({problem})"
        )
        raise RequestRejected(
            RequestProblem.INVALID_BODY, "The request body is invalid.", (FieldError(field=field, message=message),)
        )


def _require_fitting_source(source_type: SourceType, source_path: str, given: set[str]) -> None:
    problem = source_path_problem(source_type, source_path)
    if problem is not None:
        field = "source_path" if "source_path" in given else "source_type"
        message = problem if field == "source_path" else f"does not fit the stored source_path: {problem}"
        raise RequestRejected(
            RequestProblem.INVALID_BODY, "The request body is invalid.", (FieldError(field=field, message=message),)
        )
