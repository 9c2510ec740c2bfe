"""Downloading archives from GitHub as it answered in @octokit/fixtures' recordings, and as it fails."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import urllib3

from domain.context_policy import BudgetUse, ContextPolicy, KeptFile
from domain.import_failures import FailureCode, ImportFailed
from github_client.app_tokens import InstallationToken
from github_client.archives import ArchiveDownloads
from importer.tar_archive import ImportedTree, ReadableStream, read_archive
from tests.archives import fake_judges, github_archive
from tests.github_replay import Answer, ReplayedGithub, recording, replayed_github

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
TOKEN = InstallationToken("ghs_" + "T" * 36, NOW + timedelta(hours=1))
RECORDED = recording("get-archive")
REPOSITORY = next(e for e in RECORDED if "/tarball/" in e["path"])["path"].split("/")[3]
OWNER = "octokit-fixture-org"


@pytest.fixture
def github() -> Iterator[ReplayedGithub]:
    with replayed_github() as replayed:
        replayed.replay(RECORDED)
        yield replayed


def downloads(github: ReplayedGithub) -> ArchiveDownloads:
    return ArchiveDownloads(
        api_url=github.api.url,
        codeload_url=github.codeload.url,
        http=urllib3.PoolManager(retries=False),
        clock=lambda: NOW,
    )


def imported(stream: ReadableStream) -> tuple[ImportedTree, list[KeptFile]]:
    kept: list[KeptFile] = []
    tree = read_archive(stream, policy=ContextPolicy(), budget=BudgetUse(), judges=fake_judges(), keep=kept.append)
    return tree, kept


def test_a_repository_tarball_follows_githubs_redirect_to_codeload(github: ReplayedGithub) -> None:
    with downloads(github).repository_tarball(OWNER, REPOSITORY, "main", TOKEN) as archive:
        tree, kept = imported(archive)

    assert tree.commit_sha == "900f3f818d8c2ac46196b3cdaee655d1ee986381"
    assert [(file.path, file.content) for file in kept] == [("README.md", b"# get-archive")]
    assert [(method, path) for method, path, _ in github.api.received] == [
        ("GET", f"/repos/{OWNER}/{REPOSITORY}/tarball/main")
    ]
    assert [path for _, path, _ in github.codeload.received] == [f"/{OWNER}/{REPOSITORY}/legacy.tar.gz/refs/heads/main"]


def test_the_token_goes_to_the_api_and_never_to_codeload(github: ReplayedGithub) -> None:
    with downloads(github).repository_tarball(OWNER, REPOSITORY, "main", TOKEN) as archive:
        imported(archive)

    ((_, _, api_headers),) = github.api.received
    ((_, _, codeload_headers),) = github.codeload.received
    assert api_headers["Authorization"] == f"Bearer {TOKEN.token}"
    assert api_headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert "Authorization" not in codeload_headers


def test_a_public_tarball_comes_from_codeload_without_a_token(github: ReplayedGithub) -> None:
    with downloads(github).public_tarball(OWNER, REPOSITORY, "refs/heads/main") as archive:
        tree, _ = imported(archive)

    assert tree.commit_sha == "900f3f818d8c2ac46196b3cdaee655d1ee986381"
    assert github.api.received == []
    assert "Authorization" not in github.codeload.received[0][2]


def test_without_a_ref_the_default_branch_is_asked_for(github: ReplayedGithub) -> None:
    archive_bytes = github_archive({"README.md": b"# default branch\n"})
    github.codeload.answers[("GET", "/octo/demo/legacy.tar.gz/HEAD")] = Answer(200, body=archive_bytes)
    github.api.answers[("GET", "/repos/octo/demo/tarball")] = Answer(
        302, [("Location", f"{github.codeload.url}/octo/demo/legacy.tar.gz/HEAD")]
    )

    with downloads(github).public_tarball("octo", "demo", None) as archive:
        public, _ = imported(archive)
    with downloads(github).repository_tarball("octo", "demo", None, TOKEN) as archive:
        private, _ = imported(archive)

    assert [listed.path for listed in public.files] == [listed.path for listed in private.files] == ["README.md"]


def test_a_ref_is_percent_encoded_on_both_hosts(github: ReplayedGithub) -> None:
    with pytest.raises(ImportFailed), downloads(github).repository_tarball("octo", "demo", "release#1", TOKEN):
        pass
    with pytest.raises(ImportFailed), downloads(github).public_tarball("octo", "demo", "feature/ü"):
        pass

    assert github.api.received[0][1] == "/repos/octo/demo/tarball/release%231"
    assert github.codeload.received[0][1] == "/octo/demo/legacy.tar.gz/feature/%C3%BC"


@pytest.mark.parametrize(
    ("status", "headers", "code"),
    [
        (404, [], FailureCode.NOT_FOUND_OR_NO_ACCESS),
        (409, [], FailureCode.EMPTY_REPOSITORY),
        (451, [], FailureCode.UNAVAILABLE_FOR_LEGAL_REASONS),
        (502, [], FailureCode.SOURCE_UNAVAILABLE),
        (
            403,
            [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", str(int(NOW.timestamp()) + 90))],
            FailureCode.RATE_LIMITED,
        ),
    ],
)
def test_each_failure_of_the_api_has_its_code(
    github: ReplayedGithub, status: int, headers: list[tuple[str, str]], code: FailureCode
) -> None:
    github.api.answers[("GET", "/repos/octo/demo/tarball/main")] = Answer(status, headers, b'{"message": "x"}')

    with pytest.raises(ImportFailed) as failed, downloads(github).repository_tarball("octo", "demo", "main", TOKEN):
        pass

    assert failed.value.code is code
    assert github.codeload.received == []


def test_a_rate_limit_says_when_to_try_again(github: ReplayedGithub) -> None:
    reset = [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", str(int(NOW.timestamp()) + 90))]
    github.api.answers[("GET", "/repos/octo/demo/tarball/main")] = Answer(403, reset)

    with pytest.raises(ImportFailed) as failed, downloads(github).repository_tarball("octo", "demo", "main", TOKEN):
        pass

    assert failed.value.retry_at == NOW + timedelta(seconds=90)


def test_a_missing_public_repository_is_not_found_or_no_access(github: ReplayedGithub) -> None:
    with pytest.raises(ImportFailed) as failed, downloads(github).public_tarball("octo", "missing", None):
        pass

    assert failed.value.code is FailureCode.NOT_FOUND_OR_NO_ACCESS


def test_a_redirect_to_another_host_is_not_followed(github: ReplayedGithub) -> None:
    github.api.answers[("GET", "/repos/octo/demo/tarball/main")] = Answer(
        302, [("Location", "https://evil.example/steal?token=ABC")]
    )

    with pytest.raises(ImportFailed) as failed, downloads(github).repository_tarball("octo", "demo", "main", TOKEN):
        pass

    assert failed.value.code is FailureCode.INTERNAL
    assert github.codeload.received == []


def test_a_download_cut_off_midway_is_source_unavailable_not_an_unsafe_archive(github: ReplayedGithub) -> None:
    archive_bytes = github_archive({"README.md": os.urandom(200_000)})
    github.codeload.answers[("GET", "/octo/demo/legacy.tar.gz/main")] = Answer(
        200, body=archive_bytes, cut_after=20_000
    )

    with pytest.raises(ImportFailed) as failed, downloads(github).public_tarball("octo", "demo", "main") as archive:
        imported(archive)

    assert failed.value.code is FailureCode.SOURCE_UNAVAILABLE


def test_no_url_or_token_reaches_a_log_even_at_debug(github: ReplayedGithub, caplog: pytest.LogCaptureFixture) -> None:
    secret_location = f"{github.codeload.url}/octo/private/legacy.tar.gz/main?token=SECRETCODELOADTOKEN"
    github.api.answers[("GET", "/repos/octo/private/tarball/main")] = Answer(302, [("Location", secret_location)])
    github.codeload.answers[("GET", "/octo/private/legacy.tar.gz/main")] = Answer(
        200, body=github_archive({"README.md": b"# private\n"})
    )

    with (
        caplog.at_level(logging.DEBUG),
        downloads(github).repository_tarball("octo", "private", "main", TOKEN) as archive,
    ):
        imported(archive)

    assert github.codeload.received[0][1].endswith("?token=SECRETCODELOADTOKEN")
    assert "SECRETCODELOADTOKEN" not in caplog.text
    assert TOKEN.token not in caplog.text


def test_an_unreachable_host_is_source_unavailable() -> None:
    closed = ArchiveDownloads(
        api_url="http://127.0.0.1:9",
        codeload_url="http://127.0.0.1:9",
        http=urllib3.PoolManager(retries=False),
        clock=lambda: NOW,
    )

    with pytest.raises(ImportFailed) as failed, closed.public_tarball("octo", "demo", None):
        pass

    assert failed.value.code is FailureCode.SOURCE_UNAVAILABLE
