"""The importer against GitHub's own bytes: responses recorded from api.github.com and codeload.github.com.

The npm package @octokit/fixtures (pinned in tools/node, installed by `make node-tools`) holds them. Its
`get-archive` scenario creates a repository, commits a README.md, asks api.github.com for the tarball
(a 302 to codeload.github.com) and downloads it. `raw-fixture.json` keeps the archive as GitHub sent it,
pax global header included; `normalized-fixture.json` is the same exchange with the ids zeroed and the
archive rebuilt without that header.
"""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.context_policy import BudgetUse, Category, ContentJudges, ContextPolicy, KeptFile
from domain.import_failures import FailureCode, ImportFailed
from github_client.responses import archive_failure, redirect_target
from importer.secret_scan import DetectSecretsScanner
from importer.tar_archive import ImportedTree, git_blob_sha, read_archive
from importer.token_counts import O200kTokenCounter
from tests.github_replay import header_map, recording


def exchanges(name: str) -> list[dict[str, Any]]:
    return recording("get-archive", name.removesuffix("-fixture.json"))


def codeload_archive(recorded: list[dict[str, Any]]) -> bytes:
    download = next(exchange for exchange in recorded if exchange["scope"] == "https://codeload.github.com:443")
    assert download["responseIsBinary"]
    assert header_map(download)["content-type"] == "application/x-gzip"
    return bytes.fromhex(download["response"])


def committed_readme(recorded: list[dict[str, Any]]) -> bytes:
    commit = next(exchange for exchange in recorded if exchange["method"] == "put")
    return base64.b64decode(commit["body"]["content"])


def import_archive(archive: bytes) -> tuple[ImportedTree, list[KeptFile]]:
    kept: list[KeptFile] = []
    with DetectSecretsScanner() as scanner:
        tree = read_archive(
            io.BytesIO(archive),
            policy=ContextPolicy(),
            budget=BudgetUse(),
            judges=ContentJudges(scanner, O200kTokenCounter()),
            keep=kept.append,
        )
    return tree, kept


def test_the_commit_comes_from_the_pax_header_github_writes() -> None:
    recorded = exchanges("raw-fixture.json")
    archive = codeload_archive(recorded)

    tree, _ = import_archive(archive)

    assert tree.commit_sha == "900f3f818d8c2ac46196b3cdaee655d1ee986381"
    # GitHub names the top folder after the commit's short SHA, and the file after its repository.
    download = next(exchange for exchange in recorded if exchange["scope"].startswith("https://codeload"))
    assert header_map(download)["content-disposition"].endswith(f"-{tree.commit_sha[:7]}.tar.gz")


def test_the_committed_readme_is_kept_byte_for_byte_under_its_path() -> None:
    recorded = exchanges("raw-fixture.json")

    tree, kept = import_archive(codeload_archive(recorded))

    readme = committed_readme(recorded)
    assert [(file.path, file.content) for file in kept] == [("README.md", readme)]
    assert [(listed.path, listed.size, listed.sha, listed.category) for listed in tree.files] == [
        ("README.md", len(readme), git_blob_sha(readme), Category.DOCUMENTATION)
    ]


def test_an_archive_without_the_pax_header_has_no_commit_but_the_same_files() -> None:
    tree, kept = import_archive(codeload_archive(exchanges("normalized-fixture.json")))

    assert tree.commit_sha is None
    assert [file.path for file in kept] == ["README.md"]


@pytest.mark.parametrize("name", ["raw-fixture.json", "normalized-fixture.json"])
def test_the_tarball_route_redirects_to_codeload(name: str) -> None:
    request = next(exchange for exchange in exchanges(name) if "/tarball/" in exchange["path"])

    assert request["status"] == 302
    location = header_map(request)["location"]
    assert location.startswith("https://codeload.github.com/")
    assert location.endswith("/legacy.tar.gz/refs/heads/main")


def test_the_recorded_redirect_is_followed_to_codeload_and_not_to_the_api_host() -> None:
    request = next(exchange for exchange in exchanges("raw-fixture.json") if "/tarball/" in exchange["path"])
    location = header_map(request)["location"]

    assert redirect_target(location, ("https://codeload.github.com",)) == location
    with pytest.raises(ImportFailed):
        redirect_target(location, ("https://api.github.com",))


def test_a_recorded_404_is_not_found_or_no_access() -> None:
    recorded = recording("branch-protection")
    missing = next(exchange for exchange in recorded if exchange["status"] == 404)

    failure = archive_failure(404, header_map(missing), datetime.now(UTC))

    assert failure.code is FailureCode.NOT_FOUND_OR_NO_ACCESS


def test_the_recorded_rate_limit_headers_give_the_reset_as_retry_at() -> None:
    request = next(exchange for exchange in exchanges("raw-fixture.json") if "/tarball/" in exchange["path"])
    headers = header_map(request) | {"x-ratelimit-remaining": "0"}
    reset = datetime.fromtimestamp(int(headers["x-ratelimit-reset"]), tz=UTC)

    failure = archive_failure(403, headers, reset - timedelta(minutes=5))

    assert (failure.code, failure.retry_at) == (FailureCode.RATE_LIMITED, reset)
