"""`make run`'s import pipeline: an embedded S3 and SQS (moto's server), the GitHub stand-in, and the data
table's stream and the jobs queue polled in a thread by the same handlers Lambda runs (local/pipeline.py).

The stand-in is used unless NEPTUN_GITHUB_API_URL is set (then the importer talks to that GitHub, as
the App GITHUB_APP_ID with the key in GITHUB_APP_PRIVATE_KEY). The demo import is imported like any other.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import boto3
from botocore.config import Config

from dynamodb_store.store import DynamoDBImportStore
from local import records
from local.embedded_dynamodb import EmbeddedDynamoDB
from local.github_standin import GithubStandIn, served_repositories
from local.pipeline import LocalPipeline
from local.post_policy import enforce_post_policies
from local.template import schedule_seconds

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

CONTENT_BUCKET = "neptun-local-content"
UPLOAD_BUCKET = "neptun-local-uploads"
# Each port its own variable: a server started beside another (the tests' many) is given free ones.
DEFAULT_PORTS = {"LOCAL_AWS_PORT": 4566, "LOCAL_GITHUB_PORT": 3001, "LOCAL_CODELOAD_PORT": 3002}
JOBS_QUEUE = "neptun-local-import-jobs"
IDLE_POLL_SECONDS = 0.25
BUSY_POLL_SECONDS = 0.05
logger = logging.getLogger(__name__)


@dataclass
class LocalImporting:
    """Binds its S3 and SQS port when made; start() starts them and the GitHub stand-in."""

    host: str = "127.0.0.1"
    aws: EmbeddedDynamoDB = field(init=False)
    github: GithubStandIn | None = field(init=False, default=None)
    queue_url: str = ""
    _stopping: threading.Event = field(default_factory=threading.Event)
    _poller: threading.Thread | None = None

    def __post_init__(self) -> None:
        # S3's checks of a browser POST (moto makes none), so that an upload's form meets them locally.
        checks = partial(enforce_post_policies, secret_for=signing_secret)
        self.aws = _bound("LOCAL_AWS_PORT", lambda port: EmbeddedDynamoDB(self.host, port, checks))

    @property
    def endpoint(self) -> str:
        return self.aws.endpoint

    def start(self, dynamodb: DynamoDBClient) -> dict[str, str]:
        """Starts S3, SQS and the stand-in; the environment the handlers need to use them."""
        self.aws.start()
        self._make_bucket_and_queue()
        environment = {
            "AWS_ENDPOINT_URL_S3": self.endpoint,
            "AWS_ENDPOINT_URL_SQS": self.endpoint,
            "CONTENT_BUCKET_NAME": CONTENT_BUCKET,
            "UPLOAD_BUCKET_NAME": UPLOAD_BUCKET,
            "IMPORT_JOBS_QUEUE_URL": self.queue_url,
        }
        if os.environ.get("NEPTUN_GITHUB_API_URL", "").strip():
            return environment  # the user's own GitHub (and App) instead of the stand-in
        github = self._start_github(dynamodb)
        return environment | {
            "NEPTUN_GITHUB_API_URL": github.api_url,
            "NEPTUN_GITHUB_CODELOAD_URL": github.codeload_url,
            "GITHUB_APP_ID": github.app_id,
            "GITHUB_APP_PRIVATE_KEY": github.app_private_key,
            "GITHUB_APP_PRIVATE_KEY_PARAMETER": "",
        }

    def _make_bucket_and_queue(self) -> None:
        s3 = boto3.client("s3", endpoint_url=self.endpoint)
        region = s3.meta.region_name
        for bucket in (CONTENT_BUCKET, UPLOAD_BUCKET):
            if region == "us-east-1":  # S3 refuses a location constraint naming its first region
                s3.create_bucket(Bucket=bucket)
            else:
                location: Any = {"LocationConstraint": region}
                s3.create_bucket(Bucket=bucket, CreateBucketConfiguration=location)
        sqs = boto3.client("sqs", endpoint_url=self.endpoint)
        self.queue_url = sqs.create_queue(QueueName=JOBS_QUEUE)["QueueUrl"]
        notify_arrivals(s3, UPLOAD_BUCKET, queue_arn(sqs, self.queue_url))

    def _start_github(self, dynamodb: DynamoDBClient) -> GithubStandIn:
        # Which installation covers a repository is what the service itself reads.
        store = DynamoDBImportStore(dynamodb, records.SESSIONS_TABLE, records.DATA_TABLE)
        self.github = GithubStandIn(
            served_repositories(os.environ.get("LOCAL_GITHUB_REPOSITORIES", "")),
            store.read_installation,
            host=self.host,
            api_port=port_setting("LOCAL_GITHUB_PORT"),
            codeload_port=port_setting("LOCAL_CODELOAD_PORT"),
        )
        try:
            self.github.start()
        except OSError as error:
            raise SystemExit(
                f"error: cannot serve the GitHub stand-in ({error.strerror}); set LOCAL_GITHUB_PORT and "
                "LOCAL_CODELOAD_PORT to free ports"
            ) from None
        return self.github

    def start_polling(self, dynamodb: DynamoDBClient, region: str) -> None:
        """Hands the stream's records to the outbox and the queue's jobs to the worker until stop()."""
        # Imported only now: each handler reads its environment on import, as in Lambda's init.
        from handlers import import_outbox, import_sweep, import_worker  # noqa: PLC0415

        pipeline = LocalPipeline(
            dynamodb=dynamodb,
            streams=boto3.client(
                "dynamodbstreams",
                endpoint_url=dynamodb.meta.endpoint_url,
                config=Config(account_id_endpoint_mode="disabled"),
            ),
            sqs=boto3.client("sqs", endpoint_url=self.endpoint),
            queue_url=self.queue_url,
            outbox=import_outbox.lambda_handler,
            worker=import_worker.lambda_handler,
            sweep=import_sweep.lambda_handler,
            region=region,
        )
        self._poller = threading.Thread(target=self._poll, args=(pipeline,), name="import-pipeline", daemon=True)
        self._poller.start()

    def _poll(self, pipeline: LocalPipeline) -> None:
        sweep_every = schedule_seconds("ImportSweepFunction")
        next_sweep = time.monotonic() + sweep_every
        while not self._stopping.is_set():
            try:
                handed = pipeline.pump_stream() + pipeline.pump_queue()
                if time.monotonic() >= next_sweep:  # as its schedule runs it in AWS
                    next_sweep = time.monotonic() + sweep_every
                    handed += pipeline.pump_sweep()
            except Exception:  # a failed poll is logged and tried again, as Lambda's pollers do
                if self._stopping.is_set():
                    return
                logger.exception("the local import pipeline's poll failed; trying again")
                handed = 0
            # A pause even when busy: moto serves one request at a time, and the API's come first.
            self._stopping.wait(BUSY_POLL_SECONDS if handed else IDLE_POLL_SECONDS)

    def banner_lines(self) -> list[str]:
        buckets = f"buckets {CONTENT_BUCKET} and {UPLOAD_BUCKET}"
        lines = [f"  S3, SQS:   {self.endpoint}  (embedded moto server: {buckets}, queue {JOBS_QUEUE})"]
        if self._poller is None:
            lines.append("  Imports:   not run here: the make run that made these tables runs them")
        if self.github is None:
            return [*lines, f"  GitHub:    {os.environ['NEPTUN_GITHUB_API_URL']}  (NEPTUN_GITHUB_API_URL)"]
        served = ", ".join(repository.full_name for repository in self.github.repositories.values())
        return [
            *lines,
            f"  GitHub:    {self.github.api_url}  (stand-in; codeload {self.github.codeload_url}): {served}",
        ]

    def stop(self) -> None:
        self._stopping.set()
        if self._poller is not None:
            self._poller.join(timeout=5)
        if self.github is not None:
            self.github.stop()
        self.aws.stop()


def queue_arn(sqs: Any, queue_url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]
    return str(attributes["QueueArn"])


def notify_arrivals(s3: Any, bucket: str, queue: str) -> None:
    """The upload bucket's notification of template.yaml: each object under uploads/ to the jobs queue."""
    rules: Any = [{"Name": "prefix", "Value": "uploads/"}]
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {"QueueArn": queue, "Events": ["s3:ObjectCreated:*"], "Filter": {"Key": {"FilterRules": rules}}}
            ]
        },
    )


def signing_secret(access_key_id: str) -> str | None:
    """The secret of the credentials this process signs with (the handlers' own), when the key is theirs."""
    credentials = boto3.Session().get_credentials()
    if credentials is None:
        return None
    frozen = credentials.get_frozen_credentials()
    return frozen.secret_key if frozen.access_key == access_key_id else None


def port_setting(name: str) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return DEFAULT_PORTS[name]
    if not value.isdigit() or not 0 <= int(value) <= 65535:
        raise SystemExit(f"error: {name} must be a port number, not {value!r}")
    return int(value)


_Bound = TypeVar("_Bound")


def _bound(name: str, bind: Callable[[int], _Bound]) -> _Bound:
    port = port_setting(name)
    try:
        return bind(port)
    except OSError as error:
        raise SystemExit(f"error: cannot listen on port {port} ({error.strerror}); set {name} to another one") from None
