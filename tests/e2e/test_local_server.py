"""`make run` end to end: a real server process, real HTTP clients, the printed commands as printed."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from local.dynamodb_local import unavailable_reason
from local.server import request_handler_for
from tests.e2e.local_server import (
    ROOT,
    LocalServer,
    local_environment,
    run_in_repository,
    server_ports,
    start_local_server,
)

IMPORTS = "/api/users/{user}/projects/{project}/resources/imports"
GITHUB_IMPORT = {"source_type": "github", "source_path": "username/repository", "title": "My GitHub Import"}


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    running = start_local_server()
    yield running
    assert running.stop() == 0, running.stderr_lines
    output = "".join(running.stdout_lines[len(running.banner) :] + running.stderr_lines)
    assert running.session_token not in output  # only the banner shows it, once, on purpose
    assert "neptun-session=" not in output


def post(
    server: LocalServer,
    body: bytes,
    cookie: str | None,
    path: str | None = None,
    content_type: str = "application/json",
) -> tuple[int, dict[str, Any]]:
    """One request with the standard library, as a script without dependencies would send it."""
    headers = {"Accept": "application/json", "Content-Type": content_type}
    if cookie is not None:
        headers["Cookie"] = cookie
    request = urllib.request.Request(
        server.base_url + (path or IMPORTS.format(user=1, project=789)), data=body, headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_printed_curl_command_creates_an_import(server: LocalServer) -> None:
    printed = server.curl_command
    assert printed.lstrip().startswith("curl -i -X POST")
    result = subprocess.run(["bash", "-c", printed], capture_output=True, text=True, timeout=60, check=True)
    head, _, body = result.stdout.replace("\r\n", "\n").partition("\n\n")
    assert head.splitlines()[0].split()[1] == "201", result.stdout
    created = json.loads(body)["import"]
    assert created["source_path"] == "username/repository"
    assert f"location: /api/users/1/projects/789/resources/imports/{created['id']}" in head.lower()


def test_the_printout_names_the_api_dynamodb_and_demo_cookie(server: LocalServer) -> None:
    assert server.banner_value("API") == server.base_url
    assert server.banner_value("DynamoDB").startswith(f"http://127.0.0.1:{server.dynamodb_port}")
    assert server.session_token


def test_the_readme_shows_the_banner_make_run_prints(server: LocalServer) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("```text\nNeptun imports service is running locally.") + len("```text\n")
    shown = readme[start : readme.index("```", start)].rstrip("\n").splitlines()
    # The README shows the default ports; this server has its own, and the webhook line says so.
    expected = [
        line.replace("http://127.0.0.1:3000", server.base_url)
        .replace("http://127.0.0.1:8000", server.dynamodb_endpoint)
        .replace("http://127.0.0.1:4566", f"http://127.0.0.1:{server.more_ports['LOCAL_AWS_PORT']}")
        .replace("http://127.0.0.1:3001", f"http://127.0.0.1:{server.more_ports['LOCAL_GITHUB_PORT']}")
        .replace("http://127.0.0.1:3002", f"http://127.0.0.1:{server.more_ports['LOCAL_CODELOAD_PORT']}")
        .replace("  make webhook ", f"  PORT={server.api_port} make webhook ")
        for line in shown
    ]
    printed = server.banner
    if os.environ.get("DYNAMODB") == "moto":  # the README shows DynamoDB Local, make run's first choice
        printed = [line for line in printed if not line.lstrip().startswith(("DynamoDB:", "Notice:"))]
        expected = [line for line in expected if not line.lstrip().startswith("DynamoDB:")]
    assert printed == expected


def run_example(server: LocalServer, *command: str) -> dict[str, Any]:
    """Run one of the API document's examples against the server; return the body it printed."""
    result = run_in_repository(list(command), NEPTUN_API=server.base_url, NEPTUN_SESSION=server.session_token)
    assert result.returncode == 0, result.stderr
    body: dict[str, Any] = json.loads(result.stdout)
    return body


def test_the_api_documents_python_httpx_example_gets_201(server: LocalServer) -> None:
    assert run_example(server, sys.executable, "examples/create_import_httpx.py")["import"]["neptun_user_id"] == 1


def test_the_api_documents_fetch_example_gets_201_in_node(server: LocalServer) -> None:
    assert run_example(server, "node", "examples/create_import_fetch.mjs")["import"]["project_id"] == 789


def test_the_typed_clients_create_example_gets_201_in_node(server: LocalServer) -> None:
    created = run_example(server, "node", "clients/typescript/dist/examples/create_import.js")["import"]
    assert (created["source_type"], created["source_path"], created["project_id"]) == (
        "github",
        "username/repository",
        789,
    )


def test_httpx_sees_the_documented_201(server: LocalServer) -> None:
    response = httpx.post(
        server.base_url + IMPORTS.format(user=1, project=789),
        json={"source_type": "local_folder", "source_path": "src"},
        headers={"Accept": "application/json", "Cookie": f"neptun-session={server.session_token}"},
    )
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    assert response.json()["import"]["title"] is None


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("invalid-path", 400),
        ("invalid-body", 400),
        ("no-cookie", 401),
        ("other-user", 403),
        ("uncovered-repository", 403),
        ("no-project", 404),
        ("too-large", 413),
        ("not-json", 415),
    ],
)
def test_each_error_class_over_http(server: LocalServer, case: str, status: int) -> None:
    cookie = f"neptun-session={server.session_token}"
    body = json.dumps(GITHUB_IMPORT).encode()
    cases: dict[str, dict[str, Any]] = {
        "invalid-path": {"path": IMPORTS.format(user="one", project=789)},
        "invalid-body": {"body": b'{"source_type": "github"}'},
        "no-cookie": {"cookie": None},
        "other-user": {"path": IMPORTS.format(user=2, project=789)},
        "uncovered-repository": {"body": b'{"source_type": "github", "source_path": "someone/else"}'},
        "no-project": {"path": IMPORTS.format(user=1, project=790)},
        "too-large": {"body": body[:-1] + b" " * 70_000 + b"}"},
        "not-json": {"content_type": "text/plain"},
    }
    arguments = cases[case]
    answered, payload = post(server, **({"body": body, "cookie": cookie} | arguments))
    assert (answered, payload["statusCode"]) == (status, status)
    assert payload["message"]


def test_an_unknown_route_is_answered_like_api_gateway(server: LocalServer) -> None:
    response = httpx.get(server.base_url + "/nowhere")
    assert (response.status_code, response.json()) == (404, {"message": "Not Found"})


def test_a_session_added_with_the_admin_command_works(server: LocalServer) -> None:
    def admin(*arguments: str) -> str:
        result = run_in_repository(
            [sys.executable, "-m", "local.admin", *arguments], DYNAMODB_PORT=str(server.dynamodb_port)
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    cookie = admin("session", "--user", "2").strip().removeprefix("Cookie: ")
    admin("project", "--user", "2", "--project", "5")
    admin("installation", "--user", "2", "--account", "octo-org", "--repositories", "hello-world")
    path = IMPORTS.format(user=2, project=5)
    created = post(server, b'{"source_type": "github", "source_path": "octo-org/hello-world"}', cookie, path)
    assert created[0] == 201
    uncovered = post(server, b'{"source_type": "github", "source_path": "octo-org/other"}', cookie, path)
    assert uncovered[0] == 403
    expired = admin("session", "--user", "2", "--expires-in", "-60").strip().removeprefix("Cookie: ")
    assert post(server, json.dumps(GITHUB_IMPORT).encode(), expired, path)[0] == 401


def test_openapi_json_describes_the_body_the_201_and_the_errors(server: LocalServer) -> None:
    document = httpx.get(server.base_url + "/openapi.json").json()
    operation = document["paths"]["/api/users/{user_id}/projects/{project_id}/resources/imports"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("CreateImportRequest")
    assert set(operation["responses"]) == {"201", "400", "401", "403", "404", "409", "413", "415", "422", "500", "503"}
    assert set(document["components"]["schemas"]["CreateImportRequest"]["properties"]) == {
        "source_type",
        "source_path",
        "title",
        "description",
        "source_ref",
    }


def test_each_request_is_logged_with_method_path_status_and_milliseconds(server: LocalServer) -> None:
    httpx.get(server.base_url + "/openapi.json")
    assert server.stderr_lines_matching(
        lambda line: line.startswith("GET /openapi.json 200 ") and line.rstrip().endswith(" ms")
    )


def test_a_port_in_use_is_a_one_line_error_naming_the_variable(server: LocalServer) -> None:
    result = run_in_repository([sys.executable, "-m", "local.run"], PORT=str(server.api_port), DYNAMODB_PORT="0")
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: port {server.api_port} is already in use; set PORT to use another one"


def test_the_banner_names_the_backend_dynamodb_chose(server: LocalServer) -> None:
    described = server.banner_value("DynamoDB")
    wanted = os.environ.get("DYNAMODB", "")
    assert ("DynamoDB Local" in described) == (wanted != "moto" and unavailable_reason() is None), described
    assert ("moto" in described) == ("DynamoDB Local" not in described)


def test_without_java_make_run_embeds_moto_and_says_why() -> None:
    no_java = str(Path(sys.executable).parent)  # the venv's python, and nothing else on PATH
    running = start_local_server(PATH=no_java, DYNAMODB="")
    try:
        assert "moto" in running.banner_value("DynamoDB")
        notice = running.stderr_lines_containing("Notice: embedding moto instead of DynamoDB Local")
        assert notice == [notice[0]]
        assert "no Java on PATH" in notice[0]
    finally:
        assert running.stop() == 0


@pytest.mark.parametrize(("dynamodb", "error"), [("local", "but no Java on PATH"), ("postgres", "must be")])
def test_a_backend_that_cannot_be_had_is_a_one_line_error(dynamodb: str, error: str) -> None:
    result = run_in_repository(
        [sys.executable, "-m", "local.run"], 60, PATH=str(Path(sys.executable).parent), DYNAMODB=dynamodb
    )
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("error: DYNAMODB")
    assert error in result.stderr


def raw_exchange(server: LocalServer, request: bytes) -> bytes:
    """Send bytes as they are, as a hand-written client would; return everything the server answers."""
    with socket.create_connection(("127.0.0.1", server.api_port), timeout=30) as connection:
        connection.sendall(request)
        connection.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize(
    ("content_length", "status"),
    [
        (b"abc", b"400"),
        (b"-5", b"400"),
        (b"1e3", b"400"),
        (b"5\r\nContent-Length: 6", b"400"),
        (b"9" * 5000, b"413"),
        (b"20000000", b"413"),
    ],
    ids=["letters", "negative", "exponent", "two-disagreeing", "past-int-digit-limit", "over-api-gateway-limit"],
)
def test_a_malformed_or_huge_content_length_gets_an_answer(
    server: LocalServer, content_length: bytes, status: bytes
) -> None:
    path = IMPORTS.format(user=1, project=789).encode()
    answer = raw_exchange(
        server, b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Length: " + content_length + b"\r\n\r\n{}"
    )
    assert answer.startswith(b"HTTP/1.1 " + status), answer[:200]
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["message"]


def test_control_characters_in_a_path_are_escaped_in_the_log_line(server: LocalServer) -> None:
    raw_exchange(server, b"GET /evil\x1b[2J\x07here HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    logged = server.stderr_lines_containing("/evil")
    assert logged, server.stderr_lines
    assert "\x1b" not in "".join(logged)
    assert "\x07" not in "".join(logged)
    assert any("/evil\\x1b[2J\\x07here 404 " in line for line in logged)


def test_responses_are_not_held_back_by_nagles_algorithm() -> None:
    """Headers and body are two writes; without TCP_NODELAY the second waits for the client's delayed
    ACK on a kept-alive connection (about 40 ms a response)."""

    class OneAnswer:
        def respond(self, *_: object) -> tuple[int, list[tuple[str, str]], bytes]:
            return 200, [("content-type", "application/json")], b"{}"

    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname())
        server_end, address = listener.accept()
        with client, server_end:
            assert server_end.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
            client.sendall(b"GET /x HTTP/1.1\r\nHost: local\r\nConnection: close\r\n\r\n")
            request_handler_for(OneAnswer())(server_end, address, None)  # type: ignore[arg-type]
            assert server_end.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
            assert client.recv(65536).startswith(b"HTTP/1.1 200 ")


def test_an_installation_added_again_covers_exactly_what_the_tool_says(server: LocalServer) -> None:
    def admin(*arguments: str) -> str:
        result = run_in_repository(
            [sys.executable, "-m", "local.admin", "installation", "--user", "2", "--account", "tool-org", *arguments],
            DYNAMODB_PORT=str(server.dynamodb_port),
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    cookie = run_in_repository(
        [sys.executable, "-m", "local.admin", "session", "--user", "2"], DYNAMODB_PORT=str(server.dynamodb_port)
    ).stdout.strip()
    run_in_repository(
        [sys.executable, "-m", "local.admin", "project", "--user", "2", "--project", "6"],
        DYNAMODB_PORT=str(server.dynamodb_port),
    )
    path = IMPORTS.format(user=2, project=6)

    def create(repository: str) -> int:
        body = json.dumps({"source_type": "github", "source_path": f"tool-org/{repository}"}).encode()
        return post(server, body, cookie.removeprefix("Cookie: "), path)[0]

    assert "covering hello-world, docs" in admin("--repositories", "hello-world", "docs")
    assert (create("docs"), create("other")) == (201, 403)
    assert "covering all repositories" in admin()
    assert create("other") == 201
    assert "covering docs" in admin("--repositories", "docs")
    assert (create("docs"), create("hello-world"), create("other")) == (201, 403, 403)


def test_the_printed_webhook_command_works_pasted_as_it_is(server: LocalServer) -> None:
    [printed] = [line.strip() for line in server.banner if "make webhook" in line]
    assert printed.startswith(f"PORT={server.api_port} make webhook ARGS=")  # the fixture's port is not 3000
    result = subprocess.run(["bash", "-c", printed], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert ": 200 " in result.stdout
    assert '"outcome":"applied"' in result.stdout


@pytest.mark.parametrize(
    ("command", "error"),
    [
        (["local.webhook", "events/github/no-such-file.json"], "cannot read the payload file"),
        (
            ["local.webhook", "events/github/ping.json", "--url", "http://127.0.0.1:9/api/github/webhooks"],
            "nothing answers",
        ),
        (["local.admin", "session", "--user", "2"], "no DynamoDB answers at http://127.0.0.1:9"),
        (["local.invoke", "events/no-such-event.json"], "cannot read the event file"),
        (["local.invoke", "README.md"], "is not a JSON event"),
    ],
    ids=["webhook-no-file", "webhook-no-server", "admin-no-dynamodb", "invoke-no-file", "invoke-not-json"],
)
def test_a_common_mistake_with_a_tool_is_one_line_and_a_failure(command: list[str], error: str) -> None:
    result = run_in_repository([sys.executable, "-m", *command], 120, DYNAMODB_PORT="9")
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert result.stderr.startswith("error: "), result.stderr
    assert error in result.stderr, result.stderr


# While the modules load, while DynamoDB starts, while the tables are made and the demo data seeded,
# and while serving. Every moment must end the same way, so wherever a busy machine puts each of
# these, the assertion holds. The first moment is the first third-party module's load, not a time:
# a SIGINT that comes before the interpreter has made its standard streams ends it with CPython's own
# fatal error, which no code of ours runs early enough to prevent.
@pytest.mark.parametrize("seconds", [None, 0.5, 1.2, 2.5, 5.0])
def test_ctrl_c_at_any_moment_of_starting_ends_cleanly(seconds: float | None) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "local.run"],
        cwd=ROOT,
        env=local_environment(**server_ports()),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if seconds is None:
        wait_until_loading_site_packages(process.pid)
    else:
        time.sleep(seconds)
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert "Traceback" not in output, output
    assert "KeyboardInterrupt" not in output, output


def wait_until_loading_site_packages(pid: int) -> None:
    """Until the process has mapped a native module of the virtual environment (Linux's /proc)."""
    maps = Path(f"/proc/{pid}/maps")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if "site-packages" in maps.read_text(encoding="utf-8"):
                return
        except OSError:  # gone already: the assertions say why
            return
        time.sleep(0.002)
