"""The import sweep on moto: a run whose job was lost is found through the runs_due index once overdue,
its job sent again and the import completed; runs that are over, or wait for an upload, are never read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from domain.import_runs import OVERDUE_AFTER, RUN_LEASE, ImportJob
from dynamodb_store import keys
from dynamodb_store.runs import DynamoRunStore
from handlers import import_sweep
from local.lambda_context import LocalLambdaContext
from local.pipeline import LocalPipeline
from tests.api_client import FOLDER_IMPORT, GITHUB_IMPORT, assert_copies_match_imports, post_imports, stored_import_item
from tests.conftest import RequestCounter
from tests.in_process_pipeline import as_function

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

pytestmark = pytest.mark.usefixtures("demo_token")


def created(body: dict[str, Any]) -> int:
    response = post_imports(body)
    assert response.status == 201, response.text
    import_id: int = response.json()["import"]["id"]
    return import_id


def lose_the_jobs(pipeline: LocalPipeline) -> None:
    """The stream's records handed on, the jobs they queued gone: as if a message was deleted by hand."""
    pipeline.pump_stream()
    drop_queued_jobs(pipeline)


def drop_queued_jobs(pipeline: LocalPipeline) -> None:
    # Received and deleted rather than purged: SQS allows one purge a minute.
    while messages := pipeline.sqs.receive_message(QueueUrl=pipeline.queue_url, MaxNumberOfMessages=10).get(
        "Messages", []
    ):
        for message in messages:
            pipeline.sqs.delete_message(QueueUrl=pipeline.queue_url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
def sweep_at(pipeline: LocalPipeline, dynamodb: DynamoDBClient, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Runs the sweep's Lambda handler (under its IAM policy) as if it were `moment`; returns its answer."""
    monkeypatch.setattr(
        import_sweep,
        "sweeper",
        import_sweep.Sweeper(
            DynamoRunStore(dynamodb, "DataTable"), import_sweep.SqsJobQueue(pipeline.sqs, pipeline.queue_url)
        ),
    )

    def sweep(moment: datetime) -> dict[str, Any]:
        monkeypatch.setattr(import_sweep, "utc_now", lambda: moment)
        handler = as_function("ImportSweepFunction", import_sweep.lambda_handler)
        answer: dict[str, Any] = handler({}, LocalLambdaContext.of("ImportSweepFunction"))
        return answer

    return sweep


def due_at(dynamodb: DynamoDBClient, import_id: int) -> datetime | None:
    item = stored_import_item(dynamodb, import_id)
    return datetime.fromtimestamp(int(item[keys.RUN_DUE_AT]["N"]), UTC) if keys.RUN_DUE_AT in item else None


def a_lost_job(dynamodb: DynamoDBClient, pipeline: LocalPipeline) -> tuple[int, datetime]:
    """A created `github` import whose job was lost; its id and when its run is overdue."""
    import_id = created(GITHUB_IMPORT)
    lose_the_jobs(pipeline)
    due = due_at(dynamodb, import_id)
    assert due is not None
    return import_id, due


def test_a_lost_job_is_sent_again_once_its_run_is_overdue_and_the_import_completes(
    dynamodb: DynamoDBClient, pipeline: LocalPipeline, sweep_at: Any
) -> None:
    import_id, due = a_lost_job(dynamodb, pipeline)

    assert sweep_at(due - timedelta(seconds=1)) == {"sent": 0, "more": False}  # not lost yet, as far as anyone knows
    assert sweep_at(due) == {"sent": 1, "more": False}
    assert sweep_at(due + timedelta(minutes=15)) == {"sent": 0, "more": False}  # sent once, not at every sweep
    pipeline.run_until_idle()

    item = stored_import_item(dynamodb, import_id)
    assert item["run_status"] == {"S": "completed"}, item.get("run_error")
    assert due_at(dynamodb, import_id) is None  # over: out of the index
    assert sweep_at(due + timedelta(days=1)) == {"sent": 0, "more": False}
    assert_copies_match_imports(dynamodb)


def test_a_run_lost_again_is_sent_again_after_another_wait(
    dynamodb: DynamoDBClient, pipeline: LocalPipeline, sweep_at: Any
) -> None:
    import_id, due = a_lost_job(dynamodb, pipeline)
    assert sweep_at(due)["sent"] == 1
    drop_queued_jobs(pipeline)  # lost again

    assert due_at(dynamodb, import_id) == due + OVERDUE_AFTER
    assert sweep_at(due + OVERDUE_AFTER - timedelta(seconds=1))["sent"] == 0
    assert sweep_at(due + OVERDUE_AFTER)["sent"] == 1


def test_a_run_whose_worker_died_is_swept_after_its_lease_and_taken_over(
    dynamodb: DynamoDBClient, pipeline: LocalPipeline, sweep_at: Any
) -> None:
    import_id = created(GITHUB_IMPORT)
    lose_the_jobs(pipeline)
    item = stored_import_item(dynamodb, import_id)
    job = ImportJob(1, 789, import_id, item["run_start_id"]["S"])
    # A worker claimed it 20 minutes ago and died: its lease ended 4 minutes ago, and no retry came.
    claimed_at = datetime.now(UTC) - timedelta(minutes=20)
    assert DynamoRunStore(dynamodb, "DataTable").claim(job, "dead-run", claimed_at, claimed_at + RUN_LEASE)
    lease_end = claimed_at + RUN_LEASE
    assert due_at(dynamodb, import_id) == lease_end.replace(microsecond=0) + OVERDUE_AFTER

    assert sweep_at(lease_end + timedelta(minutes=1))["sent"] == 0  # its own retry may still come
    assert sweep_at(lease_end + OVERDUE_AFTER)["sent"] == 1
    pipeline.run_until_idle()

    assert stored_import_item(dynamodb, import_id)["run_status"] == {"S": "completed"}


def test_runs_that_are_over_or_await_an_upload_are_never_read(
    dynamodb: DynamoDBClient, pipeline: LocalPipeline, sweep_at: Any
) -> None:
    completed = created(GITHUB_IMPORT)
    folder = created(FOLDER_IMPORT)
    pipeline.run_until_idle()
    assert stored_import_item(dynamodb, completed)["run_status"] == {"S": "completed"}
    assert keys.RUN_DUE_AT not in stored_import_item(dynamodb, folder)
    requests = RequestCounter()
    dynamodb.meta.events.register("request-created.dynamodb", requests)
    try:
        answer = sweep_at(datetime.now(UTC) + timedelta(days=30))
    finally:
        dynamodb.meta.events.unregister("request-created.dynamodb", requests)

    assert answer == {"sent": 0, "more": False}
    # One Query a shard of the index, each finding nothing: nothing else is read, however many imports.
    assert requests.operations == ["Query"] * keys.RUNS_DUE_SHARDS
