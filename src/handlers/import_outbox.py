"""Lambda entry point for the data table's stream: each committed write that asks for work becomes a
message on the import jobs queue (dynamodb_store/stream_records.py says which).

Powertools' batch utility reports the records that failed, so Lambda retries from the first of them
(ReportBatchItemFailures) and the others are not sent twice more than they must be; a message sent
twice is harmless (the worker's claim and the deletion of a released prefix are idempotent).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from dynamodb_store.stream_records import ContentReleased, RunWanted, Work, work_from_record
from handlers.import_messages import ReleaseMessage, ReleaseUploadMessage, RunMessage, delay_seconds
from handlers.pipeline_composition import jobs_queue_url, utc_now

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient

logger = Logger()
# This function's own metric set (see handlers/create_import.py).
metrics = EphemeralMetrics()


@dataclass(frozen=True)
class Outbox:
    sqs: SQSClient
    jobs_queue_url: str


outbox = Outbox(boto3.client("sqs"), jobs_queue_url())
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


def send(work: Work) -> None:
    message: RunMessage | ReleaseMessage | ReleaseUploadMessage
    delay = 0
    if isinstance(work, RunWanted):
        message = RunMessage.of(work.job, work.not_before)
        delay = delay_seconds(work.not_before, utc_now())
        metric = "ImportJobQueued"
    elif isinstance(work, ContentReleased):
        message, metric = ReleaseMessage(prefix=work.prefix), "ContentReleaseQueued"
    else:
        message, metric = ReleaseUploadMessage(key=work.key), "UploadReleaseQueued"
    outbox.sqs.send_message(QueueUrl=outbox.jobs_queue_url, MessageBody=message.model_dump_json(), DelaySeconds=delay)
    metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)


def record_handler(record: DynamoDBRecord) -> None:
    metrics.add_metric(name="StreamRecordRead", unit=MetricUnit.Count, value=1)
    for work in work_from_record(record.raw_event):
        send(work)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
