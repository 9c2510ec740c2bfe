"""Who is asking and what they may touch: sessions, projects and GitHub App installations."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from domain.models import StoredImport
    from domain.source_paths import GithubRepository

# A cookie value as RFC 6265 allows it (cookie-octets), bounded so that junk never reaches storage.
_SESSION_TOKEN = re.compile(r"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]{1,4096}")


def session_token_hash(token: str) -> str | None:
    """The key the sessions table stores a token under (SHA-256, hex), or None for a malformed token.

    Only the hash is ever stored, so a dump of the table cannot be replayed as cookies.
    """
    if not _SESSION_TOKEN.fullmatch(token):
        return None
    return hashlib.sha256(token.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class Session:
    user_id: int
    expires_at: int  # epoch seconds

    def is_live_at(self, epoch_seconds: float) -> bool:
        # TTL deletes expired items only eventually, so expiry is checked on every read.
        return epoch_seconds < self.expires_at


class RepositorySelection(StrEnum):
    ALL = "all"
    SELECTED = "selected"


@dataclass(frozen=True)
class GithubInstallation:
    """The Neptun GitHub App's installation on one GitHub account, as its webhook deliveries left it.

    It is the installer's: the Neptun user linked to `installer_github_user_id` (domain/installations.py).
    """

    installation_id: int
    account_login: str
    installer_github_user_id: int | None  # None until the `created` delivery has arrived
    repository_selection: RepositorySelection
    # Repository names on that account GitHub reported as covered: those the reads asked about, not
    # necessarily all of them (the storage keeps one item per repository).
    repositories: frozenset[str]
    suspended: bool = False

    def covers(self, repository_name: str) -> bool:
        if self.suspended or self.installer_github_user_id is None:
            return False
        if self.repository_selection is RepositorySelection.ALL:
            return True
        # GitHub treats repository names case-insensitively.
        wanted = repository_name.casefold()
        return any(name.casefold() == wanted for name in self.repositories)


@dataclass(frozen=True)
class ProjectKey:
    user_id: int
    project_id: int


@dataclass(frozen=True)
class ImportKey:
    """Where an import is addressed: its project and its id."""

    project: ProjectKey
    import_id: int


@dataclass(frozen=True)
class AccessQuery:
    """Everything one request needs to know before it acts, read in one storage request."""

    token_hash: str
    project: ProjectKey | None  # None when the path or the request is invalid: only the session is read
    # The repository a `github` import names, else None: its owner's installation is read, and as much
    # of the installation's repositories as says whether it covers this one.
    github_repository: GithubRepository | None = None
    import_id: int | None = None  # an import of `project` to read too


@dataclass(frozen=True)
class AccessFacts:
    session: Session | None
    project_exists: bool
    installation: GithubInstallation | None
    stored_import: StoredImport | None = None
