"""The HTTP contract page's examples (docs/http-contract.md), run in the order it gives them, against `make run`.

Each `sh` block of the page (and the example command after the clients' table) runs as printed,
but for the server's address: a reader who follows the page from top to bottom must see each one
succeed, so no example may break a later one (say, by deleting the import a later one reads).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.e2e.local_server import ROOT, LocalServer, local_environment, start_local_server

PAGE = (ROOT / "docs" / "http-contract.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```sh\n(.*?)```", PAGE, re.DOTALL)
[EXAMPLE] = re.findall(r"For example: `(NEPTUN_SESSION=[^`]+)`", PAGE)
PRINTED_ADDRESS = "http://127.0.0.1:3000"


def run(command: str, server: LocalServer) -> subprocess.CompletedProcess[str]:
    script = f"set -euo pipefail\n{command.replace(PRINTED_ADDRESS, server.base_url)}"
    return subprocess.run(
        ["bash", "-c", script],
        cwd=ROOT,
        env=local_environment(NEPTUN_API=server.base_url),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_page_has_its_examples() -> None:
    assert len(BLOCKS) >= 4
    assert any("-X DELETE" in block for block in BLOCKS)
    assert Path(ROOT / EXAMPLE.split()[-2]).exists()


def test_every_example_succeeds_in_the_order_the_page_gives() -> None:
    running = start_local_server()
    try:
        for command in [*BLOCKS, EXAMPLE]:
            result = run(command, running)
            assert result.returncode == 0, (command, result.stdout, result.stderr)
            statuses = [int(status) for status in re.findall(r"^HTTP/1\.1 (\d{3}) ", result.stdout, re.MULTILINE)]
            assert all(200 <= status < 300 for status in statuses), (command, result.stdout)
    finally:
        assert running.stop() == 0
