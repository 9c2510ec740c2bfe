"""An uploaded folder through the import pipeline in one process, on moto: the archive lands in the upload
bucket under the key its form names, S3 tells the jobs queue (moto sends its event notifications as S3
does), the worker starts the import's run, and the run reads the upload under the repository's rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

import boto3
import pytest

from domain.access import ImportKey, ProjectKey
from domain.errors import ImportChanged
from domain.models import UploadArrival
from handlers import edge
from local.pipeline import LocalPipeline
from tests.api_client import FOLDER_IMPORT, GITHUB_IMPORT, call, import_path, stored_import_item
from tests.archives import hostile_uploads, tarred, zipped
from tests.in_process_pipeline import BUCKET, REPOSITORY, UPLOAD_BUCKET
from tests.integration.test_import_files import files_routes
from tests.integration.test_import_pipeline import created

__all__ = ["files_routes"]  # the fixture: the files routes read the pipeline's bucket

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

pytestmark = pytest.mark.usefixtures("files_routes")


def upload_key(import_id: int) -> str:
    response = call("POST", f"{import_path(import_id)}/upload")
    assert response.status == 201, response.text
    key: str = response.json()["upload"]["fields"]["key"]
    return key


def arrive(key: str, archive: bytes) -> None:
    """The archive stored under the form's key (the form's own POST is tested on make run's S3)."""
    boto3.client("s3").put_object(Bucket=UPLOAD_BUCKET, Key=key, Body=archive)


def uploads_left() -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=UPLOAD_BUCKET)
    return [entry["Key"] for entry in listed.get("Contents", [])]


def content_objects() -> int:
    return boto3.client("s3").list_objects_v2(Bucket=BUCKET).get("KeyCount", 0)


def files_of(import_id: int) -> list[dict[str, Any]]:
    response = call("GET", f"{import_path(import_id)}/files")
    assert response.status == 200, response.text
    files: list[dict[str, Any]] = response.json()["files"]
    return files


@pytest.mark.parametrize("pack", [zipped, tarred], ids=["zip", "tar.gz"])
def test_an_uploaded_folder_ends_completed_with_the_files_a_repository_of_the_same_tree_gives(
    dynamodb: DynamoDBClient, pipeline: LocalPipeline, pack: Any
) -> None:
    repository_id = created(GITHUB_IMPORT)  # GitHub answers with REPOSITORY's tree (tests/in_process_pipeline.py)
    folder_id = created(FOLDER_IMPORT)
    pipeline.run_until_idle()
    assert stored_import_item(dynamodb, folder_id)["run_status"] == {"S": "awaiting_upload"}

    arrive(upload_key(folder_id), pack(REPOSITORY))
    pipeline.run_until_idle()

    shown = call("GET", import_path(folder_id)).json()["import"]
    assert (shown["status"], shown["commit_sha"], shown["error"]) == ("completed", None, None)
    assert shown["context"] == call("GET", import_path(repository_id)).json()["import"]["context"]
    assert files_of(folder_id) == files_of(repository_id)
    assert uploads_left() == []  # read, then deleted
    assert "upload_key" not in stored_import_item(dynamodb, folder_id)


@pytest.mark.parametrize("kind", list(hostile_uploads()))
def test_a_hostile_upload_ends_failed_with_its_code_and_keeps_nothing(
    dynamodb: DynamoDBClient, pipeline: LocalPipeline, kind: str
) -> None:
    folder_id = created(FOLDER_IMPORT)
    pipeline.run_until_idle()

    arrive(upload_key(folder_id), hostile_uploads()[kind])
    pipeline.run_until_idle()

    shown = call("GET", import_path(folder_id)).json()["import"]
    assert (shown["status"], shown["error"]["code"], shown["context"]) == ("failed", "unsafe_archive", None)
    assert "content_prefix" not in stored_import_item(dynamodb, folder_id)
    assert content_objects() == 0
    assert uploads_left() == []


def test_the_newest_upload_is_what_the_import_holds(dynamodb: DynamoDBClient, pipeline: LocalPipeline) -> None:
    folder_id = created(FOLDER_IMPORT)
    pipeline.run_until_idle()
    arrive(upload_key(folder_id), zipped({"README.md": b"# First\n"}))
    pipeline.run_until_idle()

    arrive(upload_key(folder_id), zipped({"README.md": b"# Second\n", "docs/notes.md": b"# Notes\n"}))
    pipeline.run_until_idle()

    assert [row["path"] for row in files_of(folder_id)] == ["README.md", "docs/notes.md"]
    readme = call("GET", f"{import_path(folder_id)}/files/README.md")
    assert readme.text == "# Second\n"
    assert uploads_left() == []
    assert call("GET", import_path(folder_id)).json()["import"]["status"] == "completed"


def told(pipeline: LocalPipeline, count: int) -> list[dict[str, Any]]:
    """The jobs queue's next `count` messages (S3's notifications here), received but not handed yet."""
    received: list[dict[str, Any]] = []
    for _ in range(count):
        received += pipeline.receive()
        if len(received) >= count:
            break
    assert len(received) == count, received
    return received


def stored_at(message: dict[str, Any], moment: str) -> dict[str, Any]:
    """The notification as S3 would send it for an object it finished storing at `moment`."""
    notification = json.loads(message["Body"])
    notification["Records"][0]["eventTime"] = moment
    return message | {"Body": json.dumps(notification)}


def key_told(message: dict[str, Any]) -> str:
    key: str = json.loads(message["Body"])["Records"][0]["s3"]["object"]["key"]
    return unquote_plus(key)  # S3 sends keys URL-encoded


def test_an_older_upload_told_after_a_newer_one_starts_nothing_and_is_deleted(
    dynamodb: DynamoDBClient, pipeline: LocalPipeline
) -> None:
    folder_id = created(FOLDER_IMPORT)
    pipeline.run_until_idle()
    older, newer = upload_key(folder_id), upload_key(folder_id)
    arrive(older, zipped({"README.md": b"# Older\n"}))
    arrive(newer, zipped({"README.md": b"# Newer\n"}))
    by_key = {key_told(message): message for message in told(pipeline, 2)}

    # SQS keeps no order: S3's notification of the newer upload is handed first.
    pipeline.hand([stored_at(by_key[newer], "2026-12-03T06:40:02.000Z")])
    pipeline.hand([stored_at(by_key[older], "2026-12-03T06:40:01.999Z")])
    pipeline.run_until_idle()

    assert call("GET", f"{import_path(folder_id)}/files/README.md").text == "# Newer\n"
    shown = call("GET", import_path(folder_id)).json()["import"]
    assert (shown["status"], shown["error"]) == ("completed", None)
    assert uploads_left() == []


def test_an_arrival_told_again_after_its_run_completed_changes_nothing(
    dynamodb: DynamoDBClient, pipeline: LocalPipeline
) -> None:
    folder_id = created(FOLDER_IMPORT)
    pipeline.run_until_idle()
    arrive(upload_key(folder_id), zipped(REPOSITORY))
    [notification] = told(pipeline, 1)
    pipeline.hand([notification])
    pipeline.run_until_idle()
    completed = stored_import_item(dynamodb, folder_id)
    assert completed["run_status"] == {"S": "completed"}

    pipeline.sqs.send_message(QueueUrl=pipeline.queue_url, MessageBody=notification["Body"])  # S3 told it twice
    pipeline.run_until_idle()

    assert stored_import_item(dynamodb, folder_id) == completed  # no new run, which would find no upload
    assert call("GET", import_path(folder_id)).json()["import"]["error"] is None


def test_of_two_arrivals_that_read_the_import_at_once_only_the_first_starts_a_run(pipeline: LocalPipeline) -> None:
    folder_id = created(FOLDER_IMPORT)
    pipeline.run_until_idle()
    target = ImportKey(ProjectKey(1, 789), folder_id)
    awaiting = edge.store.read_import(target)
    assert awaiting is not None
    uploads = [UploadArrival(datetime(2026, 12, 3, 6, 40, n, tzinfo=UTC), upload_key(folder_id)) for n in range(3)]
    edge.store.start_run(awaiting, datetime.now(UTC), upload=uploads[0])
    # Both read the import `pending` for the first upload; the run status alone would let both write.
    read_by_both = edge.store.read_import(target)
    assert read_by_both is not None
    first, later = uploads[1], uploads[2]

    edge.store.start_run(read_by_both, datetime.now(UTC), upload=later)
    # Written last, the older upload would otherwise be the one the run reads.
    with pytest.raises(ImportChanged):
        edge.store.start_run(read_by_both, datetime.now(UTC), upload=first)

    stored = edge.store.read_import(target)
    assert stored is not None
    assert stored.newest_upload == later


def test_an_upload_for_an_import_that_reads_a_repository_or_is_gone_starts_nothing_and_is_deleted(
    dynamodb: DynamoDBClient, pipeline: LocalPipeline
) -> None:
    folder_id = created(FOLDER_IMPORT)
    key = upload_key(folder_id)
    changed = {"source_type": "github", "source_path": "username/repository"}
    assert call("PUT", import_path(folder_id), changed).status == 200
    pipeline.run_until_idle()
    before = stored_import_item(dynamodb, folder_id)
    gone_id = created(FOLDER_IMPORT)
    gone_key = upload_key(gone_id)
    assert call("DELETE", import_path(gone_id)).status == 204

    arrive(key, zipped(REPOSITORY))
    arrive(gone_key, zipped(REPOSITORY))
    pipeline.run_until_idle()

    assert stored_import_item(dynamodb, folder_id) == before
    assert uploads_left() == []


def test_an_object_under_a_key_the_service_never_signs_is_left_alone(
    dynamodb: DynamoDBClient, pipeline: LocalPipeline
) -> None:
    folder_id = created(FOLDER_IMPORT)
    pipeline.run_until_idle()

    arrive(f"uploads/1/789/{folder_id}/chosen-by-the-client", zipped(REPOSITORY))
    pipeline.run_until_idle()

    assert stored_import_item(dynamodb, folder_id)["run_status"] == {"S": "awaiting_upload"}


def test_an_upload_gone_before_its_run_reads_it_fails_not_found(
    dynamodb: DynamoDBClient, pipeline: LocalPipeline
) -> None:
    folder_id = created(FOLDER_IMPORT)
    pipeline.run_until_idle()
    key = upload_key(folder_id)
    arrive(key, zipped(REPOSITORY))
    assert pipeline.pump_queue() == 1  # the arrival: the run is wanted
    assert stored_import_item(dynamodb, folder_id)["upload_key"] == {"S": key}

    boto3.client("s3").delete_object(Bucket=UPLOAD_BUCKET, Key=key)  # as the bucket's lifecycle does after a day
    pipeline.run_until_idle()

    shown = call("GET", import_path(folder_id)).json()["import"]
    assert (shown["status"], shown["error"]["code"]) == ("failed", "not_found_or_no_access")
    assert "upload the folder again" in shown["error"]["message"]
