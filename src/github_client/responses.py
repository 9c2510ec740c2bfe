"""What GitHub's answers mean for an import: its URLs, its redirects and its error statuses, in one place.

From GitHub's REST documentation (API version 2022-11-28):
- `GET /repos/{owner}/{repo}/tarball/{ref}` answers `302` with a `Location` on codeload.github.com (for a
  private repository that URL carries a short-lived token: it is never logged); without `{ref}` it is the
  default branch. `ref` may hold `/` (`x-multi-segment`); every other reserved character is
  percent-encoded (RFC 3986).
- `404` is both "no such repository" and "no access to it" (GitHub does not tell them apart), `409` an
  empty repository, `451` one blocked for legal reasons.
- Rate limits: a `403` or `429` with `x-ratelimit-remaining: 0` waits until `x-ratelimit-reset` (epoch
  seconds); one with `retry-after` waits that many seconds; a `429` with neither is a secondary limit,
  which GitHub says to wait at least a minute for (a `403` with neither is a refusal).
- `POST /app/installations/{id}/access_tokens`: `404` when the installation is gone, `422` when a named
  repository is not one the installation covers, `401` when the App's JWT is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from urllib.parse import quote, urlsplit

from domain.import_failures import FailureCode, ImportFailed

API_VERSION = "2022-11-28"
MEDIA_TYPE = "application/vnd.github+json"
# No limit GitHub sets lasts longer than an hour; a later reset is read as a clock or parsing fault.
LONGEST_RATE_LIMIT_WAIT = timedelta(hours=1)
SECONDARY_RATE_LIMIT_WAIT = timedelta(minutes=1)
_RATE_LIMIT_STATUSES = frozenset({403, 429})


def tarball_path(owner: str, name: str, ref: str | None) -> str:
    """The API path of a repository's tarball at `ref` (None: the default branch), percent-encoded."""
    path = f"/repos/{quote(owner, safe='')}/{quote(name, safe='')}/tarball"
    return path if ref is None else f"{path}/{quote(ref, safe='/')}"


def redirect_target(location: str | None, allowed_bases: tuple[str, ...]) -> str:
    """The `Location` of a redirect, when it points at one of the allowed base URLs' origins.

    A redirect elsewhere (or none) is refused without repeating the URL, which may carry a token.
    """
    target = urlsplit(location or "")
    for base in allowed_bases:
        allowed = urlsplit(base)
        if (target.scheme, target.netloc) == (allowed.scheme, allowed.netloc) and target.path.startswith("/"):
            return location or ""
    raise ImportFailed(FailureCode.INTERNAL, "GitHub redirected the archive's download to an unexpected host.")


def archive_failure(status: int, headers: Mapping[str, str], now: datetime) -> ImportFailed:
    """The failure a repository or archive request ended with (a status that is not a success)."""
    limited = rate_limit_failure(status, headers, now)
    if limited is not None:
        return limited
    if status in {403, 404}:
        return ImportFailed(
            FailureCode.NOT_FOUND_OR_NO_ACCESS,
            "GitHub has no such repository or ref, or does not let this installation read it.",
        )
    if status == 409:
        return ImportFailed(FailureCode.EMPTY_REPOSITORY, "The repository is empty: it has no commit to import.")
    if status == 451:
        return ImportFailed(
            FailureCode.UNAVAILABLE_FOR_LEGAL_REASONS, "GitHub blocks this repository for legal reasons."
        )
    return server_failure(status)


def token_failure(status: int, headers: Mapping[str, str], now: datetime) -> ImportFailed:
    """The failure an installation access token request ended with."""
    limited = rate_limit_failure(status, headers, now)
    if limited is not None:
        return limited
    if status == 404:
        return ImportFailed(
            FailureCode.INSTALLATION_MISSING, "The GitHub App is no longer installed on the repository's account."
        )
    if status == 422:
        return ImportFailed(
            FailureCode.NOT_FOUND_OR_NO_ACCESS, "The GitHub App's installation does not cover this repository."
        )
    if status in {401, 403}:
        return ImportFailed(FailureCode.INTERNAL, "GitHub refused the App's credentials: check its id and private key.")
    return server_failure(status)


def server_failure(status: int) -> ImportFailed:
    if status >= 500:
        return ImportFailed(FailureCode.SOURCE_UNAVAILABLE, f"GitHub answered {status}; the import will be retried.")
    return ImportFailed(FailureCode.INTERNAL, f"GitHub answered {status}, which the importer does not expect.")


def rate_limit_failure(status: int, headers: Mapping[str, str], now: datetime) -> ImportFailed | None:
    """`rate_limited`, with when to try again, for a status GitHub limits with; else None."""
    if status not in _RATE_LIMIT_STATUSES:
        return None
    lowered = {name.lower(): value for name, value in headers.items()}
    retry_at = _retry_at(status, lowered, now)
    if retry_at is None:
        return None
    capped = min(retry_at, now + LONGEST_RATE_LIMIT_WAIT)
    return ImportFailed(FailureCode.RATE_LIMITED, "GitHub's rate limit was reached.", retry_at=capped)


def _retry_at(status: int, headers: Mapping[str, str], now: datetime) -> datetime | None:
    retry_after = headers.get("retry-after", "")
    if retry_after.isdigit():
        return now + timedelta(seconds=int(retry_after))
    reset = headers.get("x-ratelimit-reset", "")
    if headers.get("x-ratelimit-remaining") == "0" and reset.isdigit():
        wait = int(reset) - now.timestamp()
        return now + timedelta(seconds=min(max(wait, 0), LONGEST_RATE_LIMIT_WAIT.total_seconds()))
    # A 429 is always a limit; a 403 naming no wait is a refusal (its body alone could say otherwise).
    return now + SECONDARY_RATE_LIMIT_WAIT if status == 429 else None
