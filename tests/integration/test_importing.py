"""An import run end to end in one process: moto's DynamoDB and S3, GitHub as recorded, the real policy,
reader and secret scanner. What a run leaves in the table and the bucket, and what it never leaves."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import boto3
import pytest
import urllib3

from domain.access import GithubInstallation, RepositorySelection
from domain.import_runs import Importer, ImportJob, RunOutcome
from domain.source_paths import GithubRepository
from dynamodb_store.runs import DynamoRunStore
from github_client.app_tokens import InstallationToken
from github_client.archives import ArchiveDownloads
from github_client.source import GithubArchiveSource, InstallationReader
from importer.secret_scan import DetectSecretsScanner
from importer.tar_archive import read_archive
from importer.token_counts import O200kTokenCounter
from s3_store.content import S3ContentStore
from tests.api_client import GITHUB_IMPORT, call, import_path, post_imports, stored_import_item
from tests.archives import COMMIT, github_archive
from tests.github_replay import Answer, ReplayedGithub, replayed_github

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_s3.client import S3Client

pytestmark = pytest.mark.usefixtures("demo_token")
BUCKET = "neptun-content-test"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PARTITION = {"S": "USER#1#PROJECT#789"}
FAKE_AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
REPOSITORY = {
    "package.json": b'{"name": "demo", "scripts": {"test": "vitest"}}\n',
    "Dockerfile": b"FROM node:22-slim\n",
    ".github/workflows/test.yml": b"on: push\n",
    "README.md": "# Démo\n".encode(),
    "docs/deploy.md": f'Deploy with AWS_ACCESS_KEY_ID = "{FAKE_AWS_KEY}"\n'.encode(),
    "assets/logo.png": b"\x89PNG\r\n\x1a\n\0\0",
    "src/main.ts": b"export {}\n",
}


class FixedTokens:
    """Stands in for InstallationTokens (tested against a JWT-checking endpoint on its own)."""

    def __init__(self) -> None:
        self.asked: list[tuple[int, str]] = []

    def for_repository(self, installation_id: int, repository_name: str) -> InstallationToken:
        self.asked.append((installation_id, repository_name))
        return InstallationToken("ghs_" + "t" * 36, NOW.replace(hour=13))


@pytest.fixture
def s3(dynamodb: DynamoDBClient) -> S3Client:  # inside the dynamodb fixture's mock_aws
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    return client


@pytest.fixture
def github() -> Iterator[ReplayedGithub]:
    with replayed_github() as replayed:
        replayed.api.answers[("GET", "/repos/username/repository/tarball")] = Answer(
            302, [("Location", f"{replayed.codeload.url}/username/repository/legacy.tar.gz/HEAD")]
        )
        replayed.codeload.answers[("GET", "/username/repository/legacy.tar.gz/HEAD")] = Answer(
            200, body=github_archive(REPOSITORY)
        )
        yield replayed


def installed(repository: GithubRepository) -> GithubInstallation | None:
    return GithubInstallation(7, repository.owner, 21031067, RepositorySelection.ALL, frozenset())


def importer(
    dynamodb: DynamoDBClient,
    s3: S3Client,
    github: ReplayedGithub,
    installations: InstallationReader = installed,
) -> Importer:
    downloads = ArchiveDownloads(
        api_url=github.api.url,
        codeload_url=github.codeload.url,
        http=urllib3.PoolManager(retries=False),
        clock=lambda: NOW,
    )
    source = GithubArchiveSource(installations=installations, tokens=FixedTokens(), downloads=downloads)
    ids = iter(f"run{n}" for n in range(1, 100))
    return Importer(
        runs=DynamoRunStore(dynamodb, "DataTable"),
        content=S3ContentStore(s3, BUCKET),
        source=source,
        read_archive=read_archive,
        open_scanner=DetectSecretsScanner,
        token_counter=O200kTokenCounter(),
        clock=lambda: NOW,
        new_run_id=lambda: next(ids),
    )


def created_job(dynamodb: DynamoDBClient) -> ImportJob:
    response = post_imports(GITHUB_IMPORT)
    assert response.status == 201, response.text
    import_id = response.json()["import"]["id"]
    return ImportJob(1, 789, import_id, stored_import_item(dynamodb, import_id)["run_start_id"]["S"])


def objects(s3: S3Client) -> dict[str, bytes]:
    listed = s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return {entry["Key"]: s3.get_object(Bucket=BUCKET, Key=entry["Key"])["Body"].read() for entry in listed}


def test_an_import_is_fetched_judged_scanned_and_stored(
    dynamodb: DynamoDBClient, s3: S3Client, github: ReplayedGithub
) -> None:
    job = created_job(dynamodb)
    result = importer(dynamodb, s3, github).run(job)

    assert result.outcome is RunOutcome.COMPLETED
    stored = stored_import_item(dynamodb, job.import_id)
    assert stored["commit_sha"] == {"S": COMMIT}
    prefix = stored["content_prefix"]["S"]
    assert prefix == f"imports/1/789/{job.import_id}/runs/run1/"
    content = objects(s3)
    kept = json.loads(content[prefix + "kept.json"])
    assert set(kept) == {"package.json", "Dockerfile", ".github/workflows/test.yml", "README.md"}
    pack = content[prefix + "packs/0"]  # all four, in order, in one pack
    assert all(pack[entry["offset"] :][: entry["size"]] == REPOSITORY[path] for path, entry in kept.items())
    listing = {row["path"]: row for row in json.loads(content[prefix + "listing/0.json"])}
    assert listing["docs/deploy.md"]["skipped_reason"] == "secret"
    assert listing["docs/deploy.md"]["secrets"] == [{"line": 1, "kind": "AWS Access Key"}]
    assert listing["assets/logo.png"]["skipped_reason"] == "not_selected"
    assert FAKE_AWS_KEY.encode() not in b"".join(content.values())
    assert stored["context"]["M"] == {
        "files": {"N": "4"},
        "bytes": {"N": str(sum(len(REPOSITORY[path]) for path in kept))},
        "skipped_files": {"N": "3"},
        "secrets_found": {"N": "1"},
        "tokens": {"N": str(sum(entry["tokens"] for entry in kept.values()))},
    }
    counter = O200kTokenCounter()
    assert {path: entry["tokens"] for path, entry in kept.items()} == {
        path: counter.count(REPOSITORY[path].decode()) for path in kept
    }
    assert {path: row["tokens"] for path, row in listing.items() if not row["included"]} == dict.fromkeys(
        ["docs/deploy.md", "assets/logo.png", "src/main.ts"], None
    )
    assert json.loads(content[prefix + "manifest.json"])["commit_sha"] == COMMIT


def test_a_run_reads_github_in_two_requests_and_codeload_gets_no_token(
    dynamodb: DynamoDBClient, s3: S3Client, github: ReplayedGithub
) -> None:
    job = created_job(dynamodb)
    importer(dynamodb, s3, github).run(job)

    assert [path for _, path, _ in github.api.received] == ["/repos/username/repository/tarball"]
    assert [path for _, path, _ in github.codeload.received] == ["/username/repository/legacy.tar.gz/HEAD"]
    assert "Authorization" not in github.codeload.received[0][2]


def test_without_an_installation_the_import_fails_and_github_is_not_asked(
    dynamodb: DynamoDBClient, s3: S3Client, github: ReplayedGithub
) -> None:
    job = created_job(dynamodb)
    result = importer(dynamodb, s3, github, installations=lambda repository: None).run(job)

    assert result.outcome is RunOutcome.FAILED
    assert stored_import_item(dynamodb, job.import_id)["run_error"]["M"]["code"] == {"S": "installation_missing"}
    assert github.api.received == []
    assert objects(s3) == {}


def test_a_missing_repository_fails_and_leaves_nothing_in_the_bucket(
    dynamodb: DynamoDBClient, s3: S3Client, github: ReplayedGithub
) -> None:
    del github.api.answers[("GET", "/repos/username/repository/tarball")]  # GitHub answers 404
    job = created_job(dynamodb)
    importer(dynamodb, s3, github).run(job)

    assert stored_import_item(dynamodb, job.import_id)["run_error"]["M"]["code"] == {"S": "not_found_or_no_access"}
    assert objects(s3) == {}


def test_an_import_deleted_while_it_runs_keeps_nothing(
    dynamodb: DynamoDBClient, s3: S3Client, github: ReplayedGithub
) -> None:
    job = created_job(dynamodb)

    def deleted_meanwhile(repository: GithubRepository) -> GithubInstallation | None:
        assert call("DELETE", import_path(job.import_id)).status == 204
        return installed(repository)

    result = importer(dynamodb, s3, github, installations=deleted_meanwhile).run(job)

    assert result.outcome is RunOutcome.LOST
    assert objects(s3) == {}
    assert stored_import_item(dynamodb, job.import_id) == {}


def test_the_same_job_twice_imports_once(dynamodb: DynamoDBClient, s3: S3Client, github: ReplayedGithub) -> None:
    job = created_job(dynamodb)
    runner = importer(dynamodb, s3, github)
    outcomes = [runner.run(job).outcome, runner.run(job).outcome]

    assert outcomes == [RunOutcome.COMPLETED, RunOutcome.NOT_CLAIMED]
    assert len(github.codeload.received) == 1
    assert {key.split("/runs/")[1].split("/")[0] for key in objects(s3)} == {"run1"}
