"""An ImportStore held in memory: for unit tests and the warm-path benchmark, never for production."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from domain.access import AccessFacts, AccessQuery, GithubInstallation, ImportKey, ProjectKey, Session
from domain.errors import AlreadyStoredForKey, ImportChanged, ImportIdTaken, InstallerNotLinked, ProjectNotFound
from domain.models import ImportsQuery, ImportsSlice, ListOrder, ProjectImport, RunStatus, StoredImport
from domain.source_paths import GithubRepository


@dataclass
class InMemoryImportStore:
    sessions: dict[str, Session] = field(default_factory=dict)  # by token hash
    projects: set[ProjectKey] = field(default_factory=set)
    installations: dict[str, GithubInstallation] = field(default_factory=dict)  # by account login, lower case
    github_links: dict[int, int] = field(default_factory=dict)  # GitHub user id -> Neptun user id
    imports: dict[int, ProjectImport] = field(default_factory=dict)
    versions: dict[int, int] = field(default_factory=dict)
    request_keys: dict[str, tuple[ProjectImport, str | None]] = field(default_factory=dict)
    reads: int = 0
    writes: int = 0

    def read_access(self, query: AccessQuery) -> AccessFacts:
        self.reads += 1
        installation = None
        stored = None
        if query.project is not None and query.github_repository is not None:
            installation = self.installations.get(query.github_repository.owner.lower())
        if query.project is not None and query.import_id is not None:
            stored = self._stored(ImportKey(query.project, query.import_id))
        return AccessFacts(
            session=self.sessions.get(query.token_hash),
            project_exists=query.project in self.projects,
            installation=installation,
            stored_import=stored,
        )

    def read_installation(self, repository: GithubRepository) -> GithubInstallation | None:
        self.reads += 1
        return self.installations.get(repository.owner.lower())

    def read_installations(
        self, repositories: Collection[GithubRepository]
    ) -> dict[GithubRepository, GithubInstallation | None]:
        self.reads += 1
        return {repository: self.installations.get(repository.owner.lower()) for repository in repositories}

    def list_completed_imports(self, project: ProjectKey) -> list[StoredImport]:
        self.reads += 1
        stored = (self._stored(ImportKey(project, import_id)) for import_id in sorted(self.imports))
        # No run completes in memory (it keeps no content), so none has a content prefix to read.
        return [each for each in stored if each is not None and each.content_prefix is not None]

    def add_import(
        self,
        new_import: ProjectImport,
        request_key: str | None,
        fingerprint: str | None,
        installer_github_user_id: int | None = None,
    ) -> None:
        self.writes += 1
        if ProjectKey(new_import.neptun_user_id, new_import.project_id) not in self.projects:
            raise ProjectNotFound
        self._require_link(installer_github_user_id, new_import.neptun_user_id)
        if new_import.id in self.imports:
            raise ImportIdTaken
        if request_key is not None and request_key in self.request_keys:
            raise AlreadyStoredForKey(*self.request_keys[request_key])
        self.imports[new_import.id] = new_import
        self.versions[new_import.id] = 1
        if request_key is not None:
            self.request_keys[request_key] = (new_import, fingerprint)

    def read_github_link(self, github_user_id: int) -> int | None:
        self.reads += 1
        return self.github_links.get(github_user_id)

    def list_imports(self, project: ProjectKey, query: ImportsQuery) -> ImportsSlice:
        self.reads += 1
        descending = query.order is ListOrder.DESC
        matching = sorted(
            (
                stored
                for stored in self.imports.values()
                if ProjectKey(stored.neptun_user_id, stored.project_id) == project
                and query.source_type in (None, stored.source_type)
                and _after(stored.id, query.after_id, descending)
            ),
            key=lambda stored: stored.id,
            reverse=descending,
        )
        return ImportsSlice(imports=matching[: query.limit], more=len(matching) > query.limit)

    def replace_import(
        self, changed: ProjectImport, stored: StoredImport, installer_github_user_id: int | None = None
    ) -> None:
        self.writes += 1
        if self.versions.get(changed.id) != stored.version:
            raise ImportChanged
        self._require_link(installer_github_user_id, changed.neptun_user_id)
        self.imports[changed.id] = changed
        self.versions[changed.id] = stored.version + 1

    def start_run(self, stored: StoredImport, now: datetime) -> StoredImport:
        self.writes += 1
        import_id = stored.import_.id
        current = self.imports.get(import_id)
        if current is None or self.versions[import_id] != stored.version or current.status != stored.import_.status:
            raise ImportChanged
        self.imports[import_id] = current.model_copy(update={"status": RunStatus.PENDING, "error": None})
        return StoredImport(import_=self.imports[import_id], version=stored.version)

    def remove_import(self, stored: StoredImport) -> None:
        self.writes += 1
        import_id = stored.import_.id
        if self.versions.get(import_id) != stored.version:
            raise ImportChanged
        del self.imports[import_id], self.versions[import_id]

    def _require_link(self, github_user_id: int | None, neptun_user_id: int) -> None:
        if github_user_id is not None and self.github_links.get(github_user_id) != neptun_user_id:
            raise InstallerNotLinked

    def _stored(self, key: ImportKey) -> StoredImport | None:
        found = self.imports.get(key.import_id)
        if found is None or ProjectKey(found.neptun_user_id, found.project_id) != key.project:
            return None
        return StoredImport(import_=found, version=self.versions[key.import_id])


def _after(import_id: int, after_id: int | None, descending: bool) -> bool:
    if after_id is None:
        return True
    return import_id < after_id if descending else import_id > after_id
