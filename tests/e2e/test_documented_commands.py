"""The documentation's commands, run as written against `make run`, in the order a reader meets them.

Each `sh` block of the HTTP contract page (and the example command after its clients' table), of
Running locally (`make admin`) and of GitHub App installations (`make webhook`, then a create) runs as
printed, but for the server's address and ports: a reader who follows a page from top to bottom must
see each one succeed, so no example may break a later one (say, by deleting the import a later one reads).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.e2e.local_server import ROOT, LocalServer, local_environment, start_local_server

DOCS = ROOT / "docs"
PRINTED_ADDRESS = "http://127.0.0.1:3000"
# A status as curl -i prints it, or as make webhook does ("installation delivery <id>: 200 {...}").
ANSWERED = re.compile(r"^(?:HTTP/1\.1 |\S+ delivery \S+: )(\d{3}) ", re.MULTILINE)


def sh_blocks(page: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", (DOCS / page).read_text(encoding="utf-8"), re.DOTALL)


CONTRACT_BLOCKS = sh_blocks("http-contract.md")
[CONTRACT_EXAMPLE] = re.findall(
    r"For example: `(NEPTUN_SESSION=[^`]+)`", (DOCS / "http-contract.md").read_text(encoding="utf-8")
)
[ADMIN_BLOCK] = [block for block in sh_blocks("running-locally.md") if "make admin" in block]
[WEBHOOK_BLOCK] = [block for block in sh_blocks("github-app.md") if "make webhook" in block]


def run(command: str, server: LocalServer) -> subprocess.CompletedProcess[str]:
    script = f"set -euo pipefail\n{command.replace(PRINTED_ADDRESS, server.base_url)}"
    return subprocess.run(
        ["bash", "-c", script],
        cwd=ROOT,
        env=local_environment(
            NEPTUN_API=server.base_url, PORT=str(server.api_port), DYNAMODB_PORT=str(server.dynamodb_port)
        ),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_pages_have_their_examples() -> None:
    assert len(CONTRACT_BLOCKS) >= 4
    assert any("-X DELETE" in block for block in CONTRACT_BLOCKS)
    assert Path(ROOT / CONTRACT_EXAMPLE.split()[-2]).exists()
    assert ADMIN_BLOCK.count("make admin") >= 5
    assert WEBHOOK_BLOCK.count("make webhook") == 2


def test_every_example_succeeds_in_the_order_the_pages_give() -> None:
    running = start_local_server()
    try:
        for command in [*CONTRACT_BLOCKS, CONTRACT_EXAMPLE, ADMIN_BLOCK, WEBHOOK_BLOCK]:
            result = run(command, running)
            assert result.returncode == 0, (command, result.stdout, result.stderr)
            statuses = [int(status) for status in ANSWERED.findall(result.stdout)]
            assert all(200 <= status < 300 for status in statuses), (command, result.stdout)
            if command is WEBHOOK_BLOCK:
                assert statuses == [200, 201, 200], result.stdout
    finally:
        assert running.stop() == 0
