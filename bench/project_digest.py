"""The project's digest, by number of completed imports: its DynamoDB and S3 requests, counted, its size and time.

A child process (`python -m bench.project_digest`) imports one generated repository (the four files the
policy keeps, and source files it does not) into a project once per import, through the pipeline as
make run runs it (bench/import_requests.py's), for each project size; then reads each project's digest
through `GetProjectContextFunction`'s handler, whole and with a `max_tokens` that holds one import's
files. The counts do not depend on the machine; the time is moto's in-process stand-ins', so only the
way it grows with the imports means anything. On AWS each GET is a round trip of S3's first-byte
latency, which moto in one process does not have: the modelled time adds ROUND_TRIP_SECONDS to each GET
in the thread that makes it, so what reading side by side saves shows.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.import_requests import _Received, _write_repository, bench_pipeline, child_rows

SIZES = (1, 10, 100)
ROUNDS = 5
# AWS's S3 performance guidelines put the median latency of small requests "often in the range of tens of
# milliseconds": 15 ms is the low end, so the modelled waits, and what reading side by side saves, are
# lower bounds.
ROUND_TRIP_SECONDS = 0.015
_TAG = "project_digest "
_FIRST_PROJECT = 900


@dataclass(frozen=True)
class DigestRequests:
    imports: int
    max_tokens: int | None
    dynamodb: list[str]  # operation names, in order
    s3_gets: int
    markdown_bytes: int
    median_seconds: float
    modelled_seconds: float  # with ROUND_TRIP_SECONDS added to each S3 GET


def measure(sizes: Sequence[int] = SIZES) -> list[DigestRequests]:
    """Two rows per size (whole, bounded), from a child process of its own."""
    return [DigestRequests(**row) for row in child_rows("bench.project_digest", sizes, _TAG)]


def _run(sizes: Sequence[int], folder: Path) -> None:
    from local import records  # noqa: PLC0415
    from local.demo import DEMO_GITHUB_ACCOUNT, DEMO_USER_ID  # noqa: PLC0415

    name = f"{DEMO_GITHUB_ACCOUNT}/bench-digest"
    _write_repository(folder / "bench-digest", 20)
    with bench_pipeline({name: folder / "bench-digest"}) as bench:
        next_id = 1
        for offset, size in enumerate(sizes):
            project_id = _FIRST_PROJECT + offset
            records.put_project(bench.dynamodb, DEMO_USER_ID, project_id)
            for _ in range(size):
                bench.add_github_import(next_id, name, project_id)
                bench.pipeline.run_until_idle()
                bench.import_item(next_id, project_id)
                next_id += 1
            one_import = int(bench.import_item(next_id - 1, project_id)["context"]["M"]["tokens"]["N"])
            for max_tokens in (None, one_import):
                print(_TAG + json.dumps(asdict(_digest(size, project_id, max_tokens))), flush=True)


def _digest(imports: int, project_id: int, max_tokens: int | None) -> DigestRequests:
    import boto3  # noqa: PLC0415 - under moto, in the child

    from bench.events import route_event  # noqa: PLC0415
    from domain.project_context import ProjectContext  # noqa: PLC0415
    from handlers import edge, get_project_context  # noqa: PLC0415
    from local.demo import DEMO_SESSION_TOKEN  # noqa: PLC0415
    from s3_store.content import S3ContentReader  # noqa: PLC0415

    s3 = boto3.client("s3")
    get_project_context.context = ProjectContext(edge.store, S3ContentReader(s3, "bench-content"))
    query = "" if max_tokens is None else f"max_tokens={max_tokens}"
    event = route_event("GET", f"/api/users/1/projects/{project_id}/resources/context", DEMO_SESSION_TOKEN, query=query)
    dynamodb_requests, s3_requests = _Received(), _Received()
    edge.dynamodb.meta.events.register("request-created.dynamodb", dynamodb_requests)
    s3.meta.events.register("request-created.s3", s3_requests)
    answer = _call(event)
    edge.dynamodb.meta.events.unregister("request-created.dynamodb", dynamodb_requests)
    s3.meta.events.unregister("request-created.s3", s3_requests)
    seconds = _median_seconds(event)
    s3.meta.events.register("before-send.s3.GetObject", _round_trip)
    modelled = _median_seconds(event)
    s3.meta.events.unregister("before-send.s3.GetObject", _round_trip)
    return DigestRequests(
        imports,
        max_tokens,
        dynamodb_requests.requests,
        s3_requests.requests.count("GetObject"),
        len(answer["body"].encode()),
        seconds,
        modelled,
    )


def _round_trip(**_: Any) -> None:
    time.sleep(ROUND_TRIP_SECONDS)


def _median_seconds(event: dict[str, Any]) -> float:
    seconds = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        _call(event)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def _call(event: dict[str, Any]) -> dict[str, Any]:
    from handlers import get_project_context  # noqa: PLC0415
    from local.lambda_context import LocalLambdaContext  # noqa: PLC0415

    context: Any = LocalLambdaContext.of("GetProjectContextFunction")
    answer: dict[str, Any] = get_project_context.lambda_handler(event, context)
    if answer["statusCode"] != 200:
        raise SystemExit(f"the project digest answered {answer['statusCode']}: {answer['body']}")
    return answer


def main(arguments: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-digest-") as folder:
        _run([int(argument) for argument in arguments] or list(SIZES), Path(folder))


if __name__ == "__main__":
    main(sys.argv[1:])
