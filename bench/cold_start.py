"""Cold start of every function against the floor, each a fresh process, run alternately."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.events import function_requests
from bench.stub_dynamodb import STUB_TOKEN
from local.settings import local_webhook_environment
from local.template import every_function_environment, http_api_routes

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class ProcessRun:
    seconds: float
    peak_rss_mib: float


def handler_environment() -> dict[str, str]:
    """The functions' variables from template.yaml, with placeholder credentials and no endpoint."""
    return (
        every_function_environment()
        | {
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "DYNAMODB_ENDPOINT_URL": "",
        }
        | local_webhook_environment()
    )


def child_environment() -> dict[str, str]:
    """For a benchmark's child process: ours without AWS settings, plus the functions' and the import path."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "DYNAMODB_"))}
    return environment | handler_environment() | {"PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}


def run_once(arguments: list[str]) -> ProcessRun:
    started = time.perf_counter()
    finished = subprocess.run(
        [sys.executable, "-m", "bench.cold_start_child", *arguments],
        env=child_environment(),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,  # the handler's logs
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if finished.returncode != 0:
        raise RuntimeError(f"cold start child {arguments} failed: {finished.stderr}")
    peak_kib = int(finished.stderr.rsplit("VmHWM ", 1)[1].split()[0])
    return ProcessRun(seconds=seconds, peak_rss_mib=peak_kib / 1024)


@dataclass(frozen=True)
class FunctionColdStart:
    function_id: str
    run: ProcessRun  # medians
    time_ratio: float  # this function / floor, median of the ratios of each round
    memory_ratio: float
    time_ratio_to_bare: float


@dataclass(frozen=True)
class ColdStart:
    floor: ProcessRun
    bare: ProcessRun
    functions: list[FunctionColdStart]
    rounds: int


def _median_run(runs: list[ProcessRun]) -> ProcessRun:
    return ProcessRun(
        seconds=statistics.median(run.seconds for run in runs),
        peak_rss_mib=statistics.median(run.peak_rss_mib for run in runs),
    )


def measure(rounds: int = 11) -> ColdStart:
    """Each round runs the floor, the bare route and every function, one after the other."""
    modules = {route.function_id: route.handler.rpartition(".")[0] for route in http_api_routes()}
    event_files: list[str] = []
    kinds: dict[str, list[str]] = {"floor": ["floor"]}
    try:
        for function_id, (event, status) in function_requests(STUB_TOKEN).items():
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as event_file:
                json.dump(event, event_file)
            event_files.append(event_file.name)
            if function_id == "CreateImportFunction":
                kinds["bare"] = ["bare", event_file.name]
            kinds[function_id] = ["handler", modules[function_id], event_file.name, str(status)]
        for arguments in kinds.values():  # warm the file system cache before measuring
            run_once(arguments)
        runs: dict[str, list[ProcessRun]] = {kind: [] for kind in kinds}
        for _ in range(rounds):
            for kind, arguments in kinds.items():
                runs[kind].append(run_once(arguments))
    finally:
        for name in event_files:
            Path(name).unlink()

    def ratio_median(numerator: str, denominator: str, field: str) -> float:
        pairs = zip(runs[numerator], runs[denominator], strict=True)
        return statistics.median(float(getattr(top, field)) / float(getattr(bottom, field)) for top, bottom in pairs)

    functions = [
        FunctionColdStart(
            function_id=function_id,
            run=_median_run(runs[function_id]),
            time_ratio=ratio_median(function_id, "floor", "seconds"),
            memory_ratio=ratio_median(function_id, "floor", "peak_rss_mib"),
            time_ratio_to_bare=ratio_median(function_id, "bare", "seconds"),
        )
        for function_id in modules
    ]
    return ColdStart(
        floor=_median_run(runs["floor"]), bare=_median_run(runs["bare"]), functions=functions, rounds=rounds
    )
