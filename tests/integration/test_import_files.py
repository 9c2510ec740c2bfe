"""GET …/imports/{import_id}/files and …/files/{path+}, over imports the in-process pipeline completed
(moto; GitHub as recorded): the listing with every path's reason, paging, the kept bytes, ETags, and
access that ends when GitHub's installation or the installer's link does."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from domain.import_files import ImportFiles
from dynamodb_store import keys
from handlers import edge, get_import_file, list_import_files
from importer.token_counts import O200kTokenCounter
from local.demo import DEMO_GITHUB_ACCOUNT, DEMO_GITHUB_USER_ID
from s3_store.content import S3ContentReader
from tests.api_client import GITHUB_IMPORT, assert_error, call, import_path, post_imports
from tests.archives import COMMIT, TOP, github_archive, link
from tests.github_replay import Answer, ReplayedGithub
from tests.in_process_pipeline import BUCKET
from tests.integration.test_importing import FAKE_AWS_KEY

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from local.pipeline import LocalPipeline
    from tests.conftest import RequestCounter

pytestmark = pytest.mark.usefixtures("demo_token")
README = "# Démo\n\nUn projet réel, or close enough: 🚀\n".encode()
LARGE = b"x = 1\n" * (1024 * 1024 // 6 + 1)  # just over 1 MiB of text
REPOSITORY = {
    "package.json": b'{"name": "demo", "scripts": {"test": "vitest"}}\n',
    "Dockerfile": b"FROM node:22-slim\n",
    ".github/workflows/test.yml": b"on: push\njobs: {}\n",
    "README.md": README,
    "docs/getting started.md": b"# Getting started\n",
    "docs/deploy.md": f'Deploy with AWS_ACCESS_KEY_ID = "{FAKE_AWS_KEY}"\n'.encode(),
    "docs/huge.md": LARGE,
    "assets/logo.png": b"\x89PNG\r\n\x1a\n\0\0",
    "docs/diagram.md": b"\x89PNG\r\n\x1a\n\0\0",  # binary by its content, whatever its name
    ".env": b"TOKEN=1\n",
    "src/main.ts": b"export {}\n",
}


def blob_sha(content: bytes) -> str:
    """What `git hash-object` prints for the content."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


@pytest.fixture
def files_routes(demo_token: str, pipeline: LocalPipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    """The files functions read the pipeline's bucket (after the demo data: the pipeline seeds it again)."""
    for module in (list_import_files, get_import_file):
        monkeypatch.setattr(module, "files", ImportFiles(edge.store, S3ContentReader(boto3.client("s3"), BUCKET)))


def serve(github: ReplayedGithub, files: dict[str, bytes], commit: str = COMMIT, extra: tuple[Any, ...] = ()) -> None:
    github.codeload.answers[("GET", "/username/repository/legacy.tar.gz/HEAD")] = Answer(
        200, body=github_archive(files, commit=commit, extra=extra)
    )


def imported(pipeline: LocalPipeline, body: dict[str, Any] = GITHUB_IMPORT) -> int:
    response = post_imports(body)
    assert response.status == 201, response.text
    import_id: int = response.json()["import"]["id"]
    pipeline.run_until_idle()
    shown = call("GET", import_path(import_id)).json()["import"]
    assert shown["status"] == "completed", shown["error"]
    return import_id


def files_of(import_id: int, query: str = "") -> Any:
    response = call("GET", f"{import_path(import_id)}/files", query=query)
    assert response.status == 200, response.text
    return response.json()


def file_path(import_id: int, encoded_path: str) -> str:
    return f"{import_path(import_id)}/files/{encoded_path}"


@pytest.mark.usefixtures("files_routes")
def test_the_listing_shows_every_path_with_its_category_or_the_reason_it_was_skipped(
    pipeline: LocalPipeline, github: ReplayedGithub
) -> None:
    serve(github, REPOSITORY, extra=(link(f"{TOP}/docs/current.md", "getting started.md"),))
    import_id = imported(pipeline)

    listing = files_of(import_id)

    assert (listing["commit_sha"], listing["next_cursor"]) == (COMMIT, None)
    rows = {row["path"]: row for row in listing["files"]}
    assert set(rows) == {*REPOSITORY, "docs/current.md"}
    kept = {path: row["category"] for path, row in rows.items() if row["included"]}
    assert kept == {
        "package.json": "package_manager",
        "Dockerfile": "runtime",
        ".github/workflows/test.yml": "build_tool",
        "README.md": "documentation",
        "docs/getting started.md": "documentation",
    }
    reasons = {path: row["skipped_reason"] for path, row in rows.items() if not row["included"]}
    assert reasons == {
        "docs/deploy.md": "secret",
        "docs/huge.md": "too_large",
        "assets/logo.png": "not_selected",
        "docs/diagram.md": "binary",
        ".env": "denied_name",
        "src/main.ts": "not_selected",
        "docs/current.md": "link",
    }
    assert [finding["line"] for finding in rows["docs/deploy.md"]["secrets"]] == [1]
    assert FAKE_AWS_KEY not in json.dumps(listing)
    assert rows["README.md"] | {"category": None} == {
        "path": "README.md",
        "size": len(README),
        "sha": blob_sha(README),
        "category": None,
        "language": "markdown",
        "included": True,
        "skipped_reason": None,
        "secrets": [],
        "tokens": O200kTokenCounter().count(README.decode()),
    }
    assert rows["docs/deploy.md"]["tokens"] is None


@pytest.mark.usefixtures("files_routes")
def test_a_kept_file_is_served_byte_for_byte_with_its_blob_sha_as_etag(
    pipeline: LocalPipeline, github: ReplayedGithub
) -> None:
    serve(github, REPOSITORY)
    import_id = imported(pipeline)

    readme = call("GET", file_path(import_id, "README.md"))
    spaced = call("GET", file_path(import_id, "docs/getting%20started.md"))

    assert readme.status == 200, readme.text
    assert readme.text.encode() == README
    assert readme.headers["content-type"] == "text/plain; charset=utf-8"
    assert readme.headers["etag"] == f'"{blob_sha(README)}"'
    assert readme.headers["cache-control"] == "private, no-cache"
    assert readme.headers["x-content-type-options"] == "nosniff"
    assert spaced.text == "# Getting started\n"
    for held in (readme.headers["etag"], f"W/{readme.headers['etag']}", '"other", ' + readme.headers["etag"], "*"):
        unchanged = call("GET", file_path(import_id, "README.md"), headers={"If-None-Match": held})
        assert (unchanged.status, unchanged.text, unchanged.headers["etag"]) == (304, "", readme.headers["etag"])
    assert call("GET", file_path(import_id, "README.md"), headers={"If-None-Match": '"other"'}).status == 200


@pytest.mark.usefixtures("files_routes")
def test_a_path_that_was_not_kept_is_404_and_a_malformed_one_400(
    pipeline: LocalPipeline, github: ReplayedGithub
) -> None:
    serve(github, REPOSITORY)
    import_id = imported(pipeline)

    for not_kept in ("docs/deploy.md", "docs/diagram.md", ".env", "src/main.ts", "nothing/here.md", "readme.md"):
        assert_error(call("GET", file_path(import_id, not_kept)), 404)
    assert call("GET", file_path(import_id, "docs%2Fgetting%20started.md")).text == "# Getting started\n"
    for malformed in ("docs/../README.md", "./README.md", "docs//x.md", "docs%2F%2E%2E%2FREADME.md", "%FF.md", "a%00b"):
        body = assert_error(call("GET", file_path(import_id, malformed)), 400)
        assert body["errors"][0]["field"] == "path"


@pytest.mark.usefixtures("files_routes")
def test_pages_follow_their_cursors_across_the_stored_pages_and_end_with_null(
    pipeline: LocalPipeline, github: ReplayedGithub
) -> None:
    many = {f"src/module_{number:04d}.ts": b"export {}\n" for number in range(1105)}
    serve(github, {"README.md": README, **many})
    import_id = imported(pipeline)

    first = files_of(import_id, "limit=990")
    second = files_of(import_id, f"limit=20&cursor={first['next_cursor']}")  # spans stored pages 0 and 1
    rest = files_of(import_id, f"cursor={second['next_cursor']}")

    paths = [row["path"] for page in (first, second, rest) for row in page["files"]]
    assert [len(page["files"]) for page in (first, second, rest)] == [990, 20, 96]
    assert rest["next_cursor"] is None
    assert paths == [row["path"] for row in files_of(import_id)["files"]] + [
        row["path"] for row in files_of(import_id, f"limit=1000&cursor={files_of(import_id)['next_cursor']}")["files"]
    ]
    assert len(set(paths)) == 1106


@pytest.mark.usefixtures("files_routes")
def test_a_cursor_from_a_replaced_listing_is_409_and_another_imports_is_400(
    pipeline: LocalPipeline, github: ReplayedGithub
) -> None:
    serve(github, REPOSITORY)
    import_id = imported(pipeline)
    other_id = imported(pipeline)
    cursor = files_of(import_id, "limit=2")["next_cursor"]

    body = assert_error(call("GET", f"{import_path(other_id)}/files", query=f"cursor={cursor}"), 400)
    assert body["errors"][0]["field"] == "cursor"
    serve(github, REPOSITORY | {"README.md": b"# Second commit\n"}, commit="cd" * 20)
    assert call("POST", f"{import_path(import_id)}/refresh").status == 202
    assert files_of(import_id, f"limit=2&cursor={cursor}")["commit_sha"] == COMMIT  # still the old run's
    pipeline.run_until_idle()

    assert_error(call("GET", f"{import_path(import_id)}/files", query=f"cursor={cursor}"), 409)
    assert files_of(import_id)["commit_sha"] == "cd" * 20
    assert call("GET", file_path(import_id, "README.md")).text == "# Second commit\n"


@pytest.mark.usefixtures("files_routes")
def test_there_are_no_files_until_a_run_completed(pipeline: LocalPipeline) -> None:
    response = post_imports(GITHUB_IMPORT)
    import_id = response.json()["import"]["id"]

    assert "No run" in assert_error(call("GET", f"{import_path(import_id)}/files"), 409)["message"]
    assert_error(call("GET", file_path(import_id, "README.md")), 409)


@pytest.mark.usefixtures("files_routes")
def test_access_ends_when_the_installation_or_the_installers_link_does(
    dynamodb: DynamoDBClient, pipeline: LocalPipeline, github: ReplayedGithub
) -> None:
    serve(github, REPOSITORY)
    import_id = imported(pipeline)
    link_key = keys.github_link_key(DEMO_GITHUB_USER_ID)
    stored_link = dynamodb.get_item(TableName="DataTable", Key=link_key)["Item"]

    dynamodb.delete_item(TableName="DataTable", Key=link_key)
    assert_error(call("GET", f"{import_path(import_id)}/files"), 403)
    assert_error(call("GET", file_path(import_id, "README.md")), 403)
    dynamodb.put_item(TableName="DataTable", Item=stored_link)
    assert call("GET", file_path(import_id, "README.md")).status == 200
    dynamodb.delete_item(TableName="DataTable", Key=keys.account_installation_key(DEMO_GITHUB_ACCOUNT))

    assert DEMO_GITHUB_ACCOUNT in assert_error(call("GET", f"{import_path(import_id)}/files"), 403)["message"]


@pytest.mark.usefixtures("files_routes")
def test_a_page_costs_three_dynamodb_requests_for_a_github_import(
    pipeline: LocalPipeline, github: ReplayedGithub, dynamodb_requests: RequestCounter
) -> None:
    serve(github, REPOSITORY)
    import_id = imported(pipeline)
    dynamodb_requests.operations.clear()

    files_of(import_id)

    assert dynamodb_requests.operations == ["BatchGetItem", "BatchGetItem", "GetItem"]
