"""Builds the import pipeline's parts from the environment (template.yaml sets it; `make run` too).

| variable                              | what it is                                                  |
| ------------------------------------- | ----------------------------------------------------------- |
| `IMPORT_JOBS_QUEUE_URL`               | the queue between the outbox and the worker                 |
| `CONTENT_BUCKET_NAME`                 | where kept content goes (s3_store/content.py)                |
| `UPLOAD_BUCKET_NAME`                  | where folders' archives arrive (s3_store/uploads.py)         |
| `IMPORT_JOB_MAX_RECEIVES`             | the queue's maxReceiveCount: the last try gives the job up  |
| `GITHUB_APP_ID`                       | the App's client id (or App id): the JWT's `iss`            |
| `GITHUB_APP_PRIVATE_KEY_PARAMETER`    | the SSM SecureString holding its PEM private key            |
| `GITHUB_APP_PRIVATE_KEY`              | locally only: the PEM itself (the stand-in's key)           |
| `NEPTUN_GITHUB_API_URL`               | default https://api.github.com                              |
| `NEPTUN_GITHUB_CODELOAD_URL`          | default https://codeload.github.com                         |

Not `GITHUB_API_URL`: every GitHub Actions runner sets that one. Local S3 and SQS endpoints come from
botocore's own `AWS_ENDPOINT_URL_S3` and `AWS_ENDPOINT_URL_SQS`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime

import urllib3
from aws_lambda_powertools.utilities import parameters

from handlers.composition import MissingSetting, content_bucket

DEFAULT_GITHUB_API_URL = "https://api.github.com"
DEFAULT_GITHUB_CODELOAD_URL = "https://codeload.github.com"
KEY_CACHE_SECONDS = 300
# GitHub's 5xx are tried twice more, half a second then a second apart, before `source_unavailable`.
GITHUB_RETRIES = urllib3.Retry(
    total=2,
    status_forcelist=(500, 502, 503, 504),
    backoff_factor=0.5,
    allowed_methods=None,
    redirect=False,
    raise_on_status=False,
    respect_retry_after_header=False,
)


@dataclass(frozen=True)
class PipelineSettings:
    jobs_queue_url: str
    content_bucket: str
    upload_bucket: str
    max_receives: int
    github_app_id: str
    github_app_key_parameter: str | None
    github_app_key_local: str | None
    github_api_url: str
    github_codeload_url: str

    @classmethod
    def from_environment(cls) -> PipelineSettings:
        return cls(
            jobs_queue_url=jobs_queue_url(),
            content_bucket=content_bucket(),
            upload_bucket=_required("UPLOAD_BUCKET_NAME"),
            max_receives=int(_required("IMPORT_JOB_MAX_RECEIVES")),
            github_app_id=os.environ.get("GITHUB_APP_ID", "").strip(),
            github_app_key_parameter=os.environ.get("GITHUB_APP_PRIVATE_KEY_PARAMETER", "").strip() or None,
            github_app_key_local=os.environ.get("GITHUB_APP_PRIVATE_KEY") or None,
            github_api_url=os.environ.get("NEPTUN_GITHUB_API_URL", "").strip() or DEFAULT_GITHUB_API_URL,
            github_codeload_url=os.environ.get("NEPTUN_GITHUB_CODELOAD_URL", "").strip() or DEFAULT_GITHUB_CODELOAD_URL,
        )

    def app_private_key(self) -> str:
        """The App's PEM key: from Parameter Store (cached five minutes), or locally from the environment."""
        if self.github_app_key_parameter is not None:
            return str(parameters.get_parameter(self.github_app_key_parameter, decrypt=True, max_age=KEY_CACHE_SECONDS))
        if self.github_app_key_local is not None:
            return self.github_app_key_local
        raise MissingSetting("GITHUB_APP_PRIVATE_KEY_PARAMETER must name the GitHub App's private key")


def jobs_queue_url() -> str:
    """The one setting the outbox needs."""
    return _required("IMPORT_JOBS_QUEUE_URL")


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise MissingSetting(f"environment variable {name} must be set")
    return value


def utc_now() -> datetime:
    return datetime.now(UTC)


def github_http() -> urllib3.PoolManager:
    return urllib3.PoolManager(retries=GITHUB_RETRIES)
