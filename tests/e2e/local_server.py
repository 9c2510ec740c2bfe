"""Starts `python -m local.run` (what `make run` runs) as a subprocess on free ports and reads what it prints."""

from __future__ import annotations

import itertools
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
READY_LINE = "Ctrl-C stops it."


# Each pytest-xdist worker (and each backend's run, which may overlap another's) takes ports from its
# own block below Linux's ephemeral range (32768-60999), so that no two servers of the suite, and no
# outgoing connection, are handed the same port between the check here and the server's own bind.
_PORTS_PER_BLOCK = 200
_MOST_WORKERS = 20  # per backend: 3 bands of 20 blocks fit between 20000 and 32000
_FIRST_PORT = 20000
_BANDS = {"moto": 0, "local": 1}  # any other DYNAMODB (unset: make run's own choice) gets band 2


def _port_block() -> range:
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    if worker >= _MOST_WORKERS:
        raise RuntimeError(f"at most {_MOST_WORKERS} pytest-xdist workers have ports of their own (WORKERS=...)")
    band = _BANDS.get(os.environ.get("DYNAMODB", ""), 2)
    start = _FIRST_PORT + (band * _MOST_WORKERS + worker) * _PORTS_PER_BLOCK
    return range(start, start + _PORTS_PER_BLOCK)


_unused_ports = itertools.cycle(_port_block())


def free_port() -> int:
    """A port of this worker's block that nothing listens on, never the same twice in a row."""
    for port in itertools.islice(_unused_ports, _PORTS_PER_BLOCK):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {_port_block()}")


def local_environment(**overrides: str) -> dict[str, str]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "DYNAMODB_", "PORT", "LOCAL_", "NEPTUN_GITHUB_", "GITHUB_APP_"))
    }
    environment["PYTHONPATH"] = f"{ROOT / 'src'}{os.pathsep}{ROOT}"
    return environment | overrides


def run_in_repository(command: list[str], timeout: float = 120, **environment: str) -> subprocess.CompletedProcess[str]:
    """Run a command from the repository root with the local environment plus `environment`."""
    return subprocess.run(
        command,
        cwd=ROOT,
        env=local_environment(**environment),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass
class LocalServer:
    process: subprocess.Popen[str]
    api_port: int
    dynamodb_port: int
    more_ports: dict[str, int]  # LOCAL_AWS_PORT, LOCAL_GITHUB_PORT, LOCAL_CODELOAD_PORT
    banner: list[str] = field(default_factory=list)
    stdout_lines: list[str] = field(default_factory=list)  # everything, the banner and the handler's logs
    stderr_lines: list[str] = field(default_factory=list)
    _stderr_arrived: threading.Condition = field(default_factory=threading.Condition, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def dynamodb_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.dynamodb_port}"

    def banner_value(self, label: str) -> str:
        return next(line.split(":", 1)[1].strip() for line in self.banner if line.strip().startswith(f"{label}:"))

    @property
    def session_token(self) -> str:
        return self.banner_value("Cookie").removeprefix("neptun-session=")

    @property
    def curl_command(self) -> str:
        start = next(i for i, line in enumerate(self.banner) if line.strip().startswith("curl "))
        lines = []
        for line in self.banner[start:]:
            lines.append(line)
            if not line.rstrip().endswith("\\"):
                break
        return "\n".join(lines)

    def import_path(self, import_id: int, project_id: int = 789) -> str:
        return f"/api/users/1/projects/{project_id}/resources/imports/{import_id}"

    def get_json(self, path: str) -> Any:
        request = urllib.request.Request(
            self.base_url + path, headers={"Cookie": f"neptun-session={self.session_token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.load(answer)

    def import_when_done(self, import_id: int, timeout: float = 60, project_id: int = 789) -> dict[str, Any]:
        """The import once its run ended (`completed` or `failed`): the local pipeline runs in the background."""
        deadline = time.monotonic() + timeout
        while True:
            shown: dict[str, Any] = self.get_json(self.import_path(import_id, project_id))["import"]
            if shown["status"] in {"completed", "failed"} or time.monotonic() > deadline:
                return shown
            time.sleep(0.2)

    def keep_stderr_line(self, line: str) -> None:
        with self._stderr_arrived:
            self.stderr_lines.append(line)
            self._stderr_arrived.notify_all()

    def stderr_lines_matching(self, matches: Callable[[str], bool], timeout: float = 10) -> list[str]:
        """The server's stderr lines that match, waiting for the first to arrive: the server writes its
        request log line after the response, and a thread reads it, so it may come after the answer."""

        def found() -> list[str]:
            return [line for line in self.stderr_lines if matches(line)]

        with self._stderr_arrived:
            self._stderr_arrived.wait_for(found, timeout)
            return found()

    def stderr_lines_containing(self, text: str, timeout: float = 10) -> list[str]:
        return self.stderr_lines_matching(lambda line: text in line, timeout)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # what Ctrl-C sends
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def server_ports() -> dict[str, str]:
    """Free ports of this worker's block for every port `make run` binds (PORT, DYNAMODB_PORT, and its
    S3 and SQS and GitHub stand-in's), as environment variables."""
    names = ("PORT", "DYNAMODB_PORT", "LOCAL_AWS_PORT", "LOCAL_GITHUB_PORT", "LOCAL_CODELOAD_PORT")
    return {name: str(free_port()) for name in names}


def start_local_server(
    api_port: int | None = None, dynamodb_port: int | None = None, timeout: float = 90, **settings: str
) -> LocalServer:
    """`settings` are further environment variables, e.g. DYNAMODB_ENDPOINT_URL to share a DynamoDB."""
    api_port = api_port or free_port()
    dynamodb_port = dynamodb_port or free_port()
    more_ports = {name: int(port) for name, port in server_ports().items() if name.startswith("LOCAL_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "local.run"],
        cwd=ROOT,
        env=local_environment(
            PORT=str(api_port),
            DYNAMODB_PORT=str(dynamodb_port),
            **{name: str(port) for name, port in more_ports.items()},
            **settings,
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    server = LocalServer(process, api_port, dynamodb_port, more_ports)
    ready: queue.Queue[str | None] = queue.Queue()

    def keep_stdout(line: str) -> None:
        server.stdout_lines.append(line)
        ready.put(line)

    threading.Thread(target=_pump, args=(process.stdout, keep_stdout, lambda: ready.put(None)), daemon=True).start()
    threading.Thread(target=_pump, args=(process.stderr, server.keep_stderr_line, None), daemon=True).start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = ready.get(timeout=1)
        except queue.Empty:
            continue
        if line is None:
            break
        server.banner.append(line.rstrip("\n"))
        if line.startswith(READY_LINE):
            return server
    server.stop()
    raise RuntimeError(f"local server did not start: {server.banner} {server.stderr_lines}")


def _pump(stream: Iterable[str] | None, sink: Callable[[str], None], at_end: Callable[[], None] | None) -> None:
    for line in stream or []:
        sink(line)
    if at_end is not None:
        at_end()
