"""Downloading a repository's archive, streamed: what the importer reads (src/importer/tar_archive.py).

- `github` imports: `GET {api}/repos/{owner}/{repo}/tarball[/{ref}]` with the installation token; GitHub
  answers `302` to codeload, which is followed (only to the codeload origin) without the token header:
  for a private repository the URL carries its own short-lived token, so it is never logged.
- `public_github_repository_url` imports: `GET {codeload}/{owner}/{repo}/legacy.tar.gz/{ref}` without
  any token, so no API rate limit is spent; `HEAD` stands for the default branch. `legacy.tar.gz` is the
  archive the API's redirect points at: the same layout (`<owner>-<repo>-<short sha>/`, the commit in the
  pax header) either way.

The body is never decoded or held: the caller reads it in blocks as it arrives.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from urllib.parse import quote

import urllib3

from domain.import_failures import FailureCode, ImportFailed
from github_client.app_tokens import REQUEST_TIMEOUT, USER_AGENT, InstallationToken, api_headers
from github_client.responses import archive_failure, redirect_target, tarball_path

# urllib3 logs each request's URL at DEBUG, query included, and a private repository's archive URL
# carries a token: its request lines never reach a log, whatever level the function logs at.
logging.getLogger("urllib3.connectionpool").setLevel(logging.INFO)
# A download may take a while: GitHub builds the archive as it sends it.
DOWNLOAD_TIMEOUT = urllib3.Timeout(connect=5, read=60)


class ArchiveDownloads:
    """Opens archives as streams; every failure is an ImportFailed with the code GitHub's answer means."""

    def __init__(
        self, *, api_url: str, codeload_url: str, http: urllib3.PoolManager, clock: Callable[[], datetime]
    ) -> None:
        self._api_url = api_url.rstrip("/")
        self._codeload_url = codeload_url.rstrip("/")
        self._http = http
        self._clock = clock

    @contextmanager
    def repository_tarball(
        self, owner: str, name: str, ref: str | None, token: InstallationToken
    ) -> Iterator[ArchiveStream]:
        """The tarball of a repository the token reads, at `ref` (None: its default branch)."""
        url = self._api_url + tarball_path(owner, name, ref)
        answer = self._send(url, api_headers(f"Bearer {token.token}"), timeout=REQUEST_TIMEOUT, stream=False)
        if answer.status != 302:
            raise self._failure(answer)
        location = redirect_target(answer.headers.get("Location"), (self._codeload_url,))
        with self._download(location) as archive:
            yield archive

    @contextmanager
    def public_tarball(self, owner: str, name: str, ref: str | None) -> Iterator[ArchiveStream]:
        """The tarball of a public repository, from codeload, without a token."""
        reference = quote(ref, safe="/") if ref is not None else "HEAD"
        url = f"{self._codeload_url}/{quote(owner, safe='')}/{quote(name, safe='')}/legacy.tar.gz/{reference}"
        with self._download(url) as archive:
            yield archive

    @contextmanager
    def _download(self, url: str) -> Iterator[ArchiveStream]:
        answer = self._send(url, {"User-Agent": USER_AGENT}, timeout=DOWNLOAD_TIMEOUT, stream=True)
        try:
            if answer.status != 200:
                raise self._failure(answer)
            yield ArchiveStream(answer)
        finally:
            answer.release_conn()

    def _send(
        self, url: str, headers: dict[str, str], *, timeout: urllib3.Timeout, stream: bool
    ) -> urllib3.BaseHTTPResponse:
        try:
            return self._http.request(
                "GET",
                url,
                headers=headers,
                redirect=False,
                timeout=timeout,
                preload_content=not stream,
                decode_content=False,
            )
        except urllib3.exceptions.HTTPError:
            # Its message may hold the URL, and a redirect's URL a token: the cause is dropped on purpose.
            raise _unreachable() from None

    def _failure(self, answer: urllib3.BaseHTTPResponse) -> ImportFailed:
        return archive_failure(answer.status, dict(answer.headers), self._clock())


def _unreachable() -> ImportFailed:
    return ImportFailed(FailureCode.SOURCE_UNAVAILABLE, "GitHub could not be reached for the archive.")


class ArchiveStream:
    """The response body, read in blocks; a connection that fails mid-way is `source_unavailable`."""

    def __init__(self, answer: urllib3.BaseHTTPResponse) -> None:
        self._answer = answer

    def read(self, size: int = -1, /) -> bytes:
        try:
            return self._answer.read(None if size < 0 else size)
        except urllib3.exceptions.HTTPError:
            raise _unreachable() from None
