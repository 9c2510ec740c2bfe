"""The storage the use cases need; the DynamoDB adapter is one implementation, test fakes another."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from domain.access import AccessFacts, AccessQuery, GithubInstallation, ProjectKey
from domain.models import ImportsQuery, ImportsSlice, ProjectImport, StoredImport
from domain.source_paths import GithubRepository


class AccessReader(Protocol):
    def read_access(self, query: AccessQuery) -> AccessFacts:
        """Read the session and what the query names (project, installation, import) in one request."""
        ...


class ImportStore(AccessReader, Protocol):
    def add_import(
        self,
        new_import: ProjectImport,
        request_key: str | None,
        fingerprint: str | None,
        installer_github_user_id: int | None = None,
    ) -> None:
        """Store the import atomically, in one request, as version 1.

        Counts the import in its project, in the same write. Raises ProjectNotFound when the project is
        gone by the time of the write, ImportIdTaken when the id is already used anywhere in the
        service, and AlreadyStoredForKey (with the import stored first and its fingerprint) when
        `request_key` already stored one (even in a project that is full by now), InstallerNotLinked
        when `installer_github_user_id` is given but not linked to the import's user, and ProjectFull
        when the project already holds MAX_IMPORTS_PER_PROJECT imports. Nothing is written in any of
        these cases.
        """
        ...

    def list_imports(self, project: ProjectKey, query: ImportsQuery) -> ImportsSlice:
        """Up to `query.limit` of the project's imports after `query.after_id`, in order, matching the filter."""
        ...

    def list_completed_imports(self, project: ProjectKey) -> list[StoredImport]:
        """Every import of the project a run has completed for (it has a content prefix), in id order,
        in one Query per MB of the project's imports."""
        ...

    def read_installations(
        self, repositories: Collection[GithubRepository]
    ) -> dict[GithubRepository, GithubInstallation | None]:
        """read_installation of each repository, in one BatchGetItem per 100 distinct keys."""
        ...

    def read_installation(self, repository: GithubRepository) -> GithubInstallation | None:
        """The installation on the repository's owner, as far as it concerns that repository, in one
        request (only when read_access could not)."""
        ...

    def read_github_link(self, github_user_id: int) -> int | None:
        """The Neptun user the GitHub user is linked to, in one request; None when not linked."""
        ...

    def replace_import(
        self, changed: ProjectImport, stored: StoredImport, installer_github_user_id: int | None = None
    ) -> None:
        """Store `changed` in place of `stored`, as version `stored.version + 1`, in one request.

        Raises ImportChanged, writing nothing, when the stored import is gone or no longer at that
        version, and InstallerNotLinked when `installer_github_user_id` is given but not linked to the
        import's user.
        """
        ...

    def start_run(self, stored: StoredImport, now: datetime) -> StoredImport:
        """Want a new run of the import as read (`stored`: its version and its run status), in one request.

        What the last completed run kept stays until the new one completes. Returns the import as it
        now is (`pending`, no error, same version); raises ImportChanged, writing nothing, when the
        import is gone, at another version or its run status changed since it was read.
        """
        ...

    def remove_import(self, stored: StoredImport) -> None:
        """Delete the import, as read at `stored.version`, and what goes with it (its count in the
        project included), atomically, in one request.

        Raises ImportChanged, deleting nothing, when the import is gone or no longer at that version.
        """
        ...
