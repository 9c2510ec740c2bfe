"""GET …/projects/{project_id}/resources/context: every completed import of the project in one digest,
read back with a CommonMark parser: in creation order, one budget across them, imports GitHub no longer
lets the user read left out and listed, its ETag, its errors and its cost in requests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import boto3
import pytest
from markdown_it import MarkdownIt

from domain import project_context
from domain.import_files import ImportFiles
from domain.project_context import ProjectContext
from domain.source_paths import GithubRepository
from dynamodb_store import keys
from handlers import edge, get_import_context, get_import_file, get_project_context, list_import_files
from local import records
from local.demo import DEMO_GITHUB_USER_ID
from s3_store.content import S3ContentReader
from tests.api_client import GITHUB_IMPORT, assert_error, call, import_path, post_imports
from tests.github_replay import ReplayedGithub
from tests.in_process_pipeline import BUCKET
from tests.integration.test_import_files import REPOSITORY, imported, serve

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_s3.client import S3Client

    from local.pipeline import LocalPipeline
    from tests.conftest import RequestCounter

pytestmark = pytest.mark.usefixtures("demo_token")
PROJECT_CONTEXT = "/api/users/1/projects/789/resources/context"
SECOND = {"README.md": b"# Second\n\nThe other half.\n", "docs/usage.md": b"# Usage\n\n```\nrun it\n```\n"}


@pytest.fixture
def content_s3(demo_token: str, pipeline: LocalPipeline, monkeypatch: pytest.MonkeyPatch) -> S3Client:
    """The digests' and the listing's functions read the pipeline's bucket through this client."""
    client = boto3.client("s3")
    reader = S3ContentReader(client, BUCKET)
    for module in (get_import_context, get_import_file, list_import_files):
        monkeypatch.setattr(module, "files", ImportFiles(edge.store, reader))
    monkeypatch.setattr(get_project_context, "context", ProjectContext(edge.store, reader))
    return client


def completed(pipeline: LocalPipeline, github: ReplayedGithub, files: dict[str, bytes], title: str) -> int:
    serve(github, files)
    return imported(pipeline, GITHUB_IMPORT | {"title": title})


def kept_rows(import_id: int) -> list[dict[str, object]]:
    listed = call("GET", f"{import_path(import_id)}/files").json()["files"]
    return [row for row in listed if row["included"]]


def sections(markdown: str) -> dict[str, dict[str, str]]:
    """Each import's fenced blocks by the h3 above them, under the import's h2 (a heading parsed as
    CommonMark: a file cannot fake one)."""
    tokens = MarkdownIt("commonmark").parse(markdown)
    found: dict[str, dict[str, str]] = {}
    h2 = h3 = ""
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            text = (tokens[index + 1].children or [])[0].content
            if token.tag == "h2":
                h2, h3 = text, ""
                assert h2 not in found, f"two sections {h2}"
                found[h2] = {}
            elif token.tag == "h3":
                h3 = text
        elif token.type == "fence":
            assert h3 not in found[h2], f"two blocks under {h2} / {h3}"
            found[h2][h3] = token.content
    return found


@pytest.mark.usefixtures("content_s3")
def test_each_completed_import_is_a_section_in_creation_order_with_its_files_once(
    pipeline: LocalPipeline, github: ReplayedGithub
) -> None:
    first = completed(pipeline, github, REPOSITORY, "First")
    second = completed(pipeline, github, SECOND, "Second")
    post_imports(GITHUB_IMPORT | {"title": "Not run yet"})  # pending: no completed run to show

    answer = call("GET", PROJECT_CONTEXT, headers={"accept": "text/markdown"})

    assert answer.status == 200, answer.text
    assert answer.headers["content-type"] == "text/markdown; charset=utf-8"
    assert answer.headers["cache-control"] == "private, no-cache"
    found = sections(answer.text)
    assert list(found) == ["First", "Second"]
    for import_id, title in ((first, "First"), (second, "Second")):
        kept = {str(row["path"]) for row in kept_rows(import_id)}
        assert set(found[title]) == {"Files"} | kept
        for path in kept:
            assert found[title][path] == call("GET", f"{import_path(import_id)}/files/{quote(path)}").text
    assert found["Second"]["docs/usage.md"] == SECOND["docs/usage.md"].decode()
    assert "imports with a completed run, in the order they were created: 2\n" in answer.text
    assert f"- Import: `{first}`\n" in answer.text
    assert "Not run yet" not in answer.text


@pytest.mark.usefixtures("content_s3")
def test_max_tokens_is_one_budget_spent_across_the_imports_in_order(
    pipeline: LocalPipeline, github: ReplayedGithub
) -> None:
    first = completed(pipeline, github, REPOSITORY, "First")
    second = completed(pipeline, github, SECOND, "Second")
    first_rows, second_rows = kept_rows(first), kept_rows(second)
    first_tokens = sum(int(str(row["tokens"])) for row in first_rows)
    bound = first_tokens + int(str(second_rows[0]["tokens"]))

    answer = call("GET", PROJECT_CONTEXT, query=f"max_tokens={bound}")
    tight = call("GET", PROJECT_CONTEXT, query=f"max_tokens={int(str(first_rows[0]['tokens'])) - 1}")

    assert answer.status == 200, answer.text
    found = sections(answer.text)
    assert set(found["Second"]) == {"Files", str(second_rows[0]["path"])}
    rest = second_rows[1:]
    assert (
        "### Left out\n\n" + "".join(f"- `{row['path']}`: {row['tokens']:,} tokens (`max_tokens`)\n" for row in rest)
        in answer.text
    )
    included = [*first_rows, second_rows[0]]
    assert f"{len(included)} files, {sum(int(str(row['tokens'])) for row in included):,} tokens;" in answer.text
    assert tight.status == 200, tight.text
    assert list(sections(tight.text)) == ["Imports left out"]
    assert tight.text.endswith(
        f"- `{first}` `github` `username/repository`: {len(first_rows)} files, {first_tokens:,} tokens (`max_tokens`)\n"
        f"- `{second}` `github` `username/repository`: {len(second_rows)} files, "
        f"{sum(int(str(row['tokens'])) for row in second_rows):,} tokens (`max_tokens`)\n"
    )


@pytest.mark.usefixtures("content_s3")
def test_an_unchanged_project_digest_is_304_and_any_imports_change_is_a_new_etag(
    pipeline: LocalPipeline, github: ReplayedGithub
) -> None:
    first = completed(pipeline, github, REPOSITORY, "First")
    etag = call("GET", PROJECT_CONTEXT).headers["etag"]

    unchanged = call("GET", PROJECT_CONTEXT, headers={"If-None-Match": etag})
    bounded = call("GET", PROJECT_CONTEXT, query="max_tokens=10", headers={"If-None-Match": etag})
    completed(pipeline, github, SECOND, "Second")
    after_second = call("GET", PROJECT_CONTEXT, headers={"If-None-Match": etag})
    renamed = call("PUT", import_path(first), {"title": "Renamed"})
    after_rename = call("GET", PROJECT_CONTEXT, headers={"If-None-Match": after_second.headers["etag"]})

    assert (unchanged.status, unchanged.text, unchanged.headers["etag"]) == (304, "", etag)
    assert bounded.status == 200
    assert bounded.headers["etag"] != etag
    assert after_second.status == 200
    assert list(sections(after_second.text)) == ["First", "Second"]
    assert renamed.status == 200, renamed.text
    assert after_rename.status == 200
    assert list(sections(after_rename.text)) == ["Renamed", "Second"]


@pytest.mark.usefixtures("content_s3")
def test_github_imports_the_user_can_no_longer_read_are_left_out_with_access(
    dynamodb: DynamoDBClient, pipeline: LocalPipeline, github: ReplayedGithub
) -> None:
    first = completed(pipeline, github, REPOSITORY, "First")
    readable = call("GET", PROJECT_CONTEXT)

    dynamodb.delete_item(TableName="DataTable", Key=keys.github_link_key(DEMO_GITHUB_USER_ID))
    answer = call("GET", PROJECT_CONTEXT, headers={"If-None-Match": readable.headers["etag"]})

    assert answer.status == 200, answer.text
    assert answer.headers["etag"] != readable.headers["etag"]
    assert list(sections(answer.text)) == ["Imports left out"]
    tokens = call("GET", import_path(first)).json()["import"]["context"]["tokens"]
    assert answer.text.endswith(f"- `{first}` `github` `username/repository`: 5 files, {tokens} tokens (`access`)\n")
    assert "README.md" not in answer.text


@pytest.mark.usefixtures("content_s3")
def test_a_bad_bound_is_400_and_the_gate_is_every_routes(pipeline: LocalPipeline) -> None:
    for bad in ("0", "-1", "1.5", "lots", "100000001"):
        error = assert_error(call("GET", PROJECT_CONTEXT, query=f"max_tokens={bad}"), 400)
        assert [field["field"] for field in error["errors"]] == ["max_tokens"]
    assert_error(call("GET", PROJECT_CONTEXT, query="limit=3"), 400)
    assert_error(call("GET", PROJECT_CONTEXT, token=None), 401)
    assert_error(call("GET", "/api/users/2/projects/789/resources/context"), 403)
    assert_error(call("GET", "/api/users/1/projects/790/resources/context"), 404)
    empty = call("GET", PROJECT_CONTEXT)
    assert empty.status == 200, empty.text
    assert "imports with a completed run, in the order they were created: 0\n" in empty.text


def test_a_project_digest_costs_four_dynamodb_requests_and_s3_gets_only_for_what_it_holds(
    pipeline: LocalPipeline, github: ReplayedGithub, dynamodb_requests: RequestCounter, content_s3: S3Client
) -> None:
    completed(pipeline, github, REPOSITORY, "First")
    completed(pipeline, github, SECOND, "Second")
    s3_gets: list[str] = []
    content_s3.meta.events.register("before-call.s3.GetObject", lambda **_: s3_gets.append("GetObject"))
    dynamodb_requests.operations.clear()

    assert call("GET", PROJECT_CONTEXT).status == 200
    whole_gets = len(s3_gets)
    assert call("GET", PROJECT_CONTEXT, headers={"If-None-Match": "*"}).status == 304
    one_token = call("GET", PROJECT_CONTEXT, query="max_tokens=1")

    # The session and project; the imports; both imports' one installation; its installer's link.
    assert dynamodb_requests.operations == ["BatchGetItem", "Query", "BatchGetItem", "GetItem"] * 3
    assert whole_gets == 2 + 2  # each import's list of kept files, then its files' one pack
    assert one_token.status == 200
    assert len(s3_gets) == whole_gets + 1  # the first import's list: the budget is spent at its first file


def test_a_project_digest_reads_its_imports_side_by_side_and_no_window_past_the_budget(
    pipeline: LocalPipeline, github: ReplayedGithub, content_s3: S3Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [
        completed(pipeline, github, REPOSITORY, "First"),
        completed(pipeline, github, SECOND, "Second"),
        completed(pipeline, github, SECOND | {"CONTRIBUTING.md": b"# Third\n"}, "Third"),
    ]
    files = sum(len(kept_rows(import_id)) for import_id in ids)
    monkeypatch.setattr(project_context, "ENTRIES_READ_AHEAD", 2)
    rounds = record_rounds(get_project_context.context, monkeypatch)
    s3_gets: list[str] = []
    content_s3.meta.events.register("before-call.s3.GetObject", lambda **_: s3_gets.append("GetObject"))

    whole = call("GET", PROJECT_CONTEXT)
    whole_rounds, whole_gets = list(rounds), len(s3_gets)
    rounds.clear()
    bounded = call("GET", PROJECT_CONTEXT, query=f"max_tokens={int(str(kept_rows(ids[0])[0]['tokens']))}")

    assert whole.status == bounded.status == 200
    # Windows of lists growing to ENTRIES_READ_AHEAD (1 import, then 2), then every included file of
    # the three in one batch.
    assert whole_rounds == [("kept_entries", 1), ("kept_entries", 2), ("kept_texts", files)]
    assert whole_gets == 3 + 3  # each import's list, then its pack
    # The budget is spent in the first window: the other imports' lists are never read.
    assert rounds == [("kept_entries", 1), ("kept_texts", 1)]
    assert "## Imports left out\n" in bounded.text


def record_rounds(context: ProjectContext, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Each batch the digest asks its content reader for, and how many it asks for at once."""
    reader = context._content
    rounds: list[tuple[str, int]] = []
    for name in ("kept_entries", "kept_texts"):
        read = getattr(reader, name)

        def recorded(wanted: list[Any], read: Any = read, name: str = name) -> Any:
            rounds.append((name, len(wanted)))
            return read(wanted)

        monkeypatch.setattr(reader, name, recorded)
    return rounds


def test_the_installations_of_many_github_imports_are_read_in_batches_of_100_keys(
    dynamodb: DynamoDBClient, dynamodb_requests: RequestCounter
) -> None:
    # 150 repositories on one account (which GitHub covers, all but the last) and one on another
    # (not installed): 152 distinct keys, one account copy shared by 150 repositories.
    records.put_installation(dynamodb, 1, "many", [f"repo-{number}" for number in range(149)])
    wanted = [GithubRepository("many", f"repo-{number}") for number in range(150)] + [GithubRepository("other", "x")]
    dynamodb_requests.operations.clear()

    found = edge.store.read_installations(wanted)

    assert dynamodb_requests.operations == ["BatchGetItem", "BatchGetItem"]
    covered = {
        repository.name
        for repository, installation in found.items()
        if installation and installation.covers(repository.name)
    }
    assert covered == {f"repo-{number}" for number in range(149)}
    assert found[GithubRepository("other", "x")] is None
