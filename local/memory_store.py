"""An ImportStore held in memory: for unit tests and the warm-path benchmark, never for production."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.access import AccessFacts, AccessQuery, GithubInstallation, ProjectKey, Session
from domain.errors import AlreadyStoredForKey, ImportIdTaken, ProjectNotFound
from domain.models import ProjectImport


@dataclass
class InMemoryImportStore:
    sessions: dict[str, Session] = field(default_factory=dict)  # by token hash
    projects: set[ProjectKey] = field(default_factory=set)
    installations: dict[tuple[int, str], GithubInstallation] = field(default_factory=dict)  # (user, login)
    imports: dict[int, ProjectImport] = field(default_factory=dict)
    request_keys: dict[str, tuple[ProjectImport, str | None]] = field(default_factory=dict)
    reads: int = 0
    writes: int = 0

    def read_access(self, query: AccessQuery) -> AccessFacts:
        self.reads += 1
        installation = None
        if query.project is not None and query.github_account is not None:
            installation = self.installations.get((query.project.user_id, query.github_account.lower()))
        return AccessFacts(
            session=self.sessions.get(query.token_hash),
            project_exists=query.project in self.projects,
            installation=installation,
        )

    def add_import(self, new_import: ProjectImport, request_key: str | None, fingerprint: str | None) -> None:
        self.writes += 1
        if ProjectKey(new_import.neptun_user_id, new_import.project_id) not in self.projects:
            raise ProjectNotFound
        if new_import.id in self.imports:
            raise ImportIdTaken
        if request_key is not None and request_key in self.request_keys:
            raise AlreadyStoredForKey(*self.request_keys[request_key])
        self.imports[new_import.id] = new_import
        if request_key is not None:
            self.request_keys[request_key] = (new_import, fingerprint)
