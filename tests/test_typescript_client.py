"""clients/typescript: the web UI's typed client is generated from the committed OpenAPI document, has not
drifted from it, type-checks with its examples, and refuses at compile time a call the API would refuse.

It needs `make client` (its npm package installed); the examples run against make run in
tests/e2e/test_manage_imports_over_http.py."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.e2e.local_server import ROOT

CLIENT = ROOT / "clients" / "typescript"
GENERATOR = ROOT / "tools" / "node" / "node_modules" / ".bin" / "openapi-typescript"
TSC = CLIENT / "node_modules" / ".bin" / "tsc"
IMPORTS = "/api/users/{user_id}/projects/{project_id}/resources/imports"


def run(command: list[str | Path], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    missing = [tool for tool in (GENERATOR, TSC) if tool in command and not tool.exists()]
    assert not missing, f"{missing[0]} is missing: run `make node-tools client`"
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def test_the_committed_types_are_what_the_pinned_generator_makes_of_the_openapi_document(tmp_path: Path) -> None:
    generated = tmp_path / "schema.ts"

    result = run([GENERATOR, ROOT / "docs" / "openapi.json", "-o", generated])

    assert result.returncode == 0, result.stderr
    assert (CLIENT / "src" / "schema.ts").read_text(encoding="utf-8") == generated.read_text(encoding="utf-8"), (
        "run `make openapi`, then `npm run generate` in clients/typescript, and commit the result"
    )


def test_the_client_and_its_examples_type_check() -> None:
    result = run([TSC, "--noEmit", "-p", CLIENT])

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("call", "complaint"),
    [
        # A source type the API does not have.
        (
            f'client.POST("{IMPORTS}", {{ params: {{ path: project }}, '
            'body: { source_type: "gitlab", source_path: "a/b" } })',
            "gitlab",
        ),
        # A path id given as text: the document says integer.
        (
            f'client.GET("{IMPORTS}", {{ params: {{ path: {{ user_id: "1", project_id: 789 }} }} }})',
            "Type 'string' is not assignable to type 'number'",
        ),
        # A query parameter the route does not take (the API answers 400).
        (f'client.GET("{IMPORTS}", {{ params: {{ path: project, query: {{ page: 2 }} }} }})', "page"),
        # A route that does not exist.
        ('client.GET("/api/users/{user_id}/projects", { params: { path: project } })', "/api/users/{user_id}/projects"),
    ],
    ids=["source-type", "path-id-type", "unknown-query", "unknown-route"],
)
def test_a_call_the_api_would_refuse_does_not_type_check(tmp_path: Path, call: str, complaint: str) -> None:
    result = type_check(tmp_path, call)

    assert result.returncode != 0
    errors = [line for line in result.stdout.splitlines() if "error TS" in line]
    assert errors, result.stdout + result.stderr
    assert all(line.startswith("call.ts(") for line in errors), errors
    assert complaint in result.stdout


def test_the_same_harness_passes_a_call_the_api_takes(tmp_path: Path) -> None:
    call = f'client.GET("{IMPORTS}", {{ params: {{ path: project, query: {{ source_type: "github", limit: 5 }} }} }})'

    result = type_check(tmp_path, call)

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_documented_usage_type_checks(tmp_path: Path) -> None:
    page = (ROOT / "docs" / "typescript-client.md").read_text(encoding="utf-8")
    usage = re.search(r"```ts\n(.*?)```", page, re.DOTALL)
    assert usage is not None
    source = usage.group(1).replace('"@neptun/imports-client"', f'"{CLIENT / "src" / "index.js"}"')

    result = type_check_source(tmp_path, source + "export {};\n")

    assert result.returncode == 0, result.stdout + result.stderr


def type_check(tmp_path: Path, call: str) -> subprocess.CompletedProcess[str]:
    """tsc on one file that makes the call with the client, under the client's own compiler options."""
    return type_check_source(
        tmp_path,
        f'import {{ createImportsClient }} from "{CLIENT / "src" / "index.js"}";\n'
        'const client = createImportsClient({ baseUrl: "http://127.0.0.1:3000" });\n'
        "const project = { user_id: 1, project_id: 789 };\n"
        f"await {call};\n",
    )


def type_check_source(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "call.ts").write_text(source, encoding="utf-8")
    config = {
        "extends": str(CLIENT / "tsconfig.json"),
        "compilerOptions": {"noEmit": True, "rootDir": "/", "typeRoots": [str(CLIENT / "node_modules" / "@types")]},
        "files": ["call.ts"],
    }
    (tmp_path / "tsconfig.json").write_text(json.dumps(config), encoding="utf-8")
    (tmp_path / "package.json").write_text('{"type": "module"}', encoding="utf-8")
    return run([TSC, "-p", tmp_path], cwd=tmp_path)
