"""The storage the use case needs; the DynamoDB adapter is one implementation, test fakes another."""

from __future__ import annotations

from typing import Protocol

from domain.access import AccessFacts, AccessQuery
from domain.models import ProjectImport


class ImportStore(Protocol):
    def read_access(self, query: AccessQuery) -> AccessFacts:
        """Read the session, the project and the installation the query names, in one request."""
        ...

    def add_import(self, new_import: ProjectImport) -> None:
        """Store the import atomically, in one request.

        Raises ProjectNotFound when the project is gone by the time of the write, and ImportIdTaken
        when the id is already used anywhere in the service. Either way nothing is written.
        """
        ...
