"""`make run`'s GitHub stand-in (local/github_standin.py): the importer imports through it end to end (moto,
the real worker, JWT and token exchange), it refuses what GitHub refuses, and it answers in the shapes
@octokit/fixtures recorded from api.github.com and codeload.github.com."""

from __future__ import annotations

import io
import json
import re
import tarfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import jwt
import pytest
import urllib3

from domain.import_files import ImportFiles
from domain.source_paths import GithubRepository
from dynamodb_store.store import DynamoDBImportStore
from handlers import edge, get_import_file, list_import_files
from local import records
from local.github_standin import DEMO_REPOSITORY_FOLDER, GithubStandIn, new_app_key, served_repositories
from s3_store.content import S3ContentReader
from tests.api_client import GITHUB_IMPORT, call, import_path, post_imports
from tests.git_repositories import commit, git, new_repository
from tests.github_replay import header_map, recording
from tests.in_process_pipeline import BUCKET, in_process_pipeline

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from local.pipeline import LocalPipeline

pytestmark = pytest.mark.usefixtures("demo_token")
HTTP = urllib3.PoolManager(retries=urllib3.Retry(total=0, redirect=0, raise_on_redirect=False))
LARGE = b"# generated\n" + b"x = 1\n" * (1024 * 1024 // 6)


@pytest.fixture
def local_repository(tmp_path: Path) -> Path:
    """A git repository as a user's own: a manifest, a Dockerfile, a workflow, a README, a binary, a large
    file and a planted secret."""
    repository = new_repository(tmp_path / "app")
    commit(
        repository,
        {
            "pyproject.toml": b'[project]\nname = "app"\n',
            "Dockerfile": b"FROM python:3.13-slim\n",
            ".github/workflows/test.yml": b"on: push\n",
            "README.md": "# App\n\nCafé ☕\n".encode(),
            "README.pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
            "docs/generated.md": LARGE,
            "docs/keys.md": b'aws_access_key_id = "AKIAIOSFODNN7EXAMPLE"\n',
        },
        "first",
    )
    return repository


@pytest.fixture
def standin(dynamodb: DynamoDBClient, local_repository: Path) -> Iterator[GithubStandIn]:
    store = DynamoDBImportStore(dynamodb, records.SESSIONS_TABLE, records.DATA_TABLE)
    empty = new_repository(local_repository.parent / "empty")
    setting = f"octo-local/app={local_repository}, octo-local/empty={empty}"
    standing = GithubStandIn(served_repositories(setting), store.read_installation)
    standing.start()
    yield standing
    standing.stop()


@pytest.fixture
def pipeline(dynamodb: DynamoDBClient, standin: GithubStandIn, monkeypatch: pytest.MonkeyPatch) -> LocalPipeline:
    running = in_process_pipeline(
        dynamodb,
        monkeypatch,
        api_url=standin.api_url,
        codeload_url=standin.codeload_url,
        app_key=standin.app_private_key,
        app_id=standin.app_id,
    )
    records.put_installation(dynamodb, 1, "octo-local", repositories=["app", "empty", "missing"])
    for module in (list_import_files, get_import_file):
        monkeypatch.setattr(module, "files", ImportFiles(edge.store, S3ContentReader(boto3.client("s3"), BUCKET)))
    return running


def imported(pipeline: LocalPipeline, body: dict[str, Any]) -> dict[str, Any]:
    created = post_imports(body)
    assert created.status == 201, created.text
    pipeline.run_until_idle()
    shown: dict[str, Any] = call("GET", import_path(created.json()["import"]["id"])).json()["import"]
    return shown


def reasons(import_id: int) -> dict[str, str | None]:
    listing = call("GET", f"{import_path(import_id)}/files").json()
    return {row["path"]: row["category"] if row["included"] else row["skipped_reason"] for row in listing["files"]}


def test_the_demo_repository_imports_through_the_stand_in(pipeline: LocalPipeline) -> None:
    shown = imported(pipeline, GITHUB_IMPORT)

    assert shown["status"] == "completed", shown["error"]
    assert reasons(shown["id"]) == {
        "package.json": "package_manager",
        "tsconfig.json": "build_tool",
        ".github/workflows/ci.yml": "build_tool",
        "vite.config.ts": "bundler",
        "vitest.config.ts": "test_tool",
        "Dockerfile": "runtime",
        "README.md": "documentation",
        "docs/architecture.md": "documentation",
        "README.pdf": "binary",
        "docs/deploy.md": "secret",
        ".env.example": "denied_name",
        "assets/logo.png": "not_selected",
        "src/main.ts": "not_selected",
        "src/server.ts": "not_selected",
    }
    readme = call("GET", f"{import_path(shown['id'])}/files/README.md")
    assert readme.text.encode() == (DEMO_REPOSITORY_FOLDER / "README.md").read_bytes()


def test_a_local_repository_imports_its_head_and_after_a_new_commit_and_a_refresh_that_one(
    pipeline: LocalPipeline, local_repository: Path
) -> None:
    body = GITHUB_IMPORT | {"source_path": "octo-local/app"}
    first = imported(pipeline, body)

    assert first["status"] == "completed", first["error"]
    assert first["commit_sha"] == git(local_repository, "rev-parse", "HEAD")
    assert reasons(first["id"]) == {
        "pyproject.toml": "package_manager",
        "Dockerfile": "runtime",
        ".github/workflows/test.yml": "build_tool",
        "README.md": "documentation",
        "README.pdf": "binary",
        "docs/generated.md": "too_large",
        "docs/keys.md": "secret",
    }
    second = commit(local_repository, {"README.md": b"# App, second\n"}, "second")
    assert call("POST", f"{import_path(first['id'])}/refresh").status == 202
    pipeline.run_until_idle()

    assert call("GET", import_path(first["id"])).json()["import"]["commit_sha"] == second
    assert call("GET", f"{import_path(first['id'])}/files/README.md").text == "# App, second\n"


def test_a_branch_a_tag_and_a_public_url_import_too(pipeline: LocalPipeline, local_repository: Path) -> None:
    tagged = git(local_repository, "rev-parse", "HEAD")
    git(local_repository, "tag", "v1")
    git(local_repository, "checkout", "--quiet", "-b", "feature/next")
    newer = commit(local_repository, {"README.md": b"# Next\n"}, "next")

    on_tag = imported(pipeline, GITHUB_IMPORT | {"source_path": "octo-local/app", "source_ref": "v1"})
    on_branch = imported(pipeline, GITHUB_IMPORT | {"source_path": "octo-local/app", "source_ref": "feature/next"})
    public = imported(
        pipeline, {"source_type": "public_github_repository_url", "source_path": "https://github.com/octo-local/app"}
    )

    assert (on_tag["commit_sha"], on_branch["commit_sha"], public["commit_sha"]) == (tagged, newer, newer)
    assert public["status"] == "completed"


def test_what_github_refuses_ends_failed_with_its_code(pipeline: LocalPipeline) -> None:
    missing = imported(pipeline, GITHUB_IMPORT | {"source_path": "octo-local/missing"})
    empty = imported(pipeline, GITHUB_IMPORT | {"source_path": "octo-local/empty"})
    no_ref = imported(pipeline, GITHUB_IMPORT | {"source_path": "octo-local/app", "source_ref": "no-such-branch"})

    assert [shown["error"]["code"] for shown in (missing, empty, no_ref)] == [
        "not_found_or_no_access",
        "empty_repository",
        "not_found_or_no_access",
    ]
    assert all(shown["status"] == "failed" for shown in (missing, empty, no_ref))


def app_jwt(key: str, issuer: str = "Iv23liLocalStandIn", lifetime: timedelta = timedelta(minutes=9)) -> str:
    now = datetime.now(UTC)
    claims = {"iat": int((now - timedelta(seconds=60)).timestamp()), "exp": int((now + lifetime).timestamp())}
    return jwt.encode(claims | {"iss": issuer}, key, algorithm="RS256")


def token_request(
    standin: GithubStandIn, signed: str, repositories: list[str], installation: int | None = None, **extra: Any
) -> urllib3.BaseHTTPResponse:
    """A token request for the demo installation (or another), as the worker sends it."""
    if installation is None:
        demo = standin.installation_of(GithubRepository("username", "repository"))
        assert demo is not None
        installation = demo.installation_id
    body = {"repositories": repositories, "permissions": {"contents": "read"}} | extra
    return HTTP.request(
        "POST",
        f"{standin.api_url}/app/installations/{installation}/access_tokens",
        body=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {signed}", "Accept": "application/vnd.github+json"},
    )


@pytest.mark.usefixtures("pipeline")
def test_a_token_needs_the_apps_jwt_and_is_narrowed_as_github_narrows_it(standin: GithubStandIn) -> None:
    key = standin.app_private_key
    for refused in (
        app_jwt(new_app_key()),
        app_jwt(key, issuer="another-app"),
        app_jwt(key, lifetime=timedelta(minutes=20)),
    ):
        assert token_request(standin, refused, ["repository"]).status == 401
    assert token_request(standin, app_jwt(key), ["repository"], installation=1).status == 404
    assert token_request(standin, app_jwt(key), ["not-covered"]).status == 422
    assert token_request(standin, app_jwt(key), ["repository"], permissions={"contents": "write"}).status == 422

    granted = token_request(standin, app_jwt(key), ["repository"])

    assert granted.status == 201
    answer = granted.json()
    assert answer["permissions"] == {"contents": "read", "metadata": "read"}
    assert [repository["full_name"] for repository in answer["repositories"]] == ["username/repository"]
    as_app = {"Authorization": f"Bearer {answer['token']}"}
    assert HTTP.request("GET", f"{standin.api_url}/repos/username/repository/tarball", headers=as_app).status == 302
    assert HTTP.request("GET", f"{standin.api_url}/repos/octo-local/app/tarball", headers=as_app).status == 404
    forged = {"Authorization": "Bearer ghs_" + "f" * 36}
    assert HTTP.request("GET", f"{standin.api_url}/repos/username/repository/tarball", headers=forged).status == 401


def archive_layout(archive: bytes) -> tuple[str, set[str]]:
    """The pax header's commit, and the top folders of the archive's entries."""
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        members = tar.getmembers()
        return tar.pax_headers["comment"], {member.name.split("/")[0] for member in members}


def test_the_archive_and_its_redirect_have_the_shape_github_recorded(standin: GithubStandIn) -> None:
    recorded = recording("get-archive")  # as GitHub sent it: the archive with its pax header
    download = next(exchange for exchange in recorded if exchange["scope"] == "https://codeload.github.com:443")
    [redirect] = [exchange for exchange in recording("get-archive", "normalized") if "/tarball/" in exchange["path"]]

    ours = HTTP.request("GET", f"{standin.api_url}/repos/octo-local/app/tarball/main")
    archive = HTTP.request("GET", ours.headers["Location"])

    assert ours.status == redirect["status"] == 302
    recorded_location = header_map(redirect)["location"].removeprefix("https://codeload.github.com")
    assert recorded_location == "/octokit-fixture-org/get-archive/legacy.tar.gz/refs/heads/main"
    assert ours.headers["Location"] == f"{standin.codeload_url}/octo-local/app/legacy.tar.gz/refs/heads/main"
    assert archive.status == download["status"] == 200
    for name in ("content-type", "content-disposition"):
        recorded_value = re.sub(r"octokit-fixture-org-[\w-]+-[0-9a-f]{7}", "<top>", header_map(download)[name])
        our_value = re.sub(r"octo-local-app-[0-9a-f]{7}", "<top>", archive.headers[name])
        assert our_value == recorded_value, name
    recorded_commit, recorded_tops = archive_layout(bytes.fromhex(download["response"]))
    commit, tops = archive_layout(archive.data)
    [recorded_top] = recorded_tops
    assert recorded_top.startswith("octokit-fixture-org-")
    assert recorded_top.endswith(f"-{recorded_commit[:7]}")
    assert tops == {f"octo-local-app-{commit[:7]}"}


def test_the_repositorys_metadata_has_githubs_fields(standin: GithubStandIn) -> None:
    [recorded] = [exchange for exchange in recording("get-repository", "normalized") if exchange["method"] == "get"]
    answer = HTTP.request("GET", f"{standin.api_url}/repos/octo-local/app").json()

    assert set(answer) <= set(recorded["response"])
    assert (answer["full_name"], answer["default_branch"], answer["private"]) == ("octo-local/app", "main", False)
    assert isinstance(answer["id"], type(recorded["response"]["id"]))
