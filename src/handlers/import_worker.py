"""Lambda entry point for the import jobs queue: one job a record, run by domain/import_runs.py.

| message | what the worker does                                                            |
| ------- | ------------------------------------------------------------------------------- |
| run     | not before `not_before` (sent on with the rest of the delay, not counted as a   |
|         | try); then one try of the run, unless its user has MAX_RUNS_IMPORTING_PER_USER  |
|         | runs importing (sent on for a minute later, not a try either). An exception     |
|         | leaves the record to SQS's retries, hidden 30 s, 60 s, 120 s, ... (at most 15   |
|         | minutes) after each failed try; on the last receive (IMPORT_JOB_MAX_RECEIVES)   |
|         | the import is first recorded `failed` / `internal`, then the record goes to the |
|         | dead-letter queue.                                                              |
| release | deletes the released run's content                                              |
| release_upload | deletes the released upload                                              |
| S3's    | an archive arrived in the upload bucket: its import's run starts, to read it    |
| event   | (an upload for no `local_folder` import is deleted); S3's test event is ignored |

A record that is not one of these messages is a poison record: it fails every try and ends in the
dead-letter queue, whose alarm says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from domain.import_runs import Archives, Importer, RunOutcome
from domain.models import UploadArrival
from domain.upload_arrivals import Arrival, UploadArrivals
from dynamodb_store.runs import DynamoRunStore
from dynamodb_store.store import new_write_token
from github_client.app_tokens import InstallationTokens
from github_client.archives import ArchiveDownloads
from github_client.source import GithubArchiveSource
from handlers.composition import Settings, dynamodb_client, import_store
from handlers.import_messages import (
    ArrivedObject,
    ReleaseMessage,
    RunMessage,
    delay_seconds,
    parse_arrival,
    parse_message,
)
from handlers.pipeline_composition import PipelineSettings, github_http, utc_now
from importer.secret_scan import DetectSecretsScanner
from importer.tar_archive import read_archive
from importer.token_counts import O200kTokenCounter
from importer.upload_archive import read_upload
from s3_store.content import S3ContentStore
from s3_store.uploads import S3Uploads, uploaded_object

if TYPE_CHECKING:
    from datetime import datetime

    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_sqs.client import SQSClient

logger = Logger()
# This function's own metric set (see handlers/create_import.py).
metrics = EphemeralMetrics()


@dataclass(frozen=True)
class Worker:
    importer: Importer
    content: S3ContentStore
    uploads: S3Uploads
    arrivals: UploadArrivals
    sqs: SQSClient
    pipeline: PipelineSettings


def compose(
    settings: Settings, pipeline: PipelineSettings, dynamodb: DynamoDBClient, s3: S3Client, sqs: SQSClient
) -> Worker:
    http = github_http()
    tokens = InstallationTokens(
        api_url=pipeline.github_api_url,
        app_id=pipeline.github_app_id,
        private_key=pipeline.app_private_key,
        http=http,
        clock=utc_now,
    )
    downloads = ArchiveDownloads(
        api_url=pipeline.github_api_url, codeload_url=pipeline.github_codeload_url, http=http, clock=utc_now
    )
    content = S3ContentStore(s3, pipeline.content_bucket)
    uploads = S3Uploads(s3, pipeline.upload_bucket)
    store = import_store(settings, dynamodb)
    importer = Importer(
        runs=DynamoRunStore(dynamodb, settings.data_table),
        content=content,
        source=GithubArchiveSource(installations=store.read_installation, tokens=tokens, downloads=downloads),
        read_archive=read_archive,
        open_scanner=DetectSecretsScanner,
        token_counter=O200kTokenCounter(),
        clock=utc_now,
        new_run_id=new_write_token,
        uploads=Archives(uploads, read_upload),
    )
    return Worker(importer, content, uploads, UploadArrivals(store), sqs, pipeline)


settings = Settings.from_environment()
dynamodb = dynamodb_client(settings)
worker = compose(settings, PipelineSettings.from_environment(), dynamodb, boto3.client("s3"), boto3.client("sqs"))
# A failed try is reported, not raised: its backoff and the dead-letter queue handle it (and the Errors
# alarm keeps meaning a crash, a timeout or a failed start).
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def retry_backoff_seconds(receives: int) -> int:
    """How long SQS hides a job after its try number `receives` failed: 30 s, doubling, at most 15 minutes."""
    return int(min(900, 30 * 2 ** (receives - 1)))


def run_job(message: RunMessage, receives: int, receipt_handle: str) -> None:
    now = utc_now()
    if message.not_before is not None and message.not_before > now:
        send_later(message, message.not_before, now)
        metrics.add_metric(name="ImportJobDelayed", unit=MetricUnit.Count, value=1)
        return
    with logger.append_context_keys(import_id=message.import_id):
        run_one_try(message, receives, receipt_handle)


def send_later(message: RunMessage, not_before: datetime, now: datetime) -> None:
    """The job again, for `not_before`: a new message, so the wait is not one of its tries."""
    later = message.model_copy(update={"not_before": not_before})
    worker.sqs.send_message(
        QueueUrl=worker.pipeline.jobs_queue_url,
        MessageBody=later.model_dump_json(),
        DelaySeconds=delay_seconds(not_before, now),
    )


def run_one_try(message: RunMessage, receives: int, receipt_handle: str) -> None:
    try:
        result = worker.importer.run(message.job)
    except Exception:
        logger.exception("import try failed", extra={"try": receives, "tries": worker.pipeline.max_receives})
        if receives >= worker.pipeline.max_receives:
            worker.importer.give_up(message.job)
            metrics.add_metric(name="ImportGivenUp", unit=MetricUnit.Count, value=1)
        else:  # the next try after a backoff, not after the queue's whole visibility timeout
            worker.sqs.change_message_visibility(
                QueueUrl=worker.pipeline.jobs_queue_url,
                ReceiptHandle=receipt_handle,
                VisibilityTimeout=retry_backoff_seconds(receives),
            )
        raise
    if result.outcome is RunOutcome.WAITING and result.retry_at is not None:  # its user's slots are taken
        send_later(message, result.retry_at, utc_now())
        metrics.add_metric(name="ImportJobWaitingForUser", unit=MetricUnit.Count, value=1)
        return
    logger.info("import run ended", extra={"outcome": result.outcome.value})
    metrics.add_metric(name="ImportRunEnded", unit=MetricUnit.Count, value=1)
    metrics.add_dimension(name="outcome", value=result.outcome.value)


def start_upload_runs(arrived: list[ArrivedObject]) -> None:
    for created in arrived:
        uploaded = uploaded_object(created.key)
        if created.bucket != worker.uploads.bucket or uploaded is None:  # nothing the service signed a form for
            logger.warning("an object the service never signed for", extra={"bucket": created.bucket})
            continue
        with logger.append_context_keys(import_id=uploaded.target.import_id):
            arrival = worker.arrivals.arrived(uploaded.target, UploadArrival(created.stored_at, uploaded.key))
            if arrival in (Arrival.UNWANTED, Arrival.SUPERSEDED):
                worker.uploads.remove(uploaded.key)  # its import is gone, reads a repository now, or has a newer one
            logger.info("upload arrived", extra={"arrival": arrival.value})
            metrics.add_metric(name="UploadArrived", unit=MetricUnit.Count, value=1)


def record_handler(record: SQSRecord) -> None:
    metrics.add_metric(name="ImportJobReceived", unit=MetricUnit.Count, value=1)
    arrived = parse_arrival(record.body)
    if arrived is not None:
        start_upload_runs(arrived)
        return
    message = parse_message(record.body)
    if isinstance(message, RunMessage):
        run_job(message, int(record.attributes.approximate_receive_count), record.receipt_handle)
    elif isinstance(message, ReleaseMessage):
        worker.content.discard(message.prefix)
        metrics.add_metric(name="ContentReleased", unit=MetricUnit.Count, value=1)
    else:
        worker.uploads.remove(message.key)
        metrics.add_metric(name="UploadReleased", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
