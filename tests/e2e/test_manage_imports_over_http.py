"""List, get, update and delete over real HTTP against `make run`: the API documents' own curl
commands, and the httpx and fetch examples in examples/, with the base URL and cookie swapped."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.models import ProjectImport
from local.demo import DEMO_IMPORT
from tests.e2e.local_server import ROOT, LocalServer, run_in_repository, start_local_server

# Where the Makefile says (API_DOCUMENTS); run by hand, beside the clone as on CI.
API_DOCUMENTS = Path(os.environ.get("API_DOCUMENTS") or ROOT.parent / "shared" / "api")
DOCUMENTED_BASE_URL = "https://neptun-webui.vercel.app"
DOCUMENTED_IMPORT_ID = "123"
IMPORTS = "/api/users/1/projects/789/resources/imports"
IMPORT_KEYS = set(ProjectImport.model_fields)  # every field of every import, run state included


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    running = start_local_server()
    yield running
    assert running.stop() == 0, running.stderr_lines


def new_import(server: LocalServer, **fields: str) -> dict[str, Any]:
    body = {"source_type": "github", "source_path": "username/repository", "title": "To be changed"} | fields
    response = httpx.post(
        server.base_url + IMPORTS, json=body, headers={"Cookie": f"neptun-session={server.session_token}"}
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()["import"]
    return created


def documented_curl(document: str, server: LocalServer, import_id: int | None = None) -> str:
    """The document's cURL example as written, pointed at the local server, the demo cookie and an import."""
    # shared/ stands beside the repository on the developers' machines and beside CI's clone.
    assert API_DOCUMENTS.is_dir(), f"the API documents are expected in {API_DOCUMENTS}"
    text = (API_DOCUMENTS / document).read_text(encoding="utf-8")
    [command] = re.findall(r"### cURL Example\s+```bash\n(.*?)```", text, flags=re.DOTALL)
    assert isinstance(command, str)
    command = command.replace(DOCUMENTED_BASE_URL, server.base_url)
    command = command.replace("your-session-cookie", server.session_token)
    if import_id is not None:
        command = command.replace(f"/imports/{DOCUMENTED_IMPORT_ID}", f"/imports/{import_id}")
    return command


def run_curl(command: str) -> tuple[int, dict[str, str], str]:
    result = subprocess.run(
        ["bash", "-c", command.replace("curl ", "curl -si ", 1)], capture_output=True, text=True, timeout=60, check=True
    )
    head, _, body = result.stdout.replace("\r\n", "\n").partition("\n\n")
    status_line, *header_lines = head.splitlines()
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in header_lines)}
    return int(status_line.split()[1]), headers, body


def test_the_list_documents_curl_lists_github_imports(server: LocalServer) -> None:
    status, _, body = run_curl(documented_curl("list-project-imports.md", server))
    assert status == 200
    page = json.loads(body)
    assert set(page) == {"imports", "next_cursor"}
    assert page["imports"]
    assert all(set(entry) == IMPORT_KEYS and entry["source_type"] == "github" for entry in page["imports"])


def test_the_update_documents_curl_changes_title_and_description(server: LocalServer) -> None:
    made = new_import(server)
    status, headers, body = run_curl(documented_curl("update-project-import.md", server, made["id"]))
    assert status == 200, body
    changed = json.loads(body)["import"]
    assert (changed["title"], changed["description"]) == (
        "Updated GitHub Import",
        "Updated import from GitHub repository",
    )
    assert changed["source_path"] == made["source_path"]
    assert headers["etag"] == '"v2"'


def test_the_delete_documents_curl_answers_204_with_an_empty_body(server: LocalServer) -> None:
    made = new_import(server)
    status, _, body = run_curl(documented_curl("delete-project-import.md", server, made["id"]))
    assert (status, body) == (204, "")
    status, _, body = run_curl(documented_curl("delete-project-import.md", server, made["id"]))
    assert status == 404
    assert json.loads(body) == {"statusCode": 404, "message": "Import not found"}


def run_example(server: LocalServer, *command: str) -> Any:
    result = run_in_repository(list(command), NEPTUN_API=server.base_url, NEPTUN_SESSION=server.session_token)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


PYTHON = (sys.executable,)
NODE = ("node",)
# Each kind of example by its file name: the API documents' (httpx, fetch) and the typed client's, as
# `make client` builds them.
EXAMPLES = [
    (PYTHON, "examples/{}_httpx.py"),
    (NODE, "examples/{}_fetch.mjs"),
    (NODE, "clients/typescript/dist/examples/{}.js"),
]


@pytest.mark.parametrize(("runtime", "script"), EXAMPLES, ids=["httpx", "fetch", "typed-client"])
def test_the_examples_list_get_update_and_delete(server: LocalServer, runtime: tuple[str, ...], script: str) -> None:
    made = new_import(server, source_type="local_folder", source_path="examples/run")
    # The Python example prints its pydantic models, whose timestamps have another (equal) form.
    listed = run_example(server, *runtime, script.format("list_imports"), "local_folder")["imports"]
    assert made["id"] in [entry["id"] for entry in listed]
    assert all(entry["source_type"] == "local_folder" for entry in listed)
    everything = run_example(server, *runtime, script.format("list_imports"))["imports"]
    assert {DEMO_IMPORT.id, made["id"]} <= {entry["id"] for entry in everything}

    read = run_example(server, *runtime, script.format("get_import"), str(made["id"]))
    assert (read["import"]["id"], read["import"]["source_path"], read["etag"]) == (made["id"], "examples/run", '"v1"')

    updated = run_example(server, *runtime, script.format("update_import"), str(made["id"]), read["etag"])
    assert updated["import"]["title"] == "Updated GitHub Import"
    stale = run_in_repository(
        [*runtime, script.format("update_import"), str(made["id"]), read["etag"]],
        NEPTUN_API=server.base_url,
        NEPTUN_SESSION=server.session_token,
    )
    assert stale.returncode != 0
    assert "412" in stale.stderr

    assert run_example(server, *runtime, script.format("delete_import"), str(made["id"])) == 204
    response = httpx.get(
        f"{server.base_url}{IMPORTS}/{made['id']}", headers={"Cookie": f"neptun-session={server.session_token}"}
    )
    assert response.status_code == 404


def test_the_typed_clients_digest_example_reads_the_project_digest_then_revalidates_it(server: LocalServer) -> None:
    assert server.import_when_done(DEMO_IMPORT.id)["status"] == "completed"

    printed = run_example(server, "node", "clients/typescript/dist/examples/project_context.js", "100000")

    assert printed["markdown"].startswith("# Project context\n")
    assert f"- Import: `{DEMO_IMPORT.id}`\n" in printed["markdown"]
    assert printed["etag"].startswith('"')
    assert printed["unchanged_status"] == 304
