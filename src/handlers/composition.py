"""Builds the service from the environment, once per execution environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from dynamodb_store.store import DynamoDBImportStore
from s3_store.content import PARALLEL_GETS, S3ContentReader
from s3_store.uploads import S3UploadSigner

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

# Standard retry mode retries throttling, 5xx and connection errors with backoff. Three attempts of
# at most 1 s to connect and 2 s to read fit inside the function's 12 s timeout (template.yaml).
DYNAMODB_READ_TIMEOUT_SECONDS = 2
DYNAMODB_CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3},
    connect_timeout=1,
    read_timeout=DYNAMODB_READ_TIMEOUT_SECONDS,
    tcp_keepalive=True,
)


# The files routes read kept content from S3 inside the same 12 s: the same attempts, a little more to
# read, and a connection for each GET a digest makes at once.
S3_CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3},
    connect_timeout=1,
    read_timeout=3,
    tcp_keepalive=True,
    max_pool_connections=PARALLEL_GETS,
)


# Signing a POST makes no request. SigV4 is the only signature S3 accepts in every region; virtual-hosted
# addressing gives the bucket's regional URL (`https://<bucket>.s3.<region>.amazonaws.com/`), which a
# browser reaches without a redirect (botocore keeps path style for a local endpoint such as moto's).
S3_SIGNING_CONFIG = Config(signature_version="s3v4", s3={"addressing_style": "virtual"})


class MissingSetting(Exception):
    """A required environment variable is not set."""


@dataclass(frozen=True)
class Settings:
    sessions_table: str
    data_table: str
    dynamodb_endpoint_url: str | None  # None: the region's DynamoDB endpoint
    # Only make run sets another: moto answers one request at a time, copying a whole table for each
    # transaction, so under a local load test its answers queue for longer than DynamoDB's ever take.
    dynamodb_read_timeout_seconds: float = DYNAMODB_READ_TIMEOUT_SECONDS

    @classmethod
    def from_environment(cls) -> Settings:
        read_timeout = os.environ.get("DYNAMODB_READ_TIMEOUT_SECONDS", "").strip()
        return cls(
            sessions_table=_required("SESSIONS_TABLE_NAME"),
            data_table=_required("DATA_TABLE_NAME"),
            dynamodb_endpoint_url=os.environ.get("DYNAMODB_ENDPOINT_URL", "").strip() or None,
            dynamodb_read_timeout_seconds=float(read_timeout) if read_timeout else DYNAMODB_READ_TIMEOUT_SECONDS,
        )


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise MissingSetting(f"environment variable {name} must name a DynamoDB table")
    return value


def dynamodb_client(settings: Settings) -> DynamoDBClient:
    config = DYNAMODB_CLIENT_CONFIG
    if settings.dynamodb_read_timeout_seconds != DYNAMODB_READ_TIMEOUT_SECONDS:
        config = config.merge(Config(read_timeout=settings.dynamodb_read_timeout_seconds))
    return boto3.client("dynamodb", endpoint_url=settings.dynamodb_endpoint_url, config=config)


def import_store(settings: Settings, client: DynamoDBClient) -> DynamoDBImportStore:
    """The storage every use case of a function shares."""
    return DynamoDBImportStore(client, settings.sessions_table, settings.data_table)


def content_bucket() -> str:
    """The bucket kept content is in (s3_store/content.py)."""
    value = os.environ.get("CONTENT_BUCKET_NAME", "").strip()
    if not value:
        raise MissingSetting("environment variable CONTENT_BUCKET_NAME must name the content bucket")
    return value


def kept_content_reader() -> S3ContentReader:
    return S3ContentReader(boto3.client("s3", config=S3_CLIENT_CONFIG), content_bucket())


def upload_signer() -> S3UploadSigner:
    """Signs the POSTs of the upload bucket (s3_store/uploads.py), named by UPLOAD_BUCKET_NAME."""
    bucket = os.environ.get("UPLOAD_BUCKET_NAME", "").strip()
    if not bucket:
        raise MissingSetting("environment variable UPLOAD_BUCKET_NAME must name the upload bucket")
    return S3UploadSigner(boto3.client("s3", config=S3_SIGNING_CONFIG), bucket)
