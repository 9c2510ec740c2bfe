"""GET …/imports/{import_id}/context: a completed import's digest, read as a chat's Markdown renderer reads
it, behind the same checks as the files routes, with its ETag, its budget and its cost in requests."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from markdown_it import MarkdownIt

from domain.errors import ContentReplaced
from domain.import_digest import ResponseLimit
from domain.import_files import ImportFiles
from dynamodb_store import keys
from handlers import edge, get_import_context, list_import_files
from handlers.digests import escaped_size
from importer.token_counts import O200kTokenCounter
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
KEPT = ["package.json", "Dockerfile", ".github/workflows/test.yml", "README.md", "docs/getting started.md"]
FENCES = "Before\n```\n# not a heading\n````\nafter\n"


@pytest.fixture
def content_s3(demo_token: str, pipeline: LocalPipeline, monkeypatch: pytest.MonkeyPatch) -> S3Client:
    """The digest's and the listing's functions read the pipeline's bucket through this client (after the
    demo data: the pipeline seeds it again)."""
    client = boto3.client("s3")
    for module in (get_import_context, list_import_files):
        monkeypatch.setattr(module, "files", ImportFiles(edge.store, S3ContentReader(client, BUCKET)))
    return client


def digest_path(import_id: int) -> str:
    return f"{import_path(import_id)}/context"


def blocks(markdown: str) -> dict[str, str]:
    """Each file's fenced block by the heading above it (the tree's under `Files`)."""
    tokens = MarkdownIt("commonmark").parse(markdown)
    found: dict[str, str] = {}
    heading = ""
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h2":
            heading = (tokens[index + 1].children or [])[0].content
        elif token.type == "fence":
            assert heading not in found, f"two blocks under {heading}"
            found[heading] = token.content
    return found


@pytest.mark.usefixtures("content_s3")
def test_the_digest_holds_every_kept_file_once_and_no_skipped_one(
    pipeline: LocalPipeline, github: ReplayedGithub
) -> None:
    serve(github, REPOSITORY | {"docs/fences.md": FENCES.encode()})
    import_id = imported(pipeline)

    answer = call("GET", digest_path(import_id))

    assert answer.status == 200, answer.text
    assert answer.headers["content-type"] == "text/markdown; charset=utf-8"
    assert answer.headers["cache-control"] == "private, no-cache"
    found = blocks(answer.text)
    kept = [*KEPT, "docs/fences.md"]
    assert sorted(found) == sorted(["Files", *kept])
    assert {path: found[path].encode() for path in kept} == {
        path: (REPOSITORY | {"docs/fences.md": FENCES.encode()})[path] for path in kept
    }
    assert found["docs/fences.md"] == FENCES
    for skipped in ("docs/deploy.md", "docs/huge.md", ".env", "src/main.ts", "assets/logo.png"):
        assert skipped not in answer.text
    tokens = sum(O200kTokenCounter().count(found[path]) for path in kept)
    assert f", {tokens:,} tokens; left out: 0\n" in answer.text


@pytest.mark.usefixtures("content_s3")
def test_max_tokens_keeps_the_files_in_order_until_the_next_would_pass_it(
    pipeline: LocalPipeline, github: ReplayedGithub
) -> None:
    serve(github, REPOSITORY)
    import_id = imported(pipeline)
    listed = call("GET", f"{import_path(import_id)}/files").json()["files"]
    counts = [row["tokens"] for row in listed if row["included"]]
    bound = counts[0] + counts[1]

    answer = call("GET", digest_path(import_id), query=f"max_tokens={bound}")

    assert answer.status == 200, answer.text
    included = [row["path"] for row in listed if row["included"]][:2]
    assert sorted(blocks(answer.text)) == sorted(["Files", *included])
    left_out = [row for row in listed if row["included"]][2:]
    assert answer.text.endswith(
        "## Left out\n\n" + "".join(f"- `{row['path']}`: {row['tokens']:,} tokens (`max_tokens`)\n" for row in left_out)
    )


@pytest.mark.usefixtures("content_s3")
def test_an_unchanged_digest_is_304_and_a_change_of_title_or_bound_is_a_new_etag(
    pipeline: LocalPipeline, github: ReplayedGithub
) -> None:
    serve(github, REPOSITORY)
    import_id = imported(pipeline)
    first = call("GET", digest_path(import_id))
    etag = first.headers["etag"]

    unchanged = call("GET", digest_path(import_id), headers={"If-None-Match": etag})
    bounded = call("GET", digest_path(import_id), query="max_tokens=10", headers={"If-None-Match": etag})
    renamed = call("PUT", import_path(import_id), {"title": "Renamed"}, headers={"If-Match": '"v1"'})
    after_rename = call("GET", digest_path(import_id), headers={"If-None-Match": etag})

    assert (unchanged.status, unchanged.text, unchanged.headers["etag"]) == (304, "", etag)
    assert bounded.status == 200
    assert bounded.headers["etag"] != etag
    assert renamed.status == 200, renamed.text
    assert after_rename.status == 200
    assert after_rename.text.startswith("# Renamed\n")


@pytest.mark.usefixtures("content_s3")
def test_a_bad_bound_is_400_and_no_completed_run_409(pipeline: LocalPipeline, github: ReplayedGithub) -> None:
    pending = post_imports(GITHUB_IMPORT).json()["import"]["id"]

    assert "No run" in assert_error(call("GET", digest_path(pending)), 409)["message"]
    for bad in ("0", "-1", "1.5", "lots", "100000001"):
        error = assert_error(call("GET", digest_path(pending), query=f"max_tokens={bad}"), 400)
        assert [field["field"] for field in error["errors"]] == ["max_tokens"]
    assert_error(call("GET", digest_path(pending), query="limit=3"), 400)


@pytest.mark.usefixtures("content_s3")
def test_access_ends_when_the_installers_link_does(
    dynamodb: DynamoDBClient, pipeline: LocalPipeline, github: ReplayedGithub
) -> None:
    serve(github, REPOSITORY)
    import_id = imported(pipeline)

    dynamodb.delete_item(TableName="DataTable", Key=keys.github_link_key(DEMO_GITHUB_USER_ID))

    assert_error(call("GET", digest_path(import_id)), 403)
    assert_error(call("GET", digest_path(import_id), token=None), 401)


def test_a_digest_costs_three_dynamodb_requests_and_two_s3_gets_its_list_and_its_pack(
    pipeline: LocalPipeline, github: ReplayedGithub, dynamodb_requests: RequestCounter, content_s3: S3Client
) -> None:
    serve(github, REPOSITORY)
    import_id = imported(pipeline)
    s3_gets: list[str] = []
    content_s3.meta.events.register("before-call.s3.GetObject", lambda **_: s3_gets.append("GetObject"))
    dynamodb_requests.operations.clear()

    assert call("GET", digest_path(import_id)).status == 200
    etag_call = call("GET", digest_path(import_id), headers={"If-None-Match": "*"})

    assert dynamodb_requests.operations == ["BatchGetItem", "BatchGetItem", "GetItem"] * 2
    # kept.json, then every kept file from one ranged GET of the run's one pack; none for the 304.
    assert (etag_call.status, len(s3_gets)) == (304, 2)


@pytest.mark.usefixtures("content_s3")
def test_files_that_would_pass_one_response_escaped_are_left_out_from_the_end(
    pipeline: LocalPipeline, github: ReplayedGithub, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve(github, REPOSITORY)
    import_id = imported(pipeline)
    whole = call("GET", digest_path(import_id)).text
    monkeypatch.setattr(get_import_context, "RESPONSE_LIMIT", ResponseLimit(escaped_size, len(json.dumps(whole)) - 1))

    answer = call("GET", digest_path(import_id))

    assert answer.status == 200, answer.text
    assert sorted(blocks(answer.text)) == sorted(["Files", *KEPT[:-1]])
    assert f"- `{KEPT[-1]}`: " in answer.text
    assert answer.text.endswith("(`response_size`)\n")


def test_a_digest_read_while_a_newer_run_deletes_the_old_content_reads_the_import_again(
    pipeline: LocalPipeline, github: ReplayedGithub, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = boto3.client("s3")
    reader = S3ContentReader(client, BUCKET)
    monkeypatch.setattr(get_import_context, "files", ImportFiles(edge.store, reader))
    serve(github, REPOSITORY)
    import_id = imported(pipeline)
    with pytest.raises(ContentReplaced):  # what S3 answers for a deleted run's object, as the reader tells it
        reader.kept_entries(["imports/1/789/1/runs/" + "0" * 32 + "/"])
    entries = reader.kept_entries
    calls: list[str] = []

    def replaced_once(prefixes: list[str]) -> list[Any]:
        calls.append(prefixes[0])
        if len(calls) == 1:  # the run's content was deleted between the import's read and this one
            raise ContentReplaced(prefixes[0])
        return entries(prefixes)

    monkeypatch.setattr(reader, "kept_entries", replaced_once)

    answer = call("GET", digest_path(import_id))

    assert (answer.status, len(calls)) == (200, 2), answer.text  # the import read again, then its content
