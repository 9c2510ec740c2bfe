"""Lambda entry point of the import sweep, every 15 minutes (template.yaml): overdue runs' jobs sent again.

What counts as overdue and why is domain/import_sweep.py's; the runs_due index it reads is
dynamodb_store/keys.py's. A sweep that fails is tried again by its next run (the Errors alarm says so).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from domain.import_sweep import sweep
from dynamodb_store.runs import DynamoRunStore
from handlers.composition import Settings, dynamodb_client
from handlers.import_messages import RunMessage
from handlers.pipeline_composition import jobs_queue_url, utc_now

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

    from domain.import_runs import ImportJob

logger = Logger()
# This function's own metric set (see handlers/create_import.py).
metrics = EphemeralMetrics()
# SendMessageBatch's most entries.
_BATCH = 10


class JobsNotQueued(Exception):
    """SQS refused some of a batch's messages."""


@dataclass(frozen=True)
class SqsJobQueue:
    """domain.import_sweep.JobQueue on the import jobs queue, ten messages a request."""

    sqs: SQSClient
    queue_url: str

    def send(self, jobs: Sequence[ImportJob]) -> None:
        for start in range(0, len(jobs), _BATCH):
            entries: list[SendMessageBatchRequestEntryTypeDef] = [
                {"Id": str(index), "MessageBody": RunMessage.of(job).model_dump_json()}
                for index, job in enumerate(jobs[start : start + _BATCH])
            ]
            failed = self.sqs.send_message_batch(QueueUrl=self.queue_url, Entries=entries).get("Failed", [])
            if failed:
                raise JobsNotQueued(f"SQS refused {len(failed)} of {len(entries)} jobs: {failed[0].get('Code')}")


@dataclass(frozen=True)
class Sweeper:
    runs: DynamoRunStore
    queue: SqsJobQueue


settings = Settings.from_environment()
sweeper = Sweeper(
    DynamoRunStore(dynamodb_client(settings), settings.data_table), SqsJobQueue(boto3.client("sqs"), jobs_queue_url())
)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = sweep(sweeper.runs, sweeper.queue, utc_now())
    metrics.add_metric(name="OverdueImportJobsSent", unit=MetricUnit.Count, value=result.sent)
    if result.sent:  # every one is a job the pipeline lost: worth a look
        logger.warning("overdue import jobs sent again", extra={"sent": result.sent, "more": result.more})
    return {"sent": result.sent, "more": result.more}
