"""`make run`'s GitHub: the API and codeload, answering the way GitHub does, for the repositories it serves.

Two servers, as GitHub has two hosts (the importer follows a redirect only to the codeload host it is
configured with):

- API `POST /app/installations/{id}/access_tokens`: `201`, a token narrowed to the repositories asked
  for, once the App's JWT (RS256, checked with this stand-in's key) holds; `401` for a bad JWT, `404`
  for an installation it does not know, `422` for a repository the installation does not cover or a
  permission beyond `contents: read`.
- API `GET /repos/{owner}/{repo}`: the repository's metadata (`default_branch`).
- API `GET /repos/{owner}/{repo}/tarball[/{ref}]`: `302` to codeload; `401` for a token it did not
  issue, `404` for a repository the token does not cover or an unknown repository or ref, `409` for
  an empty repository.
- codeload `GET /{owner}/{repo}/legacy.tar.gz/{ref}`: the archive as GitHub lays it out, one top folder
  `<owner>-<repo>-<short sha>/` and the commit in the pax global header's `comment`.

Which installation covers a repository is what the service itself reads (the account copy and the
repository's item): installations made by `make admin ARGS='installation …'` or by replayed deliveries
are this stand-in's too. Every repository it serves is public (codeload serves it without a token),
and it serves the demo repository (`local/demo_repository/`, as `username/repository`) and the local
git repositories named in `LOCAL_GITHUB_REPOSITORIES` (`owner/name=PATH`, comma-separated), at any of
their refs (`git archive`, which writes the commit into the pax header as GitHub does).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import secrets
import subprocess
import tarfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, unquote, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from domain.access import GithubInstallation
from domain.source_paths import GithubRepository, parse_github_repository

DEMO_REPOSITORY = "username/repository"
DEMO_REPOSITORY_FOLDER = Path(__file__).resolve().parent / "demo_repository"
LOCAL_APP_ID = "Iv23liLocalStandIn"
TOKEN_LIFETIME = timedelta(hours=1)
# GitHub refuses an App JWT that expires more than 10 minutes after it is used.
LONGEST_JWT = timedelta(minutes=10)
_INSTALLATION_TOKENS = re.compile(r"^/app/installations/([0-9]{1,18})/access_tokens$")
_REPOSITORY = re.compile(r"^/repos/([^/]+)/([^/]+)$")
_TARBALL = re.compile(r"^/repos/([^/]+)/([^/]+)/tarball(?:/(.+))?$")
_CODELOAD = re.compile(r"^/([^/]+)/([^/]+)/legacy\.tar\.gz/(.+)$")
InstallationOf = Callable[[GithubRepository], GithubInstallation | None]


class EmptyRepository(Exception):
    """The repository has no commit (GitHub answers its archive 409)."""


@dataclass(frozen=True)
class Commit:
    """A ref as resolved: its commit, and its name as GitHub's redirect gives it (`refs/heads/main`,
    `refs/tags/v1`, or the commit itself)."""

    sha: str
    ref_name: str


class ServedRepository(Protocol):
    full_name: str

    def default_branch(self) -> str: ...

    def resolve(self, ref: str | None) -> Commit | None:
        """The commit of `ref` (None: the default branch); None for a ref it does not have. Raises
        EmptyRepository for a repository without a commit."""
        ...

    def archive(self, commit: Commit) -> bytes:
        """The tar.gz of that commit in GitHub's layout."""
        ...


@dataclass
class ShippedRepository:
    """A folder of files as one commit, e.g. the demo repository: refs `main`, `HEAD` and its SHA."""

    full_name: str
    folder: Path

    def default_branch(self) -> str:
        return "main"

    def resolve(self, ref: str | None) -> Commit | None:
        sha = _content_commit(self._contents())
        if ref not in (None, "main", "HEAD", "refs/heads/main", sha):
            return None
        return Commit(sha, sha if ref == sha else "refs/heads/main")

    def archive(self, commit: Commit) -> bytes:
        return github_layout_archive(self.full_name, commit.sha, self._contents())

    def _contents(self) -> dict[str, bytes]:
        files = sorted(path for path in self.folder.rglob("*") if path.is_file())
        return {path.relative_to(self.folder).as_posix(): path.read_bytes() for path in files}


@dataclass
class GitRepository:
    """A local git repository, at any of its refs."""

    full_name: str
    path: Path

    def default_branch(self) -> str:
        branch = self._git("symbolic-ref", "--short", "HEAD")
        return branch.decode().strip() if branch else "main"

    def resolve(self, ref: str | None) -> Commit | None:
        if not self._git("rev-list", "-n", "1", "--all"):
            raise EmptyRepository
        if ref is not None and ref.startswith("-"):
            return None  # not a ref name (git's rules), and git would read it as an option
        resolved = self._git("rev-parse", "--verify", "--quiet", f"{ref or 'HEAD'}^{{commit}}")
        if not resolved:
            return None
        sha = resolved.decode().strip()
        full_ref = self._git("rev-parse", "--symbolic-full-name", ref or "HEAD").decode().strip()
        return Commit(sha, full_ref or sha)

    def archive(self, commit: Commit) -> bytes:
        owner, name = self.full_name.split("/")
        # A commit (not a tree): git writes its id into the pax global header, as GitHub's archives carry it.
        return self._git("archive", "--format=tar.gz", f"--prefix={owner}-{name}-{commit.sha[:7]}/", commit.sha)

    def _git(self, *arguments: str) -> bytes:
        """git's output, empty when it fails (an unknown ref, an empty repository)."""
        finished = subprocess.run(  # noqa: S603 - fixed arguments; a ref never starts with "-"
            ["git", "-C", str(self.path), *arguments],  # noqa: S607 - git from PATH, as a developer's
            capture_output=True,
            check=False,
            timeout=60,
        )
        return finished.stdout if finished.returncode == 0 else b""


def github_layout_archive(full_name: str, commit: str, contents: Mapping[str, bytes]) -> bytes:
    """A tar.gz laid out as GitHub's: pax global header `comment` = commit, top folder `<owner>-<repo>-<sha7>`."""
    top = f"{full_name.replace('/', '-')}-{commit[:7]}"
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT, pax_headers={"comment": commit}) as tar,
    ):
        folder = tarfile.TarInfo(top)
        folder.type, folder.mode = tarfile.DIRTYPE, 0o775
        tar.addfile(folder)
        for path, content in contents.items():
            member = tarfile.TarInfo(f"{top}/{path}")
            member.size, member.mode = len(content), 0o664
            tar.addfile(member, io.BytesIO(content))
    return buffer.getvalue()


def _content_commit(contents: Mapping[str, bytes]) -> str:
    """A stable 40-hex stand-in for a commit SHA: it changes exactly when a file does."""
    digest = hashlib.sha1(usedforsecurity=False)
    for path in sorted(contents):
        digest.update(path.encode() + b"\0" + hashlib.sha1(contents[path], usedforsecurity=False).digest())
    return digest.hexdigest()


def served_repositories(setting: str) -> dict[str, ServedRepository]:
    """The demo repository and those `LOCAL_GITHUB_REPOSITORIES` names, by lower-case full name."""
    served: dict[str, ServedRepository] = {DEMO_REPOSITORY: ShippedRepository(DEMO_REPOSITORY, DEMO_REPOSITORY_FOLDER)}
    for entry in (part.strip() for part in setting.split(",")):
        if not entry:
            continue
        name, _, path = entry.partition("=")
        repository = parse_github_repository(name.strip())
        folder = Path(path.strip()).expanduser()
        if repository is None or not path.strip():
            raise SystemExit(f"error: LOCAL_GITHUB_REPOSITORIES: {entry!r} is not owner/name=PATH")
        if not (folder / ".git").exists() and not (folder / "HEAD").exists():
            raise SystemExit(f"error: LOCAL_GITHUB_REPOSITORIES: {folder} is not a git repository")
        served[repository.full_name.lower()] = GitRepository(repository.full_name, folder.resolve())
    return served


@dataclass(frozen=True)
class IssuedToken:
    installation_id: int
    repositories: frozenset[str]  # lower-case full names
    expires_at: datetime


def new_app_key() -> str:
    """A fresh PEM private key for the App (the worker signs with it, the stand-in checks with its public half)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return pem.decode()


@dataclass
class GithubStandIn:
    repositories: dict[str, ServedRepository]
    installation_of: InstallationOf
    app_private_key: str = field(default_factory=new_app_key)
    app_id: str = LOCAL_APP_ID
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    host: str = "127.0.0.1"
    api_port: int = 0
    codeload_port: int = 0
    tokens: dict[str, IssuedToken] = field(default_factory=dict)
    _servers: list[ThreadingHTTPServer] = field(default_factory=list)
    _serving: bool = False

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self._servers[0].server_port}"

    @property
    def codeload_url(self) -> str:
        return f"http://{self.host}:{self._servers[1].server_port}"

    def start(self) -> None:
        """Binds both ports (0: any free one) and serves them from daemon threads."""
        for port, answer in ((self.api_port, self.answer_api), (self.codeload_port, self.answer_codeload)):
            server = ThreadingHTTPServer((self.host, port), _handler(answer))
            server.daemon_threads = True
            self._servers.append(server)
        for server in self._servers:  # only once both ports are bound: a port in use starts nothing
            threading.Thread(target=server.serve_forever, name="github-stand-in", daemon=True).start()
        self._serving = True

    def stop(self) -> None:
        for server in self._servers:
            if self._serving:
                server.shutdown()
            server.server_close()

    # The API host.
    def answer_api(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Response:
        if method == "POST" and (match := _INSTALLATION_TOKENS.match(path)):
            return self._access_token(int(match.group(1)), headers, body)
        if method == "GET" and (match := _TARBALL.match(path)):
            ref = unquote(match.group(3)) if match.group(3) else None
            return self._tarball(_full_name(match.group(1), match.group(2)), ref, headers)
        if method == "GET" and (match := _REPOSITORY.match(path)):
            return self._metadata(_full_name(match.group(1), match.group(2)))
        return _message(404, "Not Found")

    def _access_token(self, installation_id: int, headers: Mapping[str, str], body: bytes) -> Response:
        if not self._app_jwt_valid(headers.get("authorization", "")):
            return _message(401, "A JSON web token could not be decoded")
        try:
            asked = json.loads(body or b"{}")
        except ValueError:
            return _message(400, "Problems parsing JSON")
        permissions = asked.get("permissions") or {}
        if any(
            (name, level) not in {("contents", "read"), ("metadata", "read")} for name, level in permissions.items()
        ):
            return _message(422, "The permissions requested are not granted to this installation.")
        covered = self._covered(installation_id, [str(name) for name in asked.get("repositories") or []])
        if covered is None:
            return _message(404, "Not Found")
        if isinstance(covered, str):
            return _message(
                422,
                f"There is at least one repository that does not exist or is not accessible to "
                f"the parent installation ({covered}).",
            )
        token = "ghs_" + secrets.token_urlsafe(27)[:36]
        expires_at = self.clock() + TOKEN_LIFETIME
        self.tokens[token] = IssuedToken(installation_id, frozenset(covered), expires_at)
        answer = {
            "token": token,
            "expires_at": expires_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "permissions": {"contents": "read", "metadata": "read"},
            "repository_selection": "selected",
            "repositories": [self._repository_json(full_name) for full_name in sorted(covered)],
        }
        return Response(201, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(answer).encode())

    def _app_jwt_valid(self, authorization: str) -> bool:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer":
            return False
        private_key = serialization.load_pem_private_key(self.app_private_key.encode(), password=None)
        if not isinstance(private_key, rsa.RSAPrivateKey):
            return False
        public_key = private_key.public_key()
        try:
            claims = jwt.decode(
                token, public_key, algorithms=["RS256"], issuer=self.app_id, options={"require": ["exp", "iat", "iss"]}
            )
        except jwt.InvalidTokenError:
            return False
        return int(claims["exp"]) <= (self.clock() + LONGEST_JWT).timestamp()

    def _covered(self, installation_id: int, names: list[str]) -> set[str] | str | None:
        """The full names the token covers; the first name the installation does not cover; None when no
        repository served here is under that installation."""
        holders = {
            full_name: installation
            for full_name in self.repositories
            if (installation := self.installation_of(GithubRepository(*full_name.split("/")))) is not None
            and installation.installation_id == installation_id
        }
        if not holders:
            return None
        covered: set[str] = set()
        for name in names:
            found = next(
                (
                    full_name
                    for full_name, installation in holders.items()
                    if full_name.split("/")[1] == name.lower() and installation.covers(name.lower())
                ),
                None,
            )
            if found is None:
                return name
            covered.add(found)
        return covered

    def _tarball(self, full_name: str, ref: str | None, headers: Mapping[str, str]) -> Response:
        authorization = headers.get("authorization", "")
        if authorization:
            issued = self.tokens.get(authorization.partition(" ")[2])
            if issued is None or issued.expires_at <= self.clock():
                return _message(401, "Bad credentials")
            if full_name not in issued.repositories:
                return _message(404, "Not Found")
        repository = self.repositories.get(full_name)
        if repository is None:
            return _message(404, "Not Found")
        try:
            commit = repository.resolve(ref)
        except EmptyRepository:
            return _message(409, "Repository is empty.")
        if commit is None:
            return _message(404, "Not Found")
        location = f"{self.codeload_url}/{repository.full_name}/legacy.tar.gz/{quote(commit.ref_name, safe='/')}"
        if authorization:
            location += f"?token={secrets.token_urlsafe(24)}"
        return Response(302, {"Location": location, "Content-Length": "0", "Content-Type": "text/html;charset=utf-8"})

    def _metadata(self, full_name: str) -> Response:
        repository = self.repositories.get(full_name)
        if repository is None:
            return _message(404, "Not Found")
        body = self._repository_json(full_name) | {"default_branch": repository.default_branch()}
        return Response(200, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(body).encode())

    def _repository_json(self, full_name: str) -> dict[str, Any]:
        served = self.repositories[full_name].full_name
        identifier = int(hashlib.sha1(served.lower().encode(), usedforsecurity=False).hexdigest()[:8], 16)
        owner, name = served.split("/")
        return {"id": identifier, "name": name, "full_name": served, "private": False, "owner": {"login": owner}}

    # The codeload host.
    def answer_codeload(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Response:
        del headers, body  # every repository it serves is public: a token is not needed, nor checked
        match = _CODELOAD.match(path)
        repository = self.repositories.get(_full_name(match.group(1), match.group(2))) if match else None
        if method != "GET" or match is None or repository is None:
            return _message(404, "Not Found")
        ref = unquote(match.group(3))
        try:
            commit = repository.resolve(None if ref == "HEAD" else ref)
        except EmptyRepository:
            commit = None
        tar_gz = repository.archive(commit) if commit is not None else b""
        if commit is None or not tar_gz:
            return _message(404, "Not Found")
        filename = f"{repository.full_name.replace('/', '-')}-{commit.sha[:7]}.tar.gz"
        headers = {
            "Content-Type": "application/x-gzip",
            "Content-Disposition": f"attachment; filename={filename}",
            "ETag": f'"{commit.sha[:32]}"',
            "Content-Length": str(len(tar_gz)),
        }
        return Response(200, headers, tar_gz)


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes = b""


Answerer = Callable[[str, str, Mapping[str, str], bytes], Response]


def _handler(answer: Answerer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

        def _answer(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {name.lower(): value for name, value in self.headers.items()}
            response = answer(method, urlsplit(self.path).path, headers, body)
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            if "Content-Length" not in response.headers:
                self.send_header("Content-Length", str(len(response.body)))
            self.send_header("X-GitHub-Api-Version-Selected", "2022-11-28")
            self.end_headers()
            self.wfile.write(response.body)

        def log_message(self, format: str, *args: Any) -> None:
            del format, args  # quiet: make run's own log says what the importer did

    return Handler


def _full_name(owner: str, name: str) -> str:
    return f"{unquote(owner)}/{unquote(name)}".lower()


def _message(status: int, message: str) -> Response:
    body = {"message": message, "documentation_url": "https://docs.github.com/rest"}
    return Response(status, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(body).encode())
