"""The import pipeline without AWS: what Lambda's event source mappings do, done by polling.

The data table's stream (DynamoDB Local and moto both implement DynamoDB Streams) is read shard by
shard and handed, as Lambda hands it, to handlers/import_outbox.py; the jobs queue (moto's SQS) is
received from and handed to handlers/import_worker.py one message at a time, deleting what succeeded and
leaving a failed message to the visibility timeout the worker set, as Lambda does with
ReportBatchItemFailures; the sweep (handlers/import_sweep.py) is handed EventBridge's scheduled event.
The same handlers, fed events of the same shape.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from local.lambda_context import LocalLambdaContext

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodbstreams.client import DynamoDBStreamsClient
    from mypy_boto3_sqs.client import SQSClient

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
STREAM_BATCH = 100


@dataclass
class LocalPipeline:
    dynamodb: DynamoDBClient
    streams: DynamoDBStreamsClient
    sqs: SQSClient
    queue_url: str
    outbox: Handler
    worker: Handler
    sweep: Handler | None = None
    table: str = "DataTable"
    region: str = "us-east-1"
    _iterators: dict[str, str | None] = field(default_factory=dict)
    _stream_arn: str | None = None

    def pump_stream(self) -> int:
        """Hands every stream record not handed yet to the outbox; returns how many there were."""
        if self._stream_arn is None:  # asked once: a table's stream keeps its ARN while it is on
            self._stream_arn = self.dynamodb.describe_table(TableName=self.table)["Table"].get("LatestStreamArn")
        stream_arn = self._stream_arn
        if stream_arn is None:
            return 0  # a table made without its stream (an external DynamoDB's): nothing is imported
        handed = 0
        for shard in self.streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
            handed += self._pump_shard(stream_arn, shard["ShardId"])
        return handed

    def _pump_shard(self, stream_arn: str, shard_id: str) -> int:
        if shard_id not in self._iterators:
            self._iterators[shard_id] = self.streams.get_shard_iterator(
                StreamArn=stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
        handed = 0
        while (iterator := self._iterators[shard_id]) is not None:
            page = self.streams.get_records(ShardIterator=iterator, Limit=STREAM_BATCH)
            records = [_lambda_record(record, stream_arn, self.region) for record in page["Records"]]
            if not records:
                self._iterators[shard_id] = page.get("NextShardIterator", iterator)
                break
            batch = {"Records": records}
            failures = self.outbox(batch, LocalLambdaContext.of("ImportOutboxFunction"))["batchItemFailures"]
            if failures:  # Lambda retries from the first failed record; so does this, on the next pump
                break
            handed += len(records)
            self._iterators[shard_id] = page.get("NextShardIterator")
        return handed

    def pump_queue(self) -> int:
        """Hands each visible job to the worker; returns how many were handed."""
        received = self.receive()
        self.hand(received)
        return len(received)

    def receive(self) -> list[dict[str, Any]]:
        """Up to 10 visible messages of the jobs queue, as SQS returns them, not handed to the worker yet."""
        received = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"], WaitTimeSeconds=0
        ).get("Messages", [])
        return [dict(message) for message in received]

    def hand(self, messages: Sequence[Mapping[str, Any]]) -> None:
        """Hands each received message to the worker, in this order; those it took are deleted."""
        for message in messages:
            job = {"Records": [_sqs_record(message, self.region)]}
            failures = self.worker(job, LocalLambdaContext.of("ImportWorkerFunction"))
            if not failures["batchItemFailures"]:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def pump_sweep(self) -> int:
        """Runs the sweep once, as its schedule does; returns how many overdue jobs it sent again."""
        if self.sweep is None:
            return 0
        answer = self.sweep(scheduled_event(self.region), LocalLambdaContext.of("ImportSweepFunction"))
        return int(answer["sent"])

    def run_until_idle(self, rounds: int = 20) -> None:
        """Pumps the stream and the queue until neither has anything left to hand (or `rounds` run out)."""
        for _ in range(rounds):
            if self.pump_stream() + self.pump_queue() == 0:
                return


def scheduled_event(region: str, moment: datetime | None = None) -> dict[str, Any]:
    """The event EventBridge hands a function on its schedule (a rule's "Scheduled Event")."""
    at = (moment or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": at,
        "region": region,
        "resources": [f"arn:aws:events:{region}:123456789012:rule/neptun-imports-ImportSweepFunctionEveryFifte"],
        "detail": {},
    }


def _lambda_record(record: Mapping[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """A stream record as Lambda delivers it (ApproximateCreationDateTime in epoch seconds)."""
    change = dict(record["dynamodb"])
    created = change.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        change["ApproximateCreationDateTime"] = created.timestamp()
    return {
        "eventID": record.get("eventID", uuid.uuid4().hex),
        "eventName": record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": change,
        "eventSourceARN": stream_arn,
    }


def _sqs_record(message: Mapping[str, Any], region: str) -> dict[str, Any]:
    """A received message as Lambda's SQS event source delivers it."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {},
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{region}:000000000000:jobs",
        "awsRegion": region,
    }
