"""The storage the use case needs; the DynamoDB adapter is one implementation, test fakes another."""

from __future__ import annotations

from typing import Protocol

from domain.access import AccessFacts, AccessQuery
from domain.models import ProjectImport


class ImportStore(Protocol):
    def read_access(self, query: AccessQuery) -> AccessFacts:
        """Read the session, the project and the installation the query names, in one request."""
        ...

    def add_import(self, new_import: ProjectImport, request_key: str | None, fingerprint: str | None) -> None:
        """Store the import atomically, in one request.

        Raises ProjectNotFound when the project is gone by the time of the write, ImportIdTaken when
        the id is already used anywhere in the service, and AlreadyStoredForKey (with the import
        stored first and its fingerprint) when `request_key` already stored one. Nothing is written
        in any of these cases.
        """
        ...
