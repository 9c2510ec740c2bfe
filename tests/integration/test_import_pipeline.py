"""The import pipeline in one process, on moto: a create's committed write goes through the data table's
stream, the outbox, the jobs queue and the worker, GitHub answering as recorded, to `completed`."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from domain.import_failures import FailureCode, ImportFailed
from domain.import_runs import MAX_RUNS_IMPORTING_PER_USER, RUN_LEASE, ImportJob
from dynamodb_store.runs import DynamoRunStore
from handlers import import_worker
from handlers.composition import Settings
from local.lambda_context import LocalLambdaContext
from local.pipeline import LocalPipeline
from tests.api_client import FOLDER_IMPORT, GITHUB_IMPORT, call, import_path, post_imports, stored_import_item
from tests.archives import COMMIT, github_archive
from tests.conftest import RequestCounter
from tests.github_replay import Answer, ReplayedGithub
from tests.in_process_pipeline import BUCKET, INSTALLATION_ID, KEY_PEM, REPOSITORY, as_function, in_process_pipeline

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_s3.client import S3Client

pytestmark = pytest.mark.usefixtures("demo_token")
PARTITION = {"S": "USER#1#PROJECT#789"}


def created(body: dict[str, Any]) -> int:
    response = post_imports(body)
    assert response.status == 201, response.text
    import_id: int = response.json()["import"]["id"]
    return import_id


def test_a_created_github_import_is_completed_by_the_pipeline(
    dynamodb: DynamoDBClient, pipeline: LocalPipeline, github: ReplayedGithub
) -> None:
    import_id = created(GITHUB_IMPORT)

    pipeline.run_until_idle()

    item = stored_import_item(dynamodb, import_id)
    assert item["run_status"] == {"S": "completed"}, item.get("run_error")
    assert item["commit_sha"] == {"S": COMMIT}
    assert item["context"]["M"]["files"] == {"N": "2"}
    token_request = github.api.received[0]
    assert token_request[1] == f"/app/installations/{INSTALLATION_ID}/access_tokens"


def test_a_folder_import_waits_for_its_upload_and_asks_github_nothing(
    dynamodb: DynamoDBClient, pipeline: LocalPipeline, github: ReplayedGithub
) -> None:
    import_id = created(FOLDER_IMPORT)

    pipeline.run_until_idle()

    assert stored_import_item(dynamodb, import_id)["run_status"] == {"S": "awaiting_upload"}
    assert github.api.received == []


def test_deleting_a_completed_import_deletes_its_content(dynamodb: DynamoDBClient, pipeline: LocalPipeline) -> None:
    import_id = created(GITHUB_IMPORT)
    pipeline.run_until_idle()
    s3 = boto3.client("s3")
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0) > 0

    assert call("DELETE", import_path(import_id)).status == 204
    pipeline.run_until_idle()

    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0) == 0


def test_a_new_source_imports_again_and_releases_the_old_content(
    dynamodb: DynamoDBClient, pipeline: LocalPipeline, github: ReplayedGithub
) -> None:
    import_id = created(GITHUB_IMPORT)
    pipeline.run_until_idle()
    first_prefix = stored_import_item(dynamodb, import_id)["content_prefix"]["S"]
    github.api.answers[("GET", "/repos/username/repository/tarball/v2")] = Answer(
        302, [("Location", f"{github.codeload.url}/username/repository/legacy.tar.gz/v2")]
    )
    github.codeload.answers[("GET", "/username/repository/legacy.tar.gz/v2")] = Answer(
        200, body=github_archive({"README.md": b"# Version 2\n"}, commit="cd" * 20)
    )

    changed = call("PUT", import_path(import_id), GITHUB_IMPORT | {"source_ref": "v2"})
    assert changed.status == 200, changed.text
    pipeline.run_until_idle()

    item = stored_import_item(dynamodb, import_id)
    assert (item["run_status"], item["commit_sha"]) == ({"S": "completed"}, {"S": "cd" * 20})
    keys = [entry["Key"] for entry in boto3.client("s3").list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert keys
    assert not any(key.startswith(first_prefix) for key in keys)


def test_a_refresh_after_a_new_commit_imports_it_and_releases_the_old_commits_content(
    dynamodb: DynamoDBClient, pipeline: LocalPipeline, github: ReplayedGithub
) -> None:
    import_id = created(GITHUB_IMPORT)
    pipeline.run_until_idle()
    first_prefix = stored_import_item(dynamodb, import_id)["content_prefix"]["S"]
    github.codeload.answers[("GET", "/username/repository/legacy.tar.gz/HEAD")] = Answer(
        200, body=github_archive(REPOSITORY | {"README.md": b"# Demo, second commit\n"}, commit="cd" * 20)
    )

    refreshed = call("POST", f"{import_path(import_id)}/refresh")
    assert refreshed.json()["import"]["status"] == "pending"
    pipeline.run_until_idle()

    shown = call("GET", import_path(import_id)).json()["import"]
    assert (shown["status"], shown["commit_sha"]) == ("completed", "cd" * 20)
    keys = [entry["Key"] for entry in boto3.client("s3").list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert keys
    assert not any(key.startswith(first_prefix) for key in keys)


def test_a_missing_repository_ends_failed_and_the_job_is_not_retried(
    dynamodb: DynamoDBClient, pipeline: LocalPipeline, github: ReplayedGithub
) -> None:
    del github.api.answers[("GET", "/repos/username/repository/tarball")]
    import_id = created(GITHUB_IMPORT)

    pipeline.run_until_idle()

    assert stored_import_item(dynamodb, import_id)["run_error"]["M"]["code"] == {"S": "not_found_or_no_access"}
    assert pipeline.pump_queue() == 0


def sqs_event(body: str, receives: int = 1) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"m{receives}",
                "receiptHandle": "handle",
                "body": body,
                "attributes": {"ApproximateReceiveCount": str(receives)},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-1:000000000000:jobs",
                "awsRegion": "eu-west-1",
            }
        ]
    }


def job_body(dynamodb: DynamoDBClient, import_id: int, **extra: Any) -> str:
    item = stored_import_item(dynamodb, import_id)
    message = {
        "kind": "run",
        "user_id": 1,
        "project_id": 789,
        "import_id": import_id,
        "start_id": item["run_start_id"]["S"],
    } | extra
    return json.dumps(message)


def invoke_worker(event: dict[str, Any]) -> list[str]:
    response = as_function("ImportWorkerFunction", import_worker.lambda_handler)(event, LocalLambdaContext())
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def test_a_poison_message_fails_every_try_and_touches_nothing(pipeline: LocalPipeline) -> None:
    for body in (
        "not json",
        json.dumps({"kind": "release", "prefix": "imports/../../etc/"}),
        json.dumps({"kind": "x"}),
    ):
        assert invoke_worker(sqs_event(body)) == ["m1"]


def test_a_crashing_try_is_retried_after_a_backoff_and_the_last_one_records_internal(
    dynamodb: DynamoDBClient, pipeline: LocalPipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_id = created(GITHUB_IMPORT)
    hidden: list[int] = []
    sqs = import_worker.worker.sqs
    monkeypatch.setattr(sqs, "change_message_visibility", lambda **call: hidden.append(call["VisibilityTimeout"]))
    no_bucket = replace(import_worker.worker.pipeline, content_bucket="no-such-bucket")  # every write crashes
    broken = import_worker.compose(Settings.from_environment(), no_bucket, dynamodb, boto3.client("s3"), sqs)
    monkeypatch.setattr(import_worker, "worker", broken)

    first = invoke_worker(sqs_event(job_body(dynamodb, import_id), receives=1))
    second = invoke_worker(sqs_event(job_body(dynamodb, import_id), receives=2))
    assert (first, second, hidden) == (["m1"], ["m2"], [30, 60])
    assert stored_import_item(dynamodb, import_id)["run_status"] == {"S": "pending"}  # released for the next try

    last = invoke_worker(sqs_event(job_body(dynamodb, import_id), receives=5))

    assert last == ["m5"]  # on to the dead-letter queue
    item = stored_import_item(dynamodb, import_id)
    assert (item["run_status"], item["run_error"]["M"]["code"]) == ({"S": "failed"}, {"S": "internal"})


def test_a_job_meant_for_later_is_sent_on_without_a_try(
    dynamodb: DynamoDBClient, pipeline: LocalPipeline, github: ReplayedGithub
) -> None:
    import_id = created(GITHUB_IMPORT)
    pipeline.pump_stream()
    pipeline.sqs.purge_queue(QueueUrl=pipeline.queue_url)
    later = "2099-01-01T00:00:00Z"

    assert invoke_worker(sqs_event(job_body(dynamodb, import_id, not_before=later))) == []

    assert github.api.received == []
    assert stored_import_item(dynamodb, import_id)["run_status"] == {"S": "pending"}
    attributes = pipeline.sqs.get_queue_attributes(QueueUrl=pipeline.queue_url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "1"


def test_a_rate_limit_defers_the_import_and_queues_it_for_githubs_reset(
    dynamodb: DynamoDBClient, pipeline: LocalPipeline, github: ReplayedGithub
) -> None:
    reset = int(datetime.now(UTC).timestamp()) + 600
    github.api.answers[("GET", "/repos/username/repository/tarball")] = Answer(
        403, [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", str(reset))], b'{"message": "API rate limit"}'
    )
    import_id = created(GITHUB_IMPORT)

    pipeline.run_until_idle()

    item = stored_import_item(dynamodb, import_id)
    assert item["run_status"] == {"S": "pending"}
    assert item["run_error"]["M"]["code"] == {"S": "rate_limited"}
    attributes = pipeline.sqs.get_queue_attributes(QueueUrl=pipeline.queue_url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "1"


def test_a_rate_limited_import_resumes_at_githubs_reset_and_completes(
    dynamodb: DynamoDBClient, pipeline: LocalPipeline, github: ReplayedGithub, monkeypatch: pytest.MonkeyPatch
) -> None:
    tarball = ("GET", "/repos/username/repository/tarball")
    redirect = github.api.answers[tarball]
    reset = int(datetime.now(UTC).timestamp()) + 600
    github.api.answers[tarball] = Answer(
        403, [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", str(reset))], b'{"message": "API rate limit"}'
    )
    import_id = created(GITHUB_IMPORT)
    pipeline.run_until_idle()
    deferred = call("GET", import_path(import_id)).json()["import"]
    assert (deferred["status"], deferred["error"]["code"]) == ("pending", "rate_limited")
    github.api.answers[tarball] = redirect  # GitHub's limit has reset
    monkeypatch.setattr(import_worker, "utc_now", lambda: datetime.fromtimestamp(reset + 1, UTC))

    # The delayed job, once its delay is over (SQS holds it until then; here it is handed over at once).
    assert invoke_worker(sqs_event(job_body(dynamodb, import_id, not_before=deferred["error"]["retry_at"]))) == []

    resumed = call("GET", import_path(import_id)).json()["import"]
    assert (resumed["status"], resumed["commit_sha"], resumed["error"]) == ("completed", COMMIT, None)


def test_an_import_costs_three_github_requests_whatever_its_size_and_a_fixed_few_dynamodb_and_s3_ones(
    dynamodb: DynamoDBClient, github: ReplayedGithub, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3: S3Client = boto3.client("s3")
    s3_requests, dynamodb_requests = RequestCounter(), RequestCounter()
    s3.meta.events.register("request-created.s3", s3_requests)
    running = in_process_pipeline(
        dynamodb, monkeypatch, api_url=github.api.url, codeload_url=github.codeload.url, app_key=KEY_PEM, s3=s3
    )
    imports = [created(GITHUB_IMPORT) for _ in range(2)]
    running.pump_stream()
    s3_requests.operations.clear()
    dynamodb.meta.events.register("request-created.dynamodb", dynamodb_requests)
    try:
        running.pump_queue()
    finally:
        dynamodb.meta.events.unregister("request-created.dynamodb", dynamodb_requests)

    assert all(stored_import_item(dynamodb, number)["run_status"] == {"S": "completed"} for number in imports)
    # The token (once: the second run reuses it), the tarball's redirect, the archive.
    assert [(method, path) for method, path, _ in github.api.received] == [
        ("POST", f"/app/installations/{INSTALLATION_ID}/access_tokens"),
        ("GET", "/repos/username/repository/tarball"),
        ("GET", "/repos/username/repository/tarball"),
    ]
    assert len(github.codeload.received) == 2
    # Each run: its user's live runs counted (the cap), the claim (a read, then the write), the
    # installation, the outcome.
    per_run = ["Query", "GetItem", "TransactWriteItems", "BatchGetItem", "TransactWriteItems"]
    assert dynamodb_requests.operations == per_run * 2
    # Each run: one PUT of the kept files (2 of the 3) in one pack, then the listing, kept.json and the manifest.
    assert s3_requests.operations == ["PutObject"] * 4 * 2


def test_a_users_job_over_the_cap_waits_pending_without_a_try_and_runs_once_a_slot_frees(
    dynamodb: DynamoDBClient, pipeline: LocalPipeline, github: ReplayedGithub
) -> None:
    busy = [created(GITHUB_IMPORT) for _ in range(MAX_RUNS_IMPORTING_PER_USER)]
    waiting = created(GITHUB_IMPORT)
    pipeline.pump_stream()
    pipeline.sqs.purge_queue(QueueUrl=pipeline.queue_url)
    runs = DynamoRunStore(dynamodb, "DataTable")
    now = datetime.now(UTC)
    claimed = [runs.claim(job_of(dynamodb, number), f"live{number}", now, now + RUN_LEASE) for number in busy]

    assert invoke_worker(sqs_event(job_body(dynamodb, waiting))) == []  # handled: sent on for later, not failed

    assert stored_import_item(dynamodb, waiting)["run_status"] == {"S": "pending"}
    assert github.api.received == []
    attributes = pipeline.sqs.get_queue_attributes(QueueUrl=pipeline.queue_url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "1"
    first = claimed[0]
    assert first is not None
    assert runs.fail(first, ImportFailed(FailureCode.NOT_FOUND_OR_NO_ACCESS, "Gone."), now)  # a slot frees

    # The job again, once its minute is over.
    assert invoke_worker(sqs_event(job_body(dynamodb, waiting))) == []

    item = stored_import_item(dynamodb, waiting)
    assert item["run_status"] == {"S": "completed"}, item.get("run_error")


def job_of(dynamodb: DynamoDBClient, import_id: int) -> ImportJob:
    return ImportJob(1, 789, import_id, stored_import_item(dynamodb, import_id)["run_start_id"]["S"])
