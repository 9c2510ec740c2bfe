"""List, get, update and delete through the real Lambda handlers against moto: what a client sees."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from handlers import update_import
from local import records
from local.demo import DEMO_PROJECT_ID, DEMO_USER_ID
from tests.api_client import (
    FOLDER_IMPORT,
    GITHUB_IMPORT,
    HttpResponse,
    assert_copies_match_imports,
    assert_error,
    call,
    import_path,
    imports_path,
    post_imports,
    stored_imports,
)
from tests.iam_policy import another_client

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from tests.conftest import RequestCounter

pytestmark = pytest.mark.usefixtures("demo_token")
URL_IMPORT = {"source_type": "public_github_repository_url", "source_path": "https://github.com/octo/hello"}


def created(body: dict[str, Any] = GITHUB_IMPORT, **arguments: Any) -> dict[str, Any]:
    response = post_imports(body, **arguments)
    assert response.status == 201, response.text
    result: dict[str, Any] = response.json()["import"]
    return result


def list_page(query: str = "", **arguments: Any) -> HttpResponse:
    return call("GET", imports_path(), query=query, **arguments)


def all_pages(query: str) -> tuple[list[int], int]:
    """Every id the listing returns, following next_cursor; and how many pages it took."""
    ids: list[int] = []
    pages = 0
    cursor = None
    while True:
        page_query = query + (f"&cursor={cursor}" if cursor else "")
        response = list_page(page_query)
        assert response.status == 200, response.text
        pages += 1
        ids += [entry["id"] for entry in response.json()["imports"]]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return ids, pages


# --- GET .../imports -------------------------------------------------------------------------------


def test_an_empty_project_lists_no_imports() -> None:
    response = list_page()
    assert response.status == 200
    assert response.json() == {"imports": [], "next_cursor": None}


def test_listed_imports_are_exactly_the_created_ones_in_id_order() -> None:
    made = [created(GITHUB_IMPORT), created(FOLDER_IMPORT), created(URL_IMPORT)]
    response = list_page()
    assert response.json() == {"imports": sorted(made, key=lambda entry: entry["id"]), "next_cursor": None}


def test_250_imports_come_back_once_each_in_order_in_pages_of_7(dynamodb: DynamoDBClient) -> None:
    kinds = [GITHUB_IMPORT, FOLDER_IMPORT, URL_IMPORT]
    made = [created(kinds[number % 3]) for number in range(250)]
    ids = sorted(entry["id"] for entry in made)
    listed, pages = all_pages("limit=7")
    assert listed == ids
    assert pages == 36  # 35 full pages and one of 5: never an empty last page
    newest_first, _ = all_pages("limit=7&order=desc")
    assert newest_first == ids[::-1]
    for kind in kinds:
        wanted = sorted(entry["id"] for entry in made if entry["source_type"] == kind["source_type"])
        assert all_pages(f"limit=7&source_type={kind['source_type']}")[0] == wanted
        assert all_pages(f"limit=7&source_type={kind['source_type']}&order=desc")[0] == wanted[::-1]


def test_creates_and_deletes_between_pages_never_repeat_or_skip_an_import() -> None:
    first = [created(FOLDER_IMPORT)["id"] for _ in range(6)]
    page = list_page("limit=3").json()
    assert [entry["id"] for entry in page["imports"]] == first[:3]
    assert call("DELETE", import_path(first[2])).status == 204  # the page's last import
    assert call("DELETE", import_path(first[4])).status == 204
    later = created(FOLDER_IMPORT)["id"]
    rest = list_page(f"limit=3&cursor={page['next_cursor']}").json()
    assert [entry["id"] for entry in rest["imports"]] == [first[3], first[5], later]


def test_a_filtered_page_is_never_empty_while_matching_imports_remain() -> None:
    github = created(GITHUB_IMPORT)["id"]
    for _ in range(30):
        created(FOLDER_IMPORT)
    last = created(GITHUB_IMPORT)["id"]
    page = list_page("limit=1&source_type=github").json()
    assert [entry["id"] for entry in page["imports"]] == [github]
    rest = list_page(f"limit=1&source_type=github&cursor={page['next_cursor']}").json()
    assert rest == {"imports": [created_import(rest, last)], "next_cursor": None}


def created_import(page: dict[str, Any], import_id: int) -> dict[str, Any]:
    entries: list[dict[str, Any]] = [entry for entry in page["imports"] if entry["id"] == import_id]
    assert len(entries) == 1
    return entries[0]


def test_a_page_costs_a_batch_get_and_one_query(dynamodb_requests: RequestCounter) -> None:
    for _ in range(5):
        created(FOLDER_IMPORT)
    dynamodb_requests.operations.clear()
    assert list_page("limit=3").status == 200
    assert dynamodb_requests.operations == ["BatchGetItem", "Query"]


def test_a_filtered_page_reads_only_the_imports_it_returns(dynamodb: DynamoDBClient) -> None:
    """One match among 40 imports of another type: one Query that reads one item (docs/tables.md)."""
    github = created(GITHUB_IMPORT)["id"]
    for _ in range(40):
        created(FOLDER_IMPORT)
    read: list[tuple[str, int]] = []

    def count_items_read(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        read.append((model.name, parsed.get("ScannedCount", 0)))

    dynamodb.meta.events.register("after-call.dynamodb", count_items_read)
    try:
        page = list_page("limit=10&source_type=github").json()
    finally:
        dynamodb.meta.events.unregister("after-call.dynamodb", count_items_read)
    assert [entry["id"] for entry in page["imports"]] == [github]
    assert page["next_cursor"] is None
    assert read == [("BatchGetItem", 0), ("Query", 1)]


def test_a_changed_source_type_moves_the_import_between_filtered_pages() -> None:
    made = created(GITHUB_IMPORT | {"title": "before"})
    changed = put(made["id"], {"source_type": "local_folder", "source_path": "src/app", "title": "after"}).json()
    assert list_page("source_type=github").json()["imports"] == []
    assert list_page("source_type=local_folder").json()["imports"] == [changed["import"]]
    assert list_page().json()["imports"] == [changed["import"]]


def test_every_import_has_one_copy_under_its_source_type_whatever_was_changed(dynamodb: DynamoDBClient) -> None:
    made = [created(kind) for kind in (GITHUB_IMPORT, FOLDER_IMPORT, URL_IMPORT) for _ in range(3)]
    put(made[0]["id"], {"source_type": "local_folder", "source_path": "src"})
    put(made[1]["id"], {"title": "renamed"})
    put(made[3]["id"], URL_IMPORT | {"description": "moved"})
    call("DELETE", import_path(made[2]["id"]))
    call("DELETE", import_path(made[4]["id"]), headers={"If-Match": '"v1"'})
    assert_copies_match_imports(dynamodb)


def test_the_listing_reads_only_its_own_partition(dynamodb_requests: RequestCounter) -> None:
    created()
    dynamodb_requests.operations.clear()
    list_page("source_type=github")
    assert "Scan" not in dynamodb_requests.operations


def cursor_of(query: str = "limit=1") -> str:
    created(FOLDER_IMPORT)
    created(FOLDER_IMPORT)
    cursor = list_page(query).json()["next_cursor"]
    assert isinstance(cursor, str)
    return cursor


@pytest.mark.parametrize(
    ("issued_for", "used_with"),
    [
        ("limit=1", "limit=1&order=desc"),
        ("limit=1", "limit=1&source_type=local_folder"),
        ("limit=1&source_type=local_folder", "limit=1"),
        ("limit=1&order=desc", "limit=1"),
    ],
)
def test_a_cursor_of_another_filter_or_order_is_400(issued_for: str, used_with: str) -> None:
    cursor = cursor_of(issued_for)
    body = assert_error(list_page(f"{used_with}&cursor={cursor}"), 400)
    assert [error["field"] for error in body["errors"]] == ["cursor"]


def test_a_cursor_of_another_project_is_400_never_its_imports(dynamodb: DynamoDBClient) -> None:
    records.put_project(dynamodb, DEMO_USER_ID, 790)
    other = imports_path(DEMO_USER_ID, 790)
    call("POST", other, FOLDER_IMPORT)
    call("POST", other, FOLDER_IMPORT)
    foreign = call("GET", other, query="limit=1").json()["next_cursor"]
    created(FOLDER_IMPORT)
    body = assert_error(list_page(f"limit=1&cursor={foreign}"), 400)
    assert "another listing" in body["message"]


def tampered(cursor: str) -> list[str]:
    raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    raw[5] = raw[5] + 1  # another start, check left as it was
    forged = base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")
    return [cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BB"), cursor + "x", forged, "", "%%%", "A" * 600]


def test_tampered_cursors_are_400() -> None:
    for bad in tampered(cursor_of()):
        response = list_page(f"limit=1&cursor={bad}")
        body = assert_error(response, 400)
        assert {error["field"] for error in body["errors"]} == {"cursor"}, bad


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("source_type=svn", "source_type"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=-1", "limit"),
        ("limit=1.5", "limit"),
        ("limit=+5", "limit"),
        ("order=newest", "order"),
        ("sourcetype=github", "sourcetype"),
        ("limit=5&page=2", "page"),
    ],
)
def test_invalid_or_unknown_query_parameters_are_400_naming_them(query: str, field: str) -> None:
    body = assert_error(list_page(query), 400)
    assert field in {error["field"] for error in body["errors"]}


def test_unknown_query_parameters_come_after_authentication_and_the_user() -> None:
    assert_error(list_page("bogus=1", token=None), 401)
    assert_error(call("GET", imports_path(2, DEMO_PROJECT_ID), query="bogus=1"), 403)


def test_listing_another_users_or_a_missing_project() -> None:
    assert_error(call("GET", imports_path(2, DEMO_PROJECT_ID)), 403)
    assert assert_error(call("GET", imports_path(DEMO_USER_ID, 790)), 404)["message"] == "The project was not found."


def test_the_list_ignores_content_type() -> None:
    assert list_page(headers={"content-type": "text/plain"}).status == 200


# --- GET .../imports/{id} ------------------------------------------------------------------------


def test_an_import_is_read_with_its_etag_in_one_request(dynamodb_requests: RequestCounter) -> None:
    made = created()
    dynamodb_requests.operations.clear()
    response = call("GET", import_path(made["id"]))
    assert response.status == 200
    assert response.json() == {"import": made}
    assert response.headers["etag"] == '"v1"'
    assert dynamodb_requests.operations == ["BatchGetItem"]


def test_an_import_of_another_project_or_user_is_the_same_404(dynamodb: DynamoDBClient) -> None:
    records.put_project(dynamodb, DEMO_USER_ID, 790)
    elsewhere = call("POST", imports_path(DEMO_USER_ID, 790), FOLDER_IMPORT).json()["import"]["id"]
    records.put_project(dynamodb, 2, 5)
    theirs_token = records.put_session(dynamodb, 2)
    theirs = call("POST", imports_path(2, 5), FOLDER_IMPORT, token=theirs_token).json()["import"]["id"]
    missing = assert_error(call("GET", import_path(elsewhere + 1)), 404)
    for import_id in (elsewhere, theirs):
        assert (
            assert_error(call("GET", import_path(import_id)), 404)
            == missing
            == {
                "statusCode": 404,
                "message": "Import not found",
            }
        )


@pytest.mark.parametrize("import_id", ["0", "abc", "-1", "1.0", str(2**53), "9" * 30])
def test_an_invalid_import_id_is_400_naming_it(import_id: str) -> None:
    for method in ("GET", "DELETE"):
        body = assert_error(call(method, import_path(import_id)), 400)
        assert [error["field"] for error in body["errors"]] == ["import_id"]
        assert_error(call(method, import_path(import_id), token=None), 401)


def test_the_order_of_checks_on_one_import(dynamodb: DynamoDBClient) -> None:
    made = created()["id"]
    assert_error(call("GET", import_path("x", "y", "z"), token=None), 401)
    assert_error(call("GET", import_path("x", 2, DEMO_PROJECT_ID)), 400)
    assert_error(call("GET", import_path(made, 2, DEMO_PROJECT_ID)), 403)
    assert_error(call("GET", import_path(made), query="x=1"), 400)
    assert_error(call("GET", import_path(made, DEMO_USER_ID, 790)), 404)
    assert assert_error(call("GET", import_path(made + 1)), 404)["message"] == "Import not found"


# --- PUT .../imports/{id} ------------------------------------------------------------------------


def put(
    import_id: int, body: object, if_match: str | None = None, content_type: str | None = None, **arguments: Any
) -> HttpResponse:
    headers = {"if-match": if_match} | ({"content-type": content_type} if content_type else {})
    return call("PUT", import_path(import_id), body, headers=headers, **arguments)


def test_the_documents_update_changes_title_and_description_only() -> None:
    made = created()
    response = put(made["id"], {"title": "Updated GitHub Import", "description": "Updated import from GitHub"})
    assert response.status == 200, response.text
    changed = response.json()["import"]
    assert changed == made | {
        "title": "Updated GitHub Import",
        "description": "Updated import from GitHub",
        "updated_at": changed["updated_at"],
    }
    assert changed["updated_at"] >= made["updated_at"]
    assert response.headers["etag"] == '"v2"'
    assert call("GET", import_path(made["id"])).json() == {"import": changed}


def test_null_clears_title_and_description() -> None:
    made = created()
    changed = put(made["id"], {"title": None, "description": None}).json()["import"]
    assert (changed["title"], changed["description"]) == (None, None)
    assert changed["source_path"] == made["source_path"]


def test_source_type_and_path_change_together() -> None:
    made = created()
    changed = put(made["id"], FOLDER_IMPORT).json()["import"]
    assert (changed["source_type"], changed["source_path"]) == ("local_folder", "src/app")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"source_type": None}, "source_type"),
        ({"source_path": None}, "source_path"),
        ({"source_type": "svn"}, "source_type"),
        ({"title": 5}, "title"),
        ({"title": "t" * 256}, "title"),
        ({"description": "d" * 4001}, "description"),
        ({"id": 1}, "id"),
        ({"created_at": "2020-01-01T00:00:00.000Z"}, "created_at"),
        ({"source_type": "github", "source_path": "../etc"}, "source_path"),
        ({"source_path": "not a repo"}, "source_path"),  # against the stored github type
        ({"source_type": "public_github_repository_url"}, "source_type"),  # the stored path does not fit
    ],
)
def test_invalid_updates_are_400_and_change_nothing(body: object, field: str) -> None:
    made = created()
    response_body = assert_error(put(made["id"], body), 400)
    assert field in {error["field"] for error in response_body["errors"]}, response_body
    assert call("GET", import_path(made["id"])).json() == {"import": made}


def test_a_body_that_is_not_one_json_object_is_400() -> None:
    made = created()
    for raw in (b"[]", b'[{"title": "x"}]', b'"x"', b"{", b'{"a": ' + b"1" * 4400 + b"}"):
        assert_error(call("PUT", import_path(made["id"]), raw_body=raw), 400)


def test_put_needs_json_within_64_kib() -> None:
    made = created()
    assert_error(put(made["id"], {"title": "x"}, content_type="text/plain"), 415)
    assert_error(call("PUT", import_path(made["id"]), raw_body=b'{"title": "' + b"x" * 70_000 + b'"}'), 413)
    assert_error(put(made["id"], {"title": "x"}, content_type="text/plain", token=None), 401)


def test_a_github_source_needs_the_installation_to_cover_it(dynamodb: DynamoDBClient) -> None:
    records.put_installation(dynamodb, DEMO_USER_ID, "octo-org", ["hello"])
    made = created(FOLDER_IMPORT)
    body = assert_error(put(made["id"], {"source_type": "github", "source_path": "octo-org/other"}), 403)
    assert "octo-org/other" in body["message"]
    assert put(made["id"], {"source_type": "github", "source_path": "octo-org/hello"}).status == 200


def test_changing_only_the_path_of_a_github_import_checks_its_owner(dynamodb_requests: RequestCounter) -> None:
    made = created()
    dynamodb_requests.operations.clear()
    assert_error(put(made["id"], {"source_path": "someone/else"}), 403)
    assert dynamodb_requests.operations == ["BatchGetItem"]
    dynamodb_requests.operations.clear()
    assert put(made["id"], {"source_path": "username/other"}).status == 200
    # The write checks, in the same request, that the installer is still linked to the user.
    assert dynamodb_requests.operations == ["BatchGetItem", "TransactWriteItems"]


def test_a_type_change_to_github_reads_the_installation_third(
    dynamodb: DynamoDBClient, dynamodb_requests: RequestCounter
) -> None:
    made = created({"source_type": "local_folder", "source_path": "username/repository"})
    dynamodb_requests.operations.clear()
    assert put(made["id"], {"source_type": "github"}).status == 200
    assert dynamodb_requests.operations == ["BatchGetItem", "BatchGetItem", "TransactWriteItems"]
    folder = created({"source_type": "local_folder", "source_path": "nobody/repository"})
    assert_error(put(folder["id"], {"source_type": "github"}), 403)


def test_a_title_change_costs_two_requests_one_transaction(dynamodb_requests: RequestCounter) -> None:
    made = created()
    dynamodb_requests.operations.clear()
    assert put(made["id"], {"title": "x"}).status == 200
    assert dynamodb_requests.operations == ["BatchGetItem", "TransactWriteItems"]


def test_ids_and_creation_never_change_and_updated_at_never_goes_back(monkeypatch: pytest.MonkeyPatch) -> None:
    made = created()
    yesterday = datetime.now(UTC) - timedelta(days=1)
    monkeypatch.setattr(update_import.manager, "_clock", lambda: yesterday)
    changed = put(made["id"], {"title": "clock went back"}).json()["import"]
    assert changed["updated_at"] == made["updated_at"]
    for name in ("id", "created_at", "neptun_user_id", "project_id"):
        assert changed[name] == made[name]


def test_a_stale_if_match_is_412_and_changes_nothing() -> None:
    made = created()
    first = put(made["id"], {"title": "tab one"}, if_match='"v1"')
    assert (first.status, first.headers["etag"]) == (200, '"v2"')
    body = assert_error(put(made["id"], {"title": "tab two"}, if_match='"v1"'), 412)
    assert "changed" in body["message"]
    assert call("GET", import_path(made["id"])).json()["import"]["title"] == "tab one"
    assert put(made["id"], {"title": "tab two"}, if_match=first.headers["etag"]).status == 200


@pytest.mark.parametrize(("if_match", "status"), [("*", 200), ('"v9", "v1"', 200), ('W/"v1"', 412), ('"v1-x"', 412)])
def test_if_match_forms(if_match: str, status: int) -> None:
    made = created()
    assert put(made["id"], {"title": "x"}, if_match=if_match).status == status


@pytest.mark.parametrize("if_match", ["v1", '"v1', '"v1" "v2"', ""])
def test_a_malformed_if_match_is_400(if_match: str) -> None:
    made = created()
    body = assert_error(put(made["id"], {"title": "x"}, if_match=if_match), 400)
    assert [error["field"] for error in body["errors"]] == ["If-Match"]


def test_without_if_match_the_last_write_wins() -> None:
    made = created()
    put(made["id"], {"title": "one"})
    assert put(made["id"], {"title": "two"}).json()["import"]["title"] == "two"


def change_title_behind_the_back_once(dynamodb: DynamoDBClient, import_id: int) -> Callable[..., None]:
    """Before the handler's write, another writer changes the import (once), as a concurrent tab would."""
    done: list[bool] = []

    def other_writer(**_: Any) -> None:
        if not done:
            done.append(True)
            key = {"PK": {"S": "USER#1#PROJECT#789"}, "SK": {"S": f"IMPORT#{import_id:016d}"}}
            with another_client():
                dynamodb.update_item(
                    TableName="DataTable",
                    Key=key,
                    UpdateExpression="SET title = :title, version = :two",
                    ExpressionAttributeValues={":title": {"S": "other tab"}, ":two": {"N": "2"}},
                )

    return other_writer


@pytest.mark.parametrize(("if_match", "status", "title"), [(None, 200, "mine"), ('"v1"', 412, "other tab")])
def test_a_change_between_read_and_write_is_never_overwritten_blindly(
    dynamodb: DynamoDBClient, if_match: str | None, status: int, title: str
) -> None:
    made = created()
    events = dynamodb.meta.events
    hook = change_title_behind_the_back_once(dynamodb, made["id"])
    events.register("before-call.dynamodb.TransactWriteItems", hook)
    try:
        response = put(made["id"], {"title": "mine"}, if_match=if_match)
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", hook)
    assert response.status == status, response.text
    stored = call("GET", import_path(made["id"]))
    assert stored.json()["import"]["title"] == title
    assert stored.headers["etag"] == ('"v3"' if status == 200 else '"v2"')


def test_updating_a_missing_import_is_404() -> None:
    assert_error(put(123, {"title": "x"}), 404)


# --- DELETE .../imports/{id} ---------------------------------------------------------------------


def test_delete_is_204_without_a_body_and_removes_the_import_and_its_id_claim(
    dynamodb: DynamoDBClient, dynamodb_requests: RequestCounter
) -> None:
    made = created()
    keep = created(FOLDER_IMPORT)
    dynamodb_requests.operations.clear()
    response = call("DELETE", import_path(made["id"]))
    assert (response.status, response.text) == (204, "")
    assert "content-type" not in response.headers
    assert dynamodb_requests.operations == ["BatchGetItem", "TransactWriteItems"]
    assert [int(item["id"]["N"]) for item in stored_imports(dynamodb)] == [keep["id"]]
    claims = [item["PK"]["S"] for item in dynamodb.scan(TableName="DataTable")["Items"]]
    assert f"IMPORT#{made['id']}" not in claims
    assert f"IMPORT#{keep['id']}" in claims
    assert_error(call("DELETE", import_path(made["id"])), 404)


def test_delete_with_a_stale_if_match_is_412_and_deletes_nothing(dynamodb: DynamoDBClient) -> None:
    made = created()
    put(made["id"], {"title": "changed"})
    assert_error(call("DELETE", import_path(made["id"]), headers={"if-match": '"v1"'}), 412)
    assert len(stored_imports(dynamodb)) == 1
    assert call("DELETE", import_path(made["id"]), headers={"if-match": '"v2"'}).status == 204
    assert stored_imports(dynamodb) == []


@pytest.mark.parametrize(("if_match", "status", "left"), [(None, 204, 0), ('"v1"', 412, 1)])
def test_a_type_change_between_a_deletes_read_and_write_leaves_no_copy_behind(
    dynamodb: DynamoDBClient, if_match: str | None, status: int, left: int
) -> None:
    """The delete is conditioned on the version it read: one made after another tab moved the import to
    another source type deletes what is stored then (or is 412 with If-Match), never an orphan copy."""
    made = created()
    done: list[bool] = []

    def other_tab_changes_the_type(**_: Any) -> None:
        if not done:
            done.append(True)
            assert put(made["id"], {"source_type": "local_folder", "source_path": "src"}).status == 200

    dynamodb.meta.events.register("before-call.dynamodb.TransactWriteItems", other_tab_changes_the_type)
    try:
        response = call("DELETE", import_path(made["id"]), headers={"if-match": if_match})
    finally:
        dynamodb.meta.events.unregister("before-call.dynamodb.TransactWriteItems", other_tab_changes_the_type)
    assert response.status == status, response.text
    assert len(stored_imports(dynamodb)) == left
    assert_copies_match_imports(dynamodb)


def test_another_users_import_cannot_be_deleted(dynamodb: DynamoDBClient) -> None:
    records.put_project(dynamodb, 2, 5)
    theirs_token = records.put_session(dynamodb, 2)
    theirs = call("POST", imports_path(2, 5), FOLDER_IMPORT, token=theirs_token).json()["import"]["id"]
    assert_error(call("DELETE", import_path(theirs, 2, 5)), 403)
    assert_error(call("DELETE", import_path(theirs)), 404)
    assert len(stored_imports(dynamodb, 2, 5)) == 1
