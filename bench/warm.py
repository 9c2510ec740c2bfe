"""CPU time per request: the handler on an in-memory store against a bare Powertools route."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from bench.bare_route import bare_route_resolver
from bench.events import create_event
from domain.access import ProjectKey, Session
from domain.create_import import CreateImportCommand, ImportService
from domain.models import CreateImportRequest
from handlers.request_body import strict_json_loads
from local.lambda_context import LocalLambdaContext
from local.memory_store import InMemoryImportStore

TOKEN = "bench-warm-session-token"  # noqa: S105 - an in-memory value
LOCAL_FOLDER = {"source_type": "local_folder", "source_path": "src/app"}


def in_memory_service() -> ImportService:
    store = InMemoryImportStore()
    store.sessions[hashlib.sha256(TOKEN.encode()).hexdigest()] = Session(user_id=1, expires_at=2**40)
    store.projects.add(ProjectKey(1, 789))
    return ImportService(store)


@dataclass(frozen=True)
class WarmOverhead:
    handler_microseconds: float
    route_only_microseconds: float  # app.resolve without the Logger decorator around it
    bare_microseconds: float
    use_case_microseconds: float  # ImportService.create_import alone, in-memory store
    metric_microseconds: float  # one ImportCreated EMF line alone
    strict_json_microseconds: float  # the body parsed by strict_json_loads, beyond plain json.loads
    typed_route_microseconds: float  # Powertools' extra work for our path types and Location header
    ratio: float
    requests_per_block: int
    blocks: int

    def parts(self) -> list[tuple[str, float]]:
        """The handler's CPU per create, split into parts that add up to it."""
        logger_wrapper = self.handler_microseconds - self.route_only_microseconds
        rest = self.route_only_microseconds - self.bare_microseconds - self.use_case_microseconds
        rest -= self.metric_microseconds + self.strict_json_microseconds + self.typed_route_microseconds
        return [
            ("Powertools routing and validation (bare route)", self.bare_microseconds),
            ("Logger.inject_lambda_context wrapper", logger_wrapper),
            ("use case (gate, checks, id, ProjectImport)", self.use_case_microseconds),
            ("one ImportCreated EMF line (Powertools Metrics)", self.metric_microseconds),
            ("strict JSON (duplicate keys, NaN, digits, object)", self.strict_json_microseconds),
            ("Powertools: plain-digit path ids, Location header", self.typed_route_microseconds),
            ("our route: envelope, cookie, key, 201 body (rest)", rest),
        ]


def _cpu_per_request(call: Callable[[], object], requests: int) -> float:
    started = time.process_time()
    for _ in range(requests):
        call()
    return (time.process_time() - started) / requests


def measure(requests_per_block: int = 500, blocks: int = 9) -> WarmOverhead:
    from handlers import create_import  # noqa: PLC0415 - imported with the environment the caller set

    event = create_event(TOKEN, body=LOCAL_FOLDER)
    context = LocalLambdaContext()
    bare = bare_route_resolver()
    typed = bare_route_resolver(like_the_handler=True)
    with contextlib.ExitStack() as stack:
        stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
        handler_module_service = create_import.service
        create_import.service = in_memory_service()
        stack.callback(setattr, create_import, "service", handler_module_service)
        log_stream = create_import.logger.registered_handler
        previous = log_stream.setStream(io.StringIO())  # type: ignore[attr-defined]
        stack.callback(log_stream.setStream, previous)  # type: ignore[attr-defined]

        def handler_call() -> dict[str, Any]:
            return create_import.lambda_handler(event, context)  # type: ignore[arg-type]

        def route_only_call() -> dict[str, Any]:
            return create_import.app.resolve(event, context)  # type: ignore[arg-type]

        service = create_import.service
        command = CreateImportCommand(TOKEN, ProjectKey(1, 789), CreateImportRequest.model_validate(LOCAL_FOLDER))

        def use_case_call() -> object:
            return service.create_import(command)

        metrics = create_import.metrics

        def metric_call() -> None:
            metrics.add_dimension(name="source_type", value="local_folder")
            metrics.add_metric(name="ImportCreated", unit=MetricUnit.Count, value=1)
            metrics.add_metadata(key="import_id", value=1)
            metrics.add_metadata(key="request_id", value="c6af9ac6-7b61-11e6-9a41-93e8deadbeef")
            metrics.flush_metrics()

        body_text = event["body"]

        def strict_json_call() -> object:
            return strict_json_loads(body_text)

        def plain_json_call() -> object:
            return json.loads(body_text)

        def bare_call() -> dict[str, Any]:
            return bare.resolve(event, context)  # type: ignore[arg-type]

        def typed_call() -> dict[str, Any]:
            return typed.resolve(event, context)  # type: ignore[arg-type]

        if (handler_call()["statusCode"], bare_call()["statusCode"]) != (201, 201):
            raise RuntimeError("both the handler and the bare route must answer 201")
        runs = [
            (
                _cpu_per_request(handler_call, requests_per_block),
                _cpu_per_request(route_only_call, requests_per_block),
                _cpu_per_request(bare_call, requests_per_block),
                _cpu_per_request(use_case_call, requests_per_block),
                _cpu_per_request(metric_call, requests_per_block),
                _cpu_per_request(strict_json_call, requests_per_block)
                - _cpu_per_request(plain_json_call, requests_per_block),
                _cpu_per_request(typed_call, requests_per_block) - _cpu_per_request(bare_call, requests_per_block),
            )
            for _ in range(blocks)
        ]
    return WarmOverhead(
        handler_microseconds=statistics.median(run[0] for run in runs) * 1e6,
        route_only_microseconds=statistics.median(run[1] for run in runs) * 1e6,
        bare_microseconds=statistics.median(run[2] for run in runs) * 1e6,
        use_case_microseconds=statistics.median(run[3] for run in runs) * 1e6,
        metric_microseconds=statistics.median(run[4] for run in runs) * 1e6,
        strict_json_microseconds=statistics.median(run[5] for run in runs) * 1e6,
        typed_route_microseconds=statistics.median(run[6] for run in runs) * 1e6,
        ratio=statistics.median(run[0] / run[2] for run in runs),
        requests_per_block=requests_per_block,
        blocks=blocks,
    )
