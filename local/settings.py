"""Settings of the local runtime, from environment variables, and what follows from them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3

from local.template import every_function_environment

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

# Any credentials do for moto or DynamoDB Local; botocore only needs something to sign with.
LOCAL_REGION = "us-east-1"  # the region the local runtime uses unless AWS_DEFAULT_REGION says otherwise
# The webhook secret `make run` checks deliveries against unless GITHUB_WEBHOOK_SECRET says otherwise;
# `make webhook` signs with the same. A local demo value: never the secret of a real GitHub App.
DEMO_WEBHOOK_SECRET = "local-demo-webhook-secret"  # noqa: S105
DEFAULT_API_PORT = 3000
LOCAL_READ_TIMEOUT = "10"
_PLACEHOLDER_AWS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": LOCAL_REGION}


@dataclass(frozen=True)
class LocalSettings:
    api_port: int
    dynamodb_host: str
    dynamodb_port: int
    external_dynamodb: str | None  # DYNAMODB_ENDPOINT_URL: use that DynamoDB instead of an embedded one
    seed_external: bool

    @classmethod
    def from_environment(cls) -> LocalSettings:
        return cls(
            api_port=int(os.environ.get("PORT", str(DEFAULT_API_PORT))),
            dynamodb_host=os.environ.get("DYNAMODB_HOST", "127.0.0.1"),
            dynamodb_port=int(os.environ.get("DYNAMODB_PORT", "8000")),
            external_dynamodb=os.environ.get("DYNAMODB_ENDPOINT_URL") or None,
            seed_external=os.environ.get("SEED_DEMO_DATA", "") == "1",
        )

    @property
    def dynamodb_endpoint(self) -> str:
        if self.external_dynamodb:
            return self.external_dynamodb
        host = "127.0.0.1" if self.dynamodb_host in {"0.0.0.0", ""} else self.dynamodb_host  # noqa: S104
        return f"http://{host}:{self.dynamodb_port}"


def use_placeholder_credentials() -> None:
    """Any credentials and a region, unless the environment has its own: local AWS stand-ins need some."""
    for name, value in _PLACEHOLDER_AWS.items():
        os.environ.setdefault(name, value)


def configure_handler_environment(dynamodb_endpoint: str, importing: dict[str, str] | None = None) -> None:
    """Set what the Lambda runtime would: the template's variables, pointed at the given DynamoDB.

    Must run before any handler module is imported, since each reads its settings on import. One local
    process serves every function, so it gets the union of their environments. `importing` points the
    import pipeline's functions at make run's S3, SQS and GitHub (local/importing.py).
    """
    use_placeholder_credentials()
    os.environ.update(
        every_function_environment()
        | {
            "DYNAMODB_ENDPOINT_URL": dynamodb_endpoint,
            # A local DynamoDB may queue requests far longer than DynamoDB (composition.py says why).
            "DYNAMODB_READ_TIMEOUT_SECONDS": os.environ.get("DYNAMODB_READ_TIMEOUT_SECONDS", LOCAL_READ_TIMEOUT),
        }
        | local_webhook_environment()
        | (importing or {})
    )


def local_webhook_environment() -> dict[str, str]:
    """Locally the webhook's secret is an environment variable, not a Parameter Store parameter."""
    return {"GITHUB_WEBHOOK_SECRET_PARAMETER": "", "GITHUB_WEBHOOK_SECRET": local_webhook_secret()}


def local_webhook_secret() -> str:
    return os.environ.get("GITHUB_WEBHOOK_SECRET") or DEMO_WEBHOOK_SECRET


def local_dynamodb_client(endpoint: str, region: str | None = None) -> DynamoDBClient:
    """A client for a local DynamoDB; moto and DynamoDB Local keep tables per region, like AWS."""
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=region or os.environ.get("AWS_DEFAULT_REGION", _PLACEHOLDER_AWS["AWS_DEFAULT_REGION"]),
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", _PLACEHOLDER_AWS["AWS_ACCESS_KEY_ID"]),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", _PLACEHOLDER_AWS["AWS_SECRET_ACCESS_KEY"]),
    )
