"""The Lambda handler end to end against moto's DynamoDB: what a client sees for every outcome."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from domain.access import session_token_hash
from domain.models import MAX_SAFE_INTEGER
from dynamodb_store.keys import session_key
from handlers import create_import
from local import records
from local.demo import DEMO_PROJECT_ID, DEMO_USER_ID
from tests.api_client import GITHUB_IMPORT, assert_error, imports_path, post_imports, stored_imports
from tests.iam_policy import another_client

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from tests.conftest import JsonLogs, RequestCounter

pytestmark = pytest.mark.usefixtures("demo_token")

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
UNAUTHENTICATED_MESSAGE = "Sign in again: the neptun-session cookie is missing, unknown or expired."


def all_items(dynamodb: DynamoDBClient) -> list[Any]:
    return dynamodb.scan(TableName="DataTable")["Items"]


# --- 201 -----------------------------------------------------------------------------------------


def test_created_import_is_returned_as_documented() -> None:
    response = post_imports(GITHUB_IMPORT)

    assert response.status == 201, response.text
    assert response.headers["content-type"] == "application/json"
    created = response.json()["import"]
    assert set(response.json()) == {"import"}
    assert isinstance(created["id"], int)
    assert 1 <= created["id"] <= MAX_SAFE_INTEGER
    assert created == {
        "id": created["id"],
        "source_type": "github",
        "source_path": "username/repository",
        "source_ref": None,  # the repository's default branch
        "title": "My GitHub Import",
        "description": "Importing from GitHub repository",
        "created_at": created["created_at"],
        "updated_at": created["created_at"],
        "neptun_user_id": 1,
        "project_id": 789,
        "status": "pending",  # until the pipeline's run starts (docs/importing.md)
        "commit_sha": None,
        "imported_at": None,
        "error": None,
        "context": None,
    }
    assert TIMESTAMP.fullmatch(created["created_at"])
    assert response.headers["location"] == f"/api/users/1/projects/789/resources/imports/{created['id']}"


def test_absent_title_and_description_come_back_as_null() -> None:
    response = post_imports({"source_type": "local_folder", "source_path": "src/app", "title": None})
    assert response.status == 201, response.text
    created = response.json()["import"]
    assert (created["title"], created["description"]) == (None, None)


@pytest.mark.parametrize(
    "body",
    [
        {"source_type": "public_github_repository_url", "source_path": "https://github.com/someone/else.git"},
        {"source_type": "local_folder", "source_path": "projects/neptun"},
        {"source_type": "github", "source_path": "UserName/any-repository"},
    ],
)
def test_each_source_type_can_be_imported(body: dict[str, str]) -> None:
    response = post_imports(body)
    assert response.status == 201, response.text
    assert response.json()["import"]["source_path"] == body["source_path"]


def test_the_import_is_stored_under_its_project_and_its_id_is_claimed(dynamodb: DynamoDBClient) -> None:
    created = post_imports(GITHUB_IMPORT).json()["import"]

    [item] = stored_imports(dynamodb)
    assert item["SK"] == {"S": f"IMPORT#{created['id']:016d}"}
    assert item["id"] == {"N": str(created["id"])}
    assert item["source_path"] == {"S": "username/repository"}
    assert item["created_at"] == {"S": created["created_at"]}
    claim = dynamodb.get_item(
        TableName="DataTable", Key={"PK": {"S": f"IMPORT#{created['id']}"}, "SK": {"S": f"IMPORT#{created['id']}"}}
    )
    assert claim["Item"]["project_id"] == {"N": "789"}


def test_many_creates_get_distinct_increasing_ids_and_are_all_stored(dynamodb: DynamoDBClient) -> None:
    ids = [post_imports(GITHUB_IMPORT).json()["import"]["id"] for _ in range(300)]
    assert len(set(ids)) == 300
    assert ids == sorted(ids)
    assert len(stored_imports(dynamodb)) == 300


def test_an_id_already_taken_is_refused_by_dynamodb_and_drawn_again(
    dynamodb: DynamoDBClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(create_import.service, "_id_bits", lambda: 42)
    frozen = create_import.service._clock()
    monkeypatch.setattr(create_import.service, "_clock", lambda: frozen)
    first = post_imports(GITHUB_IMPORT)
    second = post_imports(GITHUB_IMPORT)
    assert (first.status, second.status) == (201, 500)  # same millisecond, same bits: every draw collides
    assert len(stored_imports(dynamodb)) == 1

    draws = iter([42, 42, 43])
    monkeypatch.setattr(create_import.service, "_id_bits", lambda: next(draws))
    third = post_imports(GITHUB_IMPORT)
    assert third.status == 201
    assert third.json()["import"]["id"] == first.json()["import"]["id"] + 1
    assert len(stored_imports(dynamodb)) == 2


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "Application/JSON", "application/json;charset=UTF-8"]
)
def test_json_content_type_is_matched_case_insensitively(content_type: str) -> None:
    assert post_imports(GITHUB_IMPORT, headers={"content-type": content_type}).status == 201


def test_a_base64_encoded_body_is_decoded() -> None:
    body = json.dumps({"source_type": "local_folder", "source_path": "données/é"}).encode()
    response = post_imports(raw_body=body, as_base64=True)
    assert response.status == 201, response.text
    assert response.json()["import"]["source_path"] == "données/é"


# --- 400 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_id", "project_id", "field"),
    [
        ("0", "789", "user_id"),
        ("-1", "789", "user_id"),
        ("+1", "789", "user_id"),
        ("1.0", "789", "user_id"),
        ("1e3", "789", "user_id"),
        ("abc", "789", "user_id"),
        ("\u0661", "789", "user_id"),  # ARABIC-INDIC DIGIT ONE: a digit to str.isdigit(), not to us
        (str(MAX_SAFE_INTEGER + 1), "789", "user_id"),
        ("1", "0", "project_id"),
        ("1", "9" * 40, "project_id"),
    ],
)
def test_invalid_path_ids_are_400_with_the_field_named(user_id: str, project_id: str, field: str) -> None:
    body = assert_error(post_imports(GITHUB_IMPORT, path=imports_path(user_id, project_id)), 400)
    assert field in {error["field"] for error in body["errors"]}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"source_type", "source_path"}),
        ({"source_type": "github"}, {"source_path"}),
        ({"source_type": "svn", "source_path": "x"}, {"source_type"}),
        ({"source_type": "github", "source_path": 42}, {"source_path"}),
        ({"source_type": "github", "source_path": "   "}, {"source_path"}),
        ({"source_type": "github", "source_path": "-bad-/repo"}, {"source_path"}),
        ({"source_type": "local_folder", "source_path": "../etc"}, {"source_path"}),
        (GITHUB_IMPORT | {"title": "t" * 256}, {"title"}),
        (GITHUB_IMPORT | {"description": False}, {"description"}),
        (GITHUB_IMPORT | {"id": 5, "neptun_user_id": 2}, {"id", "neptun_user_id"}),
        (["not", "an", "object"], {"body"}),
        ("just a string", {"body"}),
    ],
)
def test_invalid_bodies_are_400_listing_each_invalid_field(
    body: object, fields: set[str], dynamodb: DynamoDBClient
) -> None:
    response_body = assert_error(post_imports(body), 400)
    assert {error["field"] for error in response_body["errors"]} == fields
    assert all(error["message"] for error in response_body["errors"])
    assert stored_imports(dynamodb) == []


@pytest.mark.parametrize(
    "raw_body",
    [
        b"",
        b"{",
        b'{"source_type": "github", "source_type": "local_folder", "source_path": "a/b"}',
        b'{"a": NaN}',
        b"[" * 50_000,
        b'{"source_path": "\xff\xfe"}',
    ],
    ids=["empty", "truncated", "duplicate-key", "nan", "deep-nesting", "invalid-utf8"],
)
def test_unreadable_json_is_400(raw_body: bytes) -> None:
    assert_error(post_imports(raw_body=raw_body), 400)


def test_invalid_utf8_in_a_base64_body_is_400() -> None:
    assert_error(post_imports(raw_body=b'{"source_type": "\xff"}', as_base64=True), 400)


# --- 401 -----------------------------------------------------------------------------------------


def expired_token(dynamodb: DynamoDBClient) -> str:
    return records.put_session(dynamodb, DEMO_USER_ID, lifetime_seconds=-1)


@pytest.mark.parametrize(
    "cookie_header",
    [
        "",
        "theme=dark",
        "neptun-session=",
        "neptun-session=unknown-token",
        "neptun-session=a b",
        "neptun-session=local-demo-session-token-for-user-1; neptun-session=other",
    ],
    ids=["none", "other-cookie", "empty", "unknown", "malformed", "two-different"],
)
def test_missing_unknown_or_ambiguous_sessions_are_401_with_one_message(cookie_header: str) -> None:
    body = assert_error(post_imports(GITHUB_IMPORT, cookie_header=cookie_header), 401)
    assert body["message"] == UNAUTHENTICATED_MESSAGE


def test_a_session_expiring_this_very_second_is_401(dynamodb: DynamoDBClient, monkeypatch: pytest.MonkeyPatch) -> None:
    token = records.put_session(dynamodb, DEMO_USER_ID, lifetime_seconds=30)
    stored = dynamodb.get_item(TableName="SessionsTable", Key=session_key(session_token_hash(token) or ""))
    expires_at = int(stored["Item"]["expires_at"]["N"])
    assert expires_at > time.time()  # live by the real clock; the handler's clock now stands at its expiry
    monkeypatch.setattr(create_import.service, "_clock", lambda: datetime.fromtimestamp(expires_at, UTC))
    body = assert_error(post_imports(GITHUB_IMPORT, token=token), 401)
    assert body["message"] == UNAUTHENTICATED_MESSAGE
    assert stored_imports(dynamodb) == []


def test_an_absolute_folder_is_400_saying_so(dynamodb: DynamoDBClient) -> None:
    body = assert_error(post_imports({"source_type": "local_folder", "source_path": "/home/me/project"}), 400)
    assert body["errors"] == [
        {
            "field": "source_path",
            "message": "must be a relative path, not an absolute one (for source_type 'local_folder')",
        }
    ]
    assert stored_imports(dynamodb) == []


def test_an_expired_session_is_401_even_before_ttl_deletes_it(dynamodb: DynamoDBClient) -> None:
    body = assert_error(post_imports(GITHUB_IMPORT, token=expired_token(dynamodb)), 401)
    assert body["message"] == UNAUTHENTICATED_MESSAGE


@pytest.mark.parametrize(
    "cookie_header",
    [
        "theme=dark; neptun-session=local-demo-session-token-for-user-1; lang=en",
        'neptun-session="local-demo-session-token-for-user-1"',
        "neptun-session=local-demo-session-token-for-user-1; neptun-session=local-demo-session-token-for-user-1",
    ],
)
def test_the_session_cookie_is_found_among_real_cookie_headers(cookie_header: str) -> None:
    assert post_imports(GITHUB_IMPORT, cookie_header=cookie_header).status == 201


# --- 403, 404 ------------------------------------------------------------------------------------


def test_a_session_of_another_user_is_403(dynamodb: DynamoDBClient) -> None:
    other = records.put_session(dynamodb, user_id=2)
    assert_error(post_imports(GITHUB_IMPORT, token=other), 403)


def test_a_repository_the_installation_does_not_cover_is_403_naming_it(dynamodb: DynamoDBClient) -> None:
    records.put_installation(dynamodb, DEMO_USER_ID, "Octo-Org", repositories=["Allowed-Repo"])
    assert post_imports({"source_type": "github", "source_path": "octo-org/allowed-repo"}).status == 201
    body = assert_error(post_imports({"source_type": "github", "source_path": "octo-org/secret"}), 403)
    assert "octo-org/secret" in body["message"]
    body = assert_error(post_imports({"source_type": "github", "source_path": "stranger/repo"}), 403)
    assert "stranger/repo" in body["message"]


def test_a_missing_project_and_another_users_project_are_the_same_404(dynamodb: DynamoDBClient) -> None:
    records.put_project(dynamodb, user_id=2, project_id=5)
    missing = assert_error(post_imports(GITHUB_IMPORT, path=imports_path(1, 4)), 404)
    someone_elses = assert_error(post_imports(GITHUB_IMPORT, path=imports_path(1, 5)), 404)
    assert missing == someone_elses


def test_a_project_deleted_between_read_and_write_gets_404_and_no_import(dynamodb: DynamoDBClient) -> None:
    def delete_project_first(**_: Any) -> None:
        with another_client():  # another service, not the function
            records.delete_project(dynamodb, DEMO_USER_ID, DEMO_PROJECT_ID)

    events = create_import.dynamodb.meta.events
    events.register("before-call.dynamodb.TransactWriteItems", delete_project_first)
    try:
        assert_error(post_imports(GITHUB_IMPORT), 404)
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", delete_project_first)
    assert [item for item in all_items(dynamodb) if item["PK"]["S"].startswith("IMPORT#")] == []
    assert stored_imports(dynamodb) == []


# --- 413, 415 ------------------------------------------------------------------------------------


def test_a_body_over_64_kib_is_413(dynamodb: DynamoDBClient) -> None:
    padded = json.dumps(GITHUB_IMPORT).encode()[:-1] + b" " * 65536 + b"}"
    assert_error(post_imports(raw_body=padded), 413)
    assert stored_imports(dynamodb) == []


def test_a_body_of_exactly_64_kib_is_accepted() -> None:
    unpadded = json.dumps(GITHUB_IMPORT).encode()
    padded = unpadded[:-1] + b" " * (65536 - len(unpadded)) + b"}"
    assert len(padded) == 65536
    assert post_imports(raw_body=padded).status == 201


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"],
)
def test_a_body_that_is_not_json_is_415(content_type: str) -> None:
    assert_error(post_imports(GITHUB_IMPORT, headers={"content-type": content_type}), 415)


def test_a_form_body_that_would_validate_is_still_415() -> None:
    form = b"source_type=github&source_path=username/repository"
    response = post_imports(raw_body=form, headers={"content-type": "application/x-www-form-urlencoded"})
    assert_error(response, 415)


def test_a_missing_content_type_is_415() -> None:
    assert_error(post_imports(GITHUB_IMPORT, headers={"content-type": None}), 415)


# --- precedence ----------------------------------------------------------------------------------

BAD_PATH = imports_path("zero", 789)
BAD_BODY = {"source_type": "svn"}


@pytest.mark.parametrize(
    ("token_kind", "path", "body", "headers", "status"),
    [
        ("none", BAD_PATH, BAD_BODY, {"content-type": "text/plain"}, 401),
        ("expired", BAD_PATH, BAD_BODY, {}, 401),
        ("unknown", imports_path(1, 404404), GITHUB_IMPORT, {}, 401),
        ("other-user", BAD_PATH, BAD_BODY, {}, 400),
        ("other-user", imports_path(), BAD_BODY, {"content-type": "text/plain"}, 403),
        ("demo", imports_path(1, 404404), GITHUB_IMPORT, {"content-type": "text/plain"}, 415),
        ("demo", imports_path(1, 404404), BAD_BODY, {}, 400),
        ("demo", imports_path(1, 404404), {"source_type": "github", "source_path": "stranger/repo"}, {}, 404),
    ],
)
def test_problems_are_reported_in_the_documented_order(
    dynamodb: DynamoDBClient, token_kind: str, path: str, body: object, headers: dict[str, str], status: int
) -> None:
    tokens = {
        "none": None,
        "expired": expired_token(dynamodb),
        "unknown": "never-issued",
        "other-user": records.put_session(dynamodb, user_id=2),
        "demo": "local-demo-session-token-for-user-1",
    }
    assert_error(post_imports(body, token=tokens[token_kind], path=path, headers=headers), status)


def test_an_oversized_body_without_a_session_is_401() -> None:
    assert_error(post_imports(raw_body=b" " * 100_000, token=None), 401)


# --- DynamoDB requests ---------------------------------------------------------------------------


def test_a_successful_create_makes_two_dynamodb_requests(dynamodb_requests: RequestCounter) -> None:
    assert post_imports(GITHUB_IMPORT).status == 201
    assert dynamodb_requests.operations == ["BatchGetItem", "TransactWriteItems"]


@pytest.mark.parametrize(
    ("arguments", "status"),
    [
        ({"token": None}, 401),
        ({"token": "never-issued"}, 401),
        ({"path": imports_path(0, 789)}, 400),
        ({"path": imports_path(2, 789)}, 403),
        ({"body": BAD_BODY}, 400),
        ({"headers": {"content-type": "text/plain"}}, 415),
        ({"raw_body": b" " * 70_000}, 413),
        ({"path": imports_path(1, 404404)}, 404),
        ({"body": {"source_type": "github", "source_path": "stranger/repo"}}, 403),
    ],
)
def test_a_refused_request_makes_at_most_one_dynamodb_request(
    dynamodb_requests: RequestCounter, arguments: dict[str, Any], status: int
) -> None:
    arguments = {"body": GITHUB_IMPORT} | arguments
    assert post_imports(**arguments).status == status
    assert dynamodb_requests.count <= 1
    assert set(dynamodb_requests.operations) <= {"BatchGetItem"}


def test_no_cookie_means_no_dynamodb_request_at_all(dynamodb_requests: RequestCounter) -> None:
    assert post_imports(GITHUB_IMPORT, token=None).status == 401
    assert dynamodb_requests.count == 0


# --- 500, unknown routes, observability ----------------------------------------------------------


def test_an_unexpected_failure_is_a_generic_500_logged_under_the_request_id(
    dynamodb: DynamoDBClient, handler_logs: JsonLogs
) -> None:
    dynamodb.delete_table(TableName="DataTable")
    response = post_imports(GITHUB_IMPORT)
    body = assert_error(response, 500)
    assert body["message"] == "Something went wrong on our side; try again later."
    assert "DataTable" not in response.text
    [error] = [line for line in handler_logs.records() if line.get("level") == "ERROR"]
    assert error["correlation_id"]
    assert "ResourceNotFoundException" in error["exception"]


def test_an_unknown_route_is_a_json_404() -> None:
    body = assert_error(post_imports(GITHUB_IMPORT, path="/api/users/1/projects/789/resources/exports"), 404)
    assert body["message"] == "There is no such route."


def test_no_log_or_metric_line_carries_the_session_token(
    demo_token: str, dynamodb: DynamoDBClient, handler_logs: JsonLogs, capsys: pytest.CaptureFixture[str]
) -> None:
    post_imports(GITHUB_IMPORT)
    post_imports(BAD_BODY)
    post_imports(GITHUB_IMPORT, path=imports_path(2, 789))
    dynamodb.delete_table(TableName="DataTable")
    assert post_imports(GITHUB_IMPORT).status == 500  # the error log has the most detail of all
    everything = handler_logs.text + capsys.readouterr().out
    assert "ImportCreated" in everything
    assert "Traceback" in everything
    assert demo_token not in everything
    assert "neptun-session" not in everything


def test_each_create_emits_an_import_created_metric_by_source_type(capsys: pytest.CaptureFixture[str]) -> None:
    post_imports(GITHUB_IMPORT)
    post_imports({"source_type": "local_folder", "source_path": "src"})
    post_imports(BAD_BODY)
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [(line["source_type"], line["ImportCreated"]) for line in metrics] == [
        ("github", [1.0]),
        ("local_folder", [1.0]),
    ]
    assert metrics[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Neptun"


def test_session_project_and_installation_are_read_strongly_consistent(dynamodb: DynamoDBClient) -> None:
    sent: list[dict[str, Any]] = []

    def keep(params: dict[str, Any], **_: Any) -> None:
        sent.append(params)

    events = create_import.dynamodb.meta.events
    events.register("provide-client-params.dynamodb.BatchGetItem", keep)
    try:
        assert post_imports(GITHUB_IMPORT).status == 201
    finally:
        events.unregister("provide-client-params.dynamodb.BatchGetItem", keep)
    [read] = sent
    assert {table: request["ConsistentRead"] for table, request in read["RequestItems"].items()} == {
        "SessionsTable": True,
        "DataTable": True,
    }
    # The project, the installation's account copy and the one repository item the create names.
    assert len(read["RequestItems"]["DataTable"]["Keys"]) == 3
