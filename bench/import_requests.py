"""Requests per import, by repository size: GitHub's, DynamoDB's and S3's, counted, not timed.

A child process (`python -m bench.import_requests`) runs the pipeline the way `make run` does, in one
process: moto's DynamoDB (the template's tables, the stream on), S3 and SQS; make run's GitHub stand-in
serving one generated repository per size (each with the four files the policy keeps among source
files it does not); the outbox and the worker as Lambda runs them. Each repository is imported once
and the worker's requests counted: the GitHub requests the stand-in answered, the DynamoDB and S3
requests the worker's clients sent. The figures do not depend on the machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.archive_reading import KEPT_FILES
from bench.cold_start import ROOT, child_environment

if TYPE_CHECKING:
    from local.github_standin import Response

SIZES = (100, 1_000, 10_000)
_TAG = "import_requests "


@dataclass(frozen=True)
class ImportRequests:
    files: int  # paths in the repository
    kept: int
    github: list[str]  # method and path of each, in order
    dynamodb: list[str]  # operation names, in order
    s3: list[str]


def measure(sizes: Sequence[int] = SIZES) -> list[ImportRequests]:
    """One import per size, in a child process of its own (moto and the handlers' settings stay there)."""
    return [ImportRequests(**row) for row in child_rows("bench.import_requests", sizes, _TAG)]


def child_rows(module: str, sizes: Sequence[int], tag: str) -> list[dict[str, Any]]:
    """Run `python -m module sizes...` in a fresh child process; the JSON rows it printed after `tag`."""
    completed = subprocess.run(
        [sys.executable, "-m", module, *map(str, sizes)],
        env=child_environment(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [json.loads(line.removeprefix(tag)) for line in completed.stdout.splitlines() if line.startswith(tag)]


def _write_repository(folder: Path, source_files: int) -> None:
    for path, content in KEPT_FILES.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(content)
    for number in range(source_files):
        source = folder / "src" / f"module_{number // 100}" / f"file_{number}.ts"
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text(f"export const value{number} = {number};\n" * 20, encoding="utf-8")


@dataclass
class _Received:
    requests: list[str] = field(default_factory=list)

    def __call__(self, event_name: str, **_: Any) -> None:
        self.requests.append(event_name.rsplit(".", 1)[-1])


@dataclass
class BenchPipeline:
    """The pipeline as `make run` runs it, in this process: what a bench drives and counts."""

    dynamodb: Any
    s3: Any
    store: Any
    pipeline: Any
    worker_dynamodb: Any
    worker_s3: Any
    github_requests: list[str]

    def add_github_import(self, import_id: int, repository: str, project_id: int) -> None:
        from domain.models import ProjectImport, SourceType  # noqa: PLC0415
        from local.demo import DEMO_USER_ID  # noqa: PLC0415

        now = datetime.now(UTC)
        self.store.add_import(
            ProjectImport(
                id=import_id,
                source_type=SourceType.GITHUB,
                source_path=repository,
                title=None,
                description=None,
                created_at=now,
                updated_at=now,
                neptun_user_id=DEMO_USER_ID,
                project_id=project_id,
            ),
            request_key=None,
            fingerprint=None,
        )

    def import_item(self, import_id: int, project_id: int) -> dict[str, Any]:
        from dynamodb_store import keys  # noqa: PLC0415
        from local import records  # noqa: PLC0415
        from local.demo import DEMO_USER_ID  # noqa: PLC0415

        item: dict[str, Any] = self.dynamodb.get_item(
            TableName=records.DATA_TABLE, Key=keys.import_key(DEMO_USER_ID, project_id, import_id)
        )["Item"]
        if item["run_status"]["S"] != "completed":
            raise SystemExit(f"the bench import {import_id} ended {item['run_status']['S']}: {item}")
        return item


@contextmanager
def bench_pipeline(repositories: Mapping[str, Path]) -> Iterator[BenchPipeline]:
    """moto's DynamoDB (the template's tables, the stream on), S3 and SQS with the demo data, make run's
    GitHub stand-in serving `repositories` (full name -> folder), and the outbox and worker as Lambda
    runs them; the GitHub requests the stand-in answers are counted."""
    import boto3  # noqa: PLC0415 - imported only under moto, in the child
    from botocore.config import Config  # noqa: PLC0415
    from moto import mock_aws  # noqa: PLC0415

    from dynamodb_store.store import DynamoDBImportStore  # noqa: PLC0415
    from local import records  # noqa: PLC0415
    from local.demo import seed_demo_data  # noqa: PLC0415
    from local.github_standin import GithubStandIn, ServedRepository, ShippedRepository  # noqa: PLC0415
    from local.pipeline import LocalPipeline  # noqa: PLC0415
    from local.tables import create_tables  # noqa: PLC0415

    github_requests: list[str] = []

    class CountingStandIn(GithubStandIn):
        def answer_api(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Response:
            github_requests.append(f"{method} {path.split('?', maxsplit=1)[0]}")
            return super().answer_api(method, path, headers, body)

        def answer_codeload(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Response:
            github_requests.append(f"{method} codeload")
            return super().answer_codeload(method, path, headers, body)

    with mock_aws():
        dynamodb, s3, sqs = boto3.client("dynamodb"), boto3.client("s3"), boto3.client("sqs")
        create_tables(dynamodb, streams=True)
        seed_demo_data(dynamodb)
        s3.create_bucket(Bucket="bench-content")
        queue_url = sqs.create_queue(QueueName="bench-jobs")["QueueUrl"]
        store = DynamoDBImportStore(dynamodb, records.SESSIONS_TABLE, records.DATA_TABLE)
        served: dict[str, ServedRepository] = {
            name.lower(): ShippedRepository(name, folder) for name, folder in repositories.items()
        }
        standin = CountingStandIn(served, store.read_installation)
        standin.start()
        os.environ.update(
            {
                "IMPORT_JOBS_QUEUE_URL": queue_url,
                "CONTENT_BUCKET_NAME": "bench-content",
                "GITHUB_APP_ID": standin.app_id,
                "GITHUB_APP_PRIVATE_KEY": standin.app_private_key,
                "GITHUB_APP_PRIVATE_KEY_PARAMETER": "",
                "NEPTUN_GITHUB_API_URL": standin.api_url,
                "NEPTUN_GITHUB_CODELOAD_URL": standin.codeload_url,
            }
        )
        from handlers import import_outbox, import_worker  # noqa: PLC0415 - once its environment is set
        from handlers.composition import Settings  # noqa: PLC0415

        worker_dynamodb, worker_s3 = boto3.client("dynamodb"), boto3.client("s3")
        import_worker.worker = import_worker.compose(
            Settings.from_environment(),
            import_worker.worker.pipeline,
            worker_dynamodb,
            worker_s3,
            sqs,
        )
        import_outbox.outbox = import_outbox.Outbox(sqs, queue_url)
        pipeline = LocalPipeline(
            dynamodb=dynamodb,
            streams=boto3.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled")),
            sqs=sqs,
            queue_url=queue_url,
            outbox=import_outbox.lambda_handler,
            worker=import_worker.lambda_handler,
        )
        try:
            yield BenchPipeline(dynamodb, s3, store, pipeline, worker_dynamodb, worker_s3, github_requests)
        finally:
            standin.stop()


def _run(sizes: Sequence[int], folder: Path) -> None:
    from local.demo import DEMO_GITHUB_ACCOUNT, DEMO_PROJECT_ID  # noqa: PLC0415

    repositories: dict[str, Path] = {}
    for size in sizes:
        repository = folder / f"bench-{size}"
        _write_repository(repository, size - len(KEPT_FILES))
        repositories[f"{DEMO_GITHUB_ACCOUNT}/bench-{size}"] = repository
    with bench_pipeline(repositories) as bench:
        for number, size in enumerate(sizes, start=1):
            bench.add_github_import(number, f"{DEMO_GITHUB_ACCOUNT}/bench-{size}", DEMO_PROJECT_ID)
            bench.pipeline.pump_stream()
            bench.github_requests.clear()
            dynamodb_requests, s3_requests = _Received(), _Received()
            bench.worker_dynamodb.meta.events.register("request-created.dynamodb", dynamodb_requests)
            bench.worker_s3.meta.events.register("request-created.s3", s3_requests)
            bench.pipeline.pump_queue()
            bench.worker_dynamodb.meta.events.unregister("request-created.dynamodb", dynamodb_requests)
            bench.worker_s3.meta.events.unregister("request-created.s3", s3_requests)
            kept = int(bench.import_item(number, DEMO_PROJECT_ID)["context"]["M"]["files"]["N"])
            measured = ImportRequests(
                size, kept, list(bench.github_requests), dynamodb_requests.requests, s3_requests.requests
            )
            print(_TAG + json.dumps(asdict(measured)), flush=True)


def main(arguments: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
        _run([int(argument) for argument in arguments] or list(SIZES), Path(folder))


if __name__ == "__main__":
    main(sys.argv[1:])
