"""What the tests that run the import pipeline in one process share (fixtures in tests/integration/conftest.py)."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from handlers import import_outbox, import_worker
from handlers.composition import Settings
from local.demo import DEMO_GITHUB_ACCOUNT, seed_demo_data
from local.importing import notify_arrivals, queue_arn
from local.pipeline import LocalPipeline
from local.tables import create_tables
from tests.iam_policy import running

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_sqs.client import SQSClient

BUCKET = "neptun-pipeline-test"
UPLOAD_BUCKET = "neptun-pipeline-uploads"
INSTALLATION_ID = zlib.crc32(DEMO_GITHUB_ACCOUNT.lower().encode())  # local/records.py's first id for a login
KEY_PEM = (
    rsa.generate_private_key(public_exponent=65537, key_size=2048)
    .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    .decode()
)
REPOSITORY = {"package.json": b'{"name": "demo"}\n', "README.md": b"# Demo\n", "src/main.py": b"print(1)\n"}


def as_function(function_id: str, handler: Callable[..., Any]) -> Callable[[dict[str, Any], Any], Any]:
    """The handler, its DynamoDB requests checked against its function's IAM policy (tests/iam_policy.py)."""

    def invoked(event: dict[str, Any], context: Any) -> Any:
        with running(function_id):
            return handler(event, context)

    return invoked


def in_process_pipeline(
    dynamodb: DynamoDBClient,
    monkeypatch: pytest.MonkeyPatch,
    *,
    api_url: str,
    codeload_url: str,
    app_key: str,
    app_id: str = "Iv23liPipelineTest",
    s3: S3Client | None = None,
) -> LocalPipeline:
    """The outbox and the worker on moto (the data table made again with its stream, the demo data in it,
    a bucket and a queue), the worker talking to this GitHub as this App."""
    dynamodb.delete_table(TableName="DataTable")
    create_tables(dynamodb, streams=True)  # the template's stream (the other tests' tables go without)
    seed_demo_data(dynamodb)
    s3 = s3 or boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    sqs: SQSClient = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    s3.create_bucket(Bucket=UPLOAD_BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    notify_arrivals(s3, UPLOAD_BUCKET, queue_arn(sqs, queue_url))
    settings = Settings.from_environment()
    pipeline_settings = replace(
        import_worker.worker.pipeline,
        jobs_queue_url=queue_url,
        content_bucket=BUCKET,
        upload_bucket=UPLOAD_BUCKET,
        github_app_id=app_id,
        github_app_key_parameter=None,
        github_app_key_local=app_key,
        github_api_url=api_url,
        github_codeload_url=codeload_url,
    )
    monkeypatch.setattr(import_worker, "worker", import_worker.compose(settings, pipeline_settings, dynamodb, s3, sqs))
    monkeypatch.setattr(import_outbox, "outbox", import_outbox.Outbox(sqs, queue_url))
    return LocalPipeline(
        dynamodb=dynamodb,
        # moto knows the regional endpoint, not the account-based one botocore picks from a stream ARN.
        streams=boto3.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled")),
        sqs=sqs,
        queue_url=queue_url,
        outbox=as_function("ImportOutboxFunction", import_outbox.lambda_handler),
        worker=as_function("ImportWorkerFunction", import_worker.lambda_handler),
        region="eu-west-1",
    )
