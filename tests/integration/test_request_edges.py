"""Edges a second attacker found: forged cursors, long error messages, caching, aliases of path ids,
folder paths other systems read as parents or roots, control characters, quoted media type parameters."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import TYPE_CHECKING

import pytest

from local.demo import DEMO_PROJECT_ID, DEMO_USER_ID
from tests.api_client import (
    FOLDER_IMPORT,
    GITHUB_IMPORT,
    HttpResponse,
    assert_error,
    call,
    import_path,
    imports_path,
    post_imports,
    stored_imports,
)
from tests.webhooks import deliver

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

pytestmark = pytest.mark.usefixtures("demo_token")


def forged_cursor(last_id: object, order: str = "asc", source_type: str | None = None) -> str:
    """A cursor built by hand the way docs/http-contract.md describes its format, with a matching check."""
    fields = [1, DEMO_USER_ID, DEMO_PROJECT_ID, source_type, order, last_id]
    check = hashlib.sha256(json.dumps(fields, separators=(",", ":")).encode()).hexdigest()[:16]
    text = json.dumps([*fields, check], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def list_page(query: str) -> HttpResponse:
    return call("GET", imports_path(), query=query)


@pytest.mark.parametrize(
    ("last_id", "order"),
    [(0, "desc"), (0, "asc"), (10**17 - 2, "asc"), (10**17 - 2, "desc"), (2**53, "asc"), (-1, "desc"), (True, "asc")],
)
def test_a_forged_cursor_out_of_range_is_400_never_500(last_id: object, order: str) -> None:
    body = assert_error(list_page(f"order={order}&cursor={forged_cursor(last_id, order)}"), 400)
    assert [error["field"] for error in body["errors"]] == ["cursor"]


def test_a_forged_cursor_in_range_only_says_where_to_start_in_the_own_project() -> None:
    newest = post_imports(FOLDER_IMPORT).json()["import"]["id"]
    after_the_first = list_page(f"order=desc&cursor={forged_cursor(2**53 - 1, 'desc')}")
    assert after_the_first.status == 200, after_the_first.text
    assert newest in [item["id"] for item in after_the_first.json()["imports"]]
    assert list_page(f"order=desc&cursor={forged_cursor(1, 'desc')}").json()["imports"] == []


def test_a_hundred_unknown_query_parameters_get_a_bounded_message() -> None:
    names = [f"p{number:03d}" for number in range(100)]
    body = assert_error(list_page("&".join(f"{name}=1" for name in names)), 400)
    assert body["message"] == (
        "Unknown query parameters: p000, p001, p002 and 97 more. The first 20 problems are listed; 80 more are not."
    )
    assert len(body["errors"]) == 20
    long_names = ["x" * 5000 + str(number) for number in range(4)]
    message = assert_error(list_page("&".join(f"{name}=1" for name in long_names)), 400)["message"]
    assert len(message) < 400, message


def assert_not_cacheable(response: HttpResponse) -> None:
    assert response.headers.get("cache-control") == "no-store", (response.status, response.headers)
    assert response.headers.get("x-content-type-options") == "nosniff", (response.status, response.headers)


def test_every_answer_of_every_route_is_no_store_and_nosniff() -> None:
    created = post_imports(GITHUB_IMPORT)
    made = created.json()["import"]["id"]
    answers = [
        created,
        list_page(""),
        call("GET", import_path(made)),
        call("PUT", import_path(made), {"title": "changed"}),
        call("DELETE", import_path(made)),  # 204
        call("GET", import_path(made)),  # 404
        call("GET", imports_path(), token=None),  # 401
        list_page("limit=0"),  # 400
        post_imports(GITHUB_IMPORT, headers={"content-type": "text/plain"}),  # 415
        deliver("ping"),
        deliver("ping", secret="forged"),  # 401
    ]
    assert [answer.status for answer in answers] == [201, 200, 200, 200, 204, 404, 401, 400, 415, 200, 401]
    for answer in answers:
        assert_not_cacheable(answer)


@pytest.mark.parametrize(
    "path",
    [
        imports_path("0001"),
        imports_path("0" * 10_000 + "1"),
        imports_path(DEMO_USER_ID, "0789"),
        import_path("01"),
    ],
    ids=["user-0001", "user-10000-zeros", "project-0789", "import-01"],
)
def test_path_ids_with_leading_zeros_are_400(path: str) -> None:
    body = assert_error(call("GET", path), 400)
    assert body["errors"], body
    assert all(error["message"].startswith("must be a whole number") for error in body["errors"])


@pytest.mark.parametrize(
    "source_path",
    [
        "..\\..\\x",
        "src\\app",
        ".. ",
        " ..",
        "a/.. /b",
        "a/...",
        "%2e%2e/x",
        "a/%2E%2e/b",
        "a/%2fetc",
        "C:/x",
        "c:x",
        "~/x",
        "~root/x",
        "$HOME/x",
        "${HOME}",
        "%USERPROFILE%/x",
    ],
)
def test_folder_paths_other_systems_read_as_parents_or_roots_are_400(
    source_path: str, dynamodb: DynamoDBClient
) -> None:
    before = stored_imports(dynamodb)
    body = assert_error(post_imports({"source_type": "local_folder", "source_path": source_path}), 400)
    assert [error["field"] for error in body["errors"]] == ["source_path"]
    made = post_imports(FOLDER_IMPORT).json()["import"]["id"]
    assert_error(call("PUT", import_path(made), {"source_path": source_path}), 400)
    assert len(stored_imports(dynamodb)) == len(before) + 1


@pytest.mark.parametrize("source_path", ["src/app", "./src", "a.b/c..d", "..a/b", "my folder/x", "100%/x", "a~b"])
def test_ordinary_folder_paths_still_pass(source_path: str) -> None:
    response = post_imports({"source_type": "local_folder", "source_path": source_path})
    assert response.status == 201, response.text


@pytest.mark.parametrize(
    "content_type",
    ['application/json; charset="utf-8"', 'Application/JSON; Charset="UTF-8"', "application/json;charset=utf-8"],
)
def test_a_quoted_charset_parameter_is_the_same_media_type(content_type: str) -> None:
    response = post_imports(GITHUB_IMPORT, headers={"content-type": content_type})
    assert response.status == 201, response.text


@pytest.mark.parametrize(
    "content_type",
    ['application/json; charset="latin-1"', 'application/json; charset="utf-8', 'application/json; charset=""'],
)
def test_other_charsets_quoted_or_broken_are_still_415(content_type: str) -> None:
    assert_error(post_imports(GITHUB_IMPORT, headers={"content-type": content_type}), 415)
