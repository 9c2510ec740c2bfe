"""domain.import_runs.ArchiveSource on GitHub: which archive a claimed run reads, and with which token.

A `github` import is read through the installation that covers its repository now (not when it was
created): an uninstalled App, a repository taken out of the selection or a suspended installation is
`installation_missing`, and the token is narrowed to that one repository. A
`public_github_repository_url` import is read from codeload without a token.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

from domain.access import GithubInstallation
from domain.import_failures import FailureCode, ImportFailed
from domain.import_runs import ClaimedRun
from domain.models import SourceType
from domain.source_paths import GithubRepository, parse_github_repository, parse_public_repository_url
from github_client.app_tokens import InstallationToken
from github_client.archives import ArchiveDownloads, ArchiveStream

InstallationReader = Callable[[GithubRepository], GithubInstallation | None]


class TokenIssuer(Protocol):
    """What issues installation tokens (app_tokens.InstallationTokens)."""

    def for_repository(self, installation_id: int, repository_name: str) -> InstallationToken: ...


class GithubArchiveSource:
    def __init__(self, *, installations: InstallationReader, tokens: TokenIssuer, downloads: ArchiveDownloads) -> None:
        self._installations = installations
        self._tokens = tokens
        self._downloads = downloads

    @contextmanager
    def open(self, run: ClaimedRun) -> Iterator[ArchiveStream]:
        if run.source_type is SourceType.GITHUB:
            repository = _repository(parse_github_repository(run.source_path))
            token = self._tokens.for_repository(self._installation_id(repository), repository.name)
            with self._downloads.repository_tarball(repository.owner, repository.name, run.source_ref, token) as stream:
                yield stream
        elif run.source_type is SourceType.PUBLIC_GITHUB_REPOSITORY_URL:
            repository = _repository(parse_public_repository_url(run.source_path))
            with self._downloads.public_tarball(repository.owner, repository.name, run.source_ref) as stream:
                yield stream
        else:
            raise ImportFailed(FailureCode.INTERNAL, "A local folder arrives as an upload, not from GitHub.")

    def _installation_id(self, repository: GithubRepository) -> int:
        installation = self._installations(repository)
        if installation is None or not installation.covers(repository.name):
            raise ImportFailed(
                FailureCode.INSTALLATION_MISSING,
                f"The Neptun GitHub App is not installed with access to {repository.full_name}.",
            )
        return installation.installation_id


def _repository(parsed: GithubRepository | None) -> GithubRepository:
    if parsed is None:  # the source_path was checked when it was written; a stored one that fails is a fault
        raise ImportFailed(FailureCode.INTERNAL, "The import's stored source_path does not name a repository.")
    return parsed
