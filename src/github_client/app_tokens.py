"""The GitHub App's credentials, as GitHub's documentation says to use them.

- A JWT signed RS256 with the App's private key: `iat` 60 seconds in the past (GitHub allows for clock
  drift), `exp` at most 10 minutes after (we use 9), `iss` the App's client id (or its numeric App id).
- An installation access token from `POST /app/installations/{id}/access_tokens`, narrowed to the one
  repository an import reads and to `contents: read`; GitHub answers `201` with `token` and `expires_at`
  (one hour). Tokens are cached per installation and repository until five minutes before they expire.
  Neither the JWT nor a token is ever logged or put into an error's message.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
import urllib3

from domain.import_failures import FailureCode, ImportFailed
from github_client.responses import API_VERSION, MEDIA_TYPE, token_failure

JWT_BACKDATE = timedelta(seconds=60)
JWT_LIFETIME = timedelta(minutes=9)
TOKEN_REFRESH_MARGIN = timedelta(minutes=5)
USER_AGENT = "neptun-imports"
REQUEST_TIMEOUT = urllib3.Timeout(connect=5, read=20)


def app_jwt(app_id: str, private_key_pem: str, now: datetime) -> str:
    """The App's JSON Web Token for `now`."""
    claims = {"iat": int((now - JWT_BACKDATE).timestamp()), "exp": int((now + JWT_LIFETIME).timestamp()), "iss": app_id}
    return jwt.encode(claims, private_key_pem, algorithm="RS256")


def api_headers(authorization: str) -> dict[str, str]:
    """What every GitHub API request carries."""
    return {
        "Accept": MEDIA_TYPE,
        "Authorization": authorization,
        "User-Agent": USER_AGENT,
        "X-GitHub-Api-Version": API_VERSION,
    }


@dataclass(frozen=True)
class InstallationToken:
    token: str
    expires_at: datetime

    def __repr__(self) -> str:  # a token never reaches a log, not even through a repr
        return f"InstallationToken(expires_at={self.expires_at.isoformat()})"


class InstallationTokens:
    """Installation tokens narrowed to one repository, each requested once and reused until near its end."""

    def __init__(
        self,
        *,
        api_url: str,
        app_id: str,
        private_key: Callable[[], str],
        http: urllib3.PoolManager,
        clock: Callable[[], datetime],
    ) -> None:
        self._api_url = api_url.rstrip("/")
        self._app_id = app_id
        self._private_key = private_key  # read when a token is first needed, then as its source caches it
        self._http = http
        self._clock = clock
        self._cache: dict[tuple[int, str], InstallationToken] = {}

    def for_repository(self, installation_id: int, repository_name: str) -> InstallationToken:
        """A token that reads `repository_name`'s contents through the installation, and nothing else."""
        if not self._app_id:
            raise ImportFailed(
                FailureCode.INTERNAL, "The GitHub App is not configured: the stack's GithubAppId is empty."
            )
        key = (installation_id, repository_name.lower())
        now = self._clock()
        cached = self._cache.get(key)
        if cached is not None and cached.expires_at - TOKEN_REFRESH_MARGIN > now:
            return cached
        token = self._request(installation_id, repository_name, now)
        self._cache[key] = token
        return token

    def _request(self, installation_id: int, repository_name: str, now: datetime) -> InstallationToken:
        body = {"repositories": [repository_name], "permissions": {"contents": "read"}}
        authorization = f"Bearer {app_jwt(self._app_id, self._private_key(), now)}"
        try:
            response = self._http.request(
                "POST",
                f"{self._api_url}/app/installations/{installation_id}/access_tokens",
                body=json.dumps(body).encode(),
                headers=api_headers(authorization) | {"Content-Type": "application/json"},
                redirect=False,
                timeout=REQUEST_TIMEOUT,
            )
        except urllib3.exceptions.HTTPError as error:
            raise ImportFailed(FailureCode.SOURCE_UNAVAILABLE, "GitHub could not be reached for a token.") from error
        if response.status != 201:
            raise token_failure(response.status, dict(response.headers), now)
        return _token_from(response.data)


def _token_from(data: bytes) -> InstallationToken:
    try:
        answer = json.loads(data)
        expires_at = datetime.fromisoformat(answer["expires_at"].replace("Z", "+00:00"))
        token = answer["token"]
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ImportFailed(FailureCode.INTERNAL, "GitHub's access token answer was not as documented.") from error
    if not isinstance(token, str) or not token:
        raise ImportFailed(FailureCode.INTERNAL, "GitHub's access token answer held no token.")
    return InstallationToken(token, expires_at)
