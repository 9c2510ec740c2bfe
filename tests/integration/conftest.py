"""The import pipeline in one process, as the integration tests that run it share it: moto's DynamoDB
(with the template's stream), S3 and SQS, GitHub as recorded, the outbox and the worker under their IAM."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from local.pipeline import LocalPipeline
from tests.archives import github_archive
from tests.github_replay import Answer, ReplayedGithub, replayed_github
from tests.in_process_pipeline import INSTALLATION_ID, KEY_PEM, REPOSITORY, in_process_pipeline

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


@pytest.fixture
def github() -> Iterator[ReplayedGithub]:
    with replayed_github() as replayed:
        token = {"token": "ghs_" + "p" * 36, "expires_at": "2099-01-01T00:00:00Z"}
        replayed.api.answers[("POST", f"/app/installations/{INSTALLATION_ID}/access_tokens")] = Answer(
            201, [("Content-Type", "application/json")], json.dumps(token).encode()
        )
        replayed.api.answers[("GET", "/repos/username/repository/tarball")] = Answer(
            302, [("Location", f"{replayed.codeload.url}/username/repository/legacy.tar.gz/HEAD")]
        )
        replayed.codeload.answers[("GET", "/username/repository/legacy.tar.gz/HEAD")] = Answer(
            200, body=github_archive(REPOSITORY)
        )
        yield replayed


@pytest.fixture
def pipeline(dynamodb: DynamoDBClient, github: ReplayedGithub, monkeypatch: pytest.MonkeyPatch) -> LocalPipeline:
    return in_process_pipeline(
        dynamodb, monkeypatch, api_url=github.api.url, codeload_url=github.codeload.url, app_key=KEY_PEM
    )
