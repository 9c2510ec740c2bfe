"""Imports that import, over HTTP on `make run` (on moto and on DynamoDB Local: the suite runs tests/e2e on
both): a user's own git repository through the GitHub stand-in, the demo repository, a public URL, a
missing repository, and a new commit after a refresh."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from importer.token_counts import O200kTokenCounter
from local import records
from local.demo import DEMO_IMPORT
from local.settings import LOCAL_REGION, local_dynamodb_client
from tests.e2e.local_server import LocalServer, start_local_server
from tests.git_repositories import commit, git, new_repository

LARGE = b"# generated\n" + b"x = 1\n" * (1024 * 1024 // 6)
README = "# App\n\nCafé ☕, and a line that ends in CRLF\r\n".encode()
FENCES = b"How to fence:\n```\n## Not a heading of the digest\n`````\nend\n"


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = new_repository(tmp_path_factory.mktemp("own") / "app")
    commit(
        folder,
        {
            "package.json": b'{"name": "app", "scripts": {"test": "vitest"}}\n',
            "Dockerfile": b"FROM node:22-slim\n",
            ".github/workflows/ci.yml": b"on: push\njobs: {}\n",
            "README.md": README,
            "docs/fences.md": FENCES,
            "docs/logo.md": b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
            "docs/generated.md": LARGE,
            "docs/deploy.md": b'aws_access_key_id = "AKIAIOSFODNN7EXAMPLE"\n',
        },
        "first",
    )
    return folder


@pytest.fixture(scope="module")
def server(repository: Path) -> Iterator[LocalServer]:
    running = start_local_server(LOCAL_GITHUB_REPOSITORIES=f"octo-local/app={repository}")
    # As `make admin ARGS='installation --user 1 --account octo-local --repositories app missing'` does.
    client = local_dynamodb_client(running.dynamodb_endpoint, LOCAL_REGION)
    records.put_installation(client, 1, "octo-local", ["app", "missing"])
    yield running
    assert running.stop() == 0


def send(server: LocalServer, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(
        server.base_url + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Cookie": f"neptun-session={server.session_token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()


def created(server: LocalServer, body: dict[str, Any], project_id: int = 789) -> dict[str, Any]:
    status, answer = send(server, "POST", f"/api/users/1/projects/{project_id}/resources/imports", body)
    assert status == 201, answer
    shown: dict[str, Any] = json.loads(answer)["import"]
    assert shown["status"] == "pending"
    return server.import_when_done(shown["id"], project_id=project_id)


def github_import(path: str, **more: Any) -> dict[str, Any]:
    return {"source_type": "github", "source_path": path, "title": "Own"} | more


def listing(server: LocalServer, import_id: int, project_id: int = 789) -> dict[str, dict[str, Any]]:
    rows = server.get_json(f"{server.import_path(import_id, project_id)}/files")["files"]
    return {row["path"]: row for row in rows}


def test_an_own_repository_imports_its_head_with_the_policys_verdict_on_each_file(
    server: LocalServer, repository: Path
) -> None:
    shown = created(server, github_import("octo-local/app"))

    assert (shown["status"], shown["commit_sha"]) == ("completed", git(repository, "rev-parse", "HEAD"))
    rows = listing(server, shown["id"])
    kept = {path: row["category"] for path, row in rows.items() if row["included"]}
    assert kept == {
        "package.json": "package_manager",
        "Dockerfile": "runtime",
        ".github/workflows/ci.yml": "build_tool",
        "README.md": "documentation",
        "docs/fences.md": "documentation",
    }
    skipped = {path: row["skipped_reason"] for path, row in rows.items() if not row["included"]}
    assert skipped == {"docs/logo.md": "binary", "docs/generated.md": "too_large", "docs/deploy.md": "secret"}
    status, content = send(server, "GET", f"{server.import_path(shown['id'])}/files/README.md")
    assert (status, content) == (200, README)


def test_each_kept_file_is_counted_in_tokens_and_the_import_sums_them(server: LocalServer) -> None:
    shown = created(server, github_import("octo-local/app"))

    rows = listing(server, shown["id"])
    counter = O200kTokenCounter()
    kept = {path: row["tokens"] for path, row in rows.items() if row["included"]}
    texts = {path: send(server, "GET", f"{server.import_path(shown['id'])}/files/{path}")[1] for path in kept}
    assert kept == {path: counter.count(text.decode()) for path, text in texts.items()}
    assert {row["tokens"] for row in rows.values() if not row["included"]} == {None}
    assert shown["context"]["tokens"] == sum(kept.values()) > 0


def test_the_digest_fences_every_kept_file_once_and_is_304_while_unchanged(server: LocalServer) -> None:
    shown = created(server, github_import("octo-local/app"))
    digest_path = f"{server.import_path(shown['id'])}/context"

    status, answer = send(server, "GET", digest_path)

    assert status == 200, answer
    tokens = MarkdownIt("commonmark").parse(answer.decode())
    headings = [(tokens[i + 1].children or [])[0].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    blocks = [token.content for token in tokens if token.type == "fence"]
    kept = ["package.json", "Dockerfile", ".github/workflows/ci.yml", "README.md", "docs/fences.md"]
    assert sorted(headings[2:]) == sorted(kept)  # after the title and `Files`
    assert blocks[1:] == [_kept_text(server, shown["id"], path) for path in headings[2:]]
    assert FENCES.decode() in blocks
    assert README in answer  # byte for byte, its CRLF too
    for skipped in ("docs/logo.md", "docs/generated.md", "docs/deploy.md", "AKIAIOSFODNN7EXAMPLE"):
        assert skipped.encode() not in answer
    request = urllib.request.Request(
        server.base_url + digest_path, headers={"Cookie": f"neptun-session={server.session_token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as first:
        etag = first.headers["ETag"]
    request.add_header("If-None-Match", etag)
    with pytest.raises(urllib.error.HTTPError) as unchanged:
        urllib.request.urlopen(request, timeout=30)
    assert unchanged.value.code == 304


def test_the_project_digest_keeps_its_imports_in_order_within_max_tokens(server: LocalServer) -> None:
    project = 791  # its own project: what the module's other tests import does not count here
    records.put_project(local_dynamodb_client(server.dynamodb_endpoint, LOCAL_REGION), 1, project)
    shown = [created(server, github_import("octo-local/app", title=title), project) for title in ("One", "Two")]
    kept = [[row for row in listing(server, each["id"], project).values() if row["included"]] for each in shown]
    bound = sum(row["tokens"] for row in kept[0]) + kept[1][0]["tokens"]
    context_path = f"/api/users/1/projects/{project}/resources/context?max_tokens={bound}"

    status, answer = send(server, "GET", context_path)

    assert status == 200, answer
    tokens = MarkdownIt("commonmark").parse(answer.decode())
    headings = [
        (token.tag, (tokens[i + 1].children or [])[0].content)
        for i, token in enumerate(tokens)
        if token.type == "heading_open" and token.tag in {"h2", "h3"}
    ]
    first_files = [("h3", row["path"]) for row in kept[0]]
    assert headings == [
        ("h2", "One"),
        ("h3", "Files"),
        *first_files,
        ("h2", "Two"),
        ("h3", "Files"),
        ("h3", kept[1][0]["path"]),
        ("h3", "Left out"),
    ]
    left_out = "".join(f"- `{row['path']}`: {row['tokens']:,} tokens (`max_tokens`)\n" for row in kept[1][1:])
    assert answer.decode().endswith("### Left out\n\n" + left_out)
    assert f"- Import: `{shown[0]['id']}`\n" in answer.decode()
    request = urllib.request.Request(
        server.base_url + context_path, headers={"Cookie": f"neptun-session={server.session_token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as first:
        request.add_header("If-None-Match", first.headers["ETag"])
    with pytest.raises(urllib.error.HTTPError) as unchanged:
        urllib.request.urlopen(request, timeout=30)
    assert unchanged.value.code == 304


def _kept_text(server: LocalServer, import_id: int, path: str) -> str:
    status, content = send(server, "GET", f"{server.import_path(import_id)}/files/{path}")
    assert status == 200
    text = content.decode().replace("\r\n", "\n")  # as CommonMark reads line endings
    return text if text.endswith("\n") else text + "\n"


def test_a_new_commit_and_a_refresh_give_the_new_sha_and_content(server: LocalServer, repository: Path) -> None:
    first = created(server, github_import("octo-local/app"))
    newer = commit(repository, {"README.md": b"# App, the second commit\n"}, "second")

    status, answer = send(server, "POST", f"{server.import_path(first['id'])}/refresh")
    assert (status, json.loads(answer)["import"]["status"]) == (202, "pending")
    refreshed = server.import_when_done(first["id"])

    assert (refreshed["status"], refreshed["commit_sha"]) == ("completed", newer)
    assert send(server, "GET", f"{server.import_path(first['id'])}/files/README.md")[1] == b"# App, the second commit\n"


def test_a_missing_repository_fails_not_found_or_no_access(server: LocalServer) -> None:
    shown = created(server, github_import("octo-local/missing"))

    assert (shown["status"], shown["error"]["code"]) == ("failed", "not_found_or_no_access")
    assert send(server, "GET", f"{server.import_path(shown['id'])}/files")[0] == 409


def test_a_public_repository_url_imports_without_the_app(server: LocalServer, repository: Path) -> None:
    shown = created(
        server, {"source_type": "public_github_repository_url", "source_path": "https://github.com/octo-local/app"}
    )

    assert (shown["status"], shown["commit_sha"]) == ("completed", git(repository, "rev-parse", "HEAD"))


def test_the_demo_import_is_completed_with_the_demo_repositorys_files(server: LocalServer) -> None:
    shown = server.import_when_done(DEMO_IMPORT.id)

    assert shown["status"] == "completed"
    rows = listing(server, DEMO_IMPORT.id)
    assert rows["package.json"]["included"]
    assert rows["docs/deploy.md"]["skipped_reason"] == "secret"
    assert rows["README.pdf"]["skipped_reason"] == "binary"
