"""SnapStart's before-snapshot hook: every function primes without the network, and restored copies
of one snapshot still draw distinct ids and write tokens.

Each case runs in a fresh interpreter (the hooks register at import, as in Lambda's init) whose
sockets refuse to connect. A snapshot restored twice is simulated by forking twice after priming
and giving each child the parent's `random` state back (fork reseeds it; a restore would not).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from bench.cold_start import handler_environment

HANDLERS = [
    "handlers.create_import",
    "handlers.list_imports",
    "handlers.get_import",
    "handlers.update_import",
    "handlers.delete_import",
    "handlers.refresh_import",
    "handlers.grant_import_upload",
    "handlers.list_import_files",
    "handlers.get_import_file",
    "handlers.github_webhook",
]

_NO_NETWORK = """
import json, socket, sys
attempts = []
def refuse(self, address, *args):
    attempts.append(repr(address))
    raise OSError("no network while priming")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
"""

PRIME = (
    _NO_NETWORK
    + """
import importlib
from snapshot_restore_py import get_before_snapshot
module = importlib.import_module(sys.argv[1])
hooks = list(get_before_snapshot())
for function, args, kwargs in hooks:
    function(*args, **kwargs)
print(json.dumps({"hooks": len(hooks), "connect_attempts": attempts}))
"""
)

RESTORE_TWICE = (
    _NO_NETWORK
    + """
import importlib, os, random
from snapshot_restore_py import get_before_snapshot
importlib.import_module("handlers.create_import")
for function, args, kwargs in get_before_snapshot():
    function(*args, **kwargs)
from domain.create_import import random_id_bits
from dynamodb_store.store import new_write_token
snapshot_random_state = random.getstate()
draws = []
for _ in range(2):
    read_end, write_end = os.pipe()
    if os.fork() == 0:
        random.setstate(snapshot_random_state)  # what a restore would hold
        drawn = {"id_bits": [random_id_bits() for _ in range(4)], "write_token": new_write_token(),
                 "random_module": random.getrandbits(64)}
        os.write(write_end, json.dumps(drawn).encode())
        os._exit(0)
    os.close(write_end)
    draws.append(json.loads(os.read(read_end, 65536)))
    os.wait()
print(json.dumps(draws))
"""
)


def run_python(script: str, *arguments: str) -> str:
    environment = handler_environment() | {
        # As deployed: the webhook secret read from SSM, never a local value.
        "GITHUB_WEBHOOK_SECRET_PARAMETER": "/neptun/github-webhook-secret",
        "GITHUB_WEBHOOK_SECRET": "",
        "PYTHONPATH": ":".join(sys.path),
    }
    completed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *arguments],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


@pytest.mark.parametrize("module", HANDLERS)
def test_each_function_primes_once_without_the_network(module: str) -> None:
    outcome = json.loads(run_python(PRIME, module))
    assert outcome == {"hooks": 1, "connect_attempts": []}


def test_two_environments_restored_from_one_snapshot_draw_different_ids_and_tokens() -> None:
    first, second = json.loads(run_python(RESTORE_TWICE))
    assert first["random_module"] == second["random_module"], "the simulation copies the process's own state"
    assert first["id_bits"] != second["id_bits"]
    assert first["write_token"] != second["write_token"]
