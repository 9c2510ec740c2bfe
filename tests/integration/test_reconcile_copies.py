"""ops/reconcile_copies.py on a table as a deployment before copies (or a mixed one) left it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from ops.reconcile_copies import Report, main, reconcile
from tests.api_client import (
    FOLDER_IMPORT,
    GITHUB_IMPORT,
    assert_copies_match_imports,
    call,
    import_path,
    imports_path,
    post_imports,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

pytestmark = pytest.mark.usefixtures("demo_token")
PARTITION = {"S": "USER#1#PROJECT#789"}


def created(body: dict[str, Any]) -> int:
    response = post_imports(body)
    assert response.status == 201, response.text
    import_id: int = response.json()["import"]["id"]
    return import_id


def import_key(import_id: int) -> dict[str, Any]:
    return {"PK": PARTITION, "SK": {"S": f"IMPORT#{import_id:016d}"}}


def copy_key(source_type: str, import_id: int) -> dict[str, Any]:
    return {"PK": PARTITION, "SK": {"S": f"SOURCE_TYPE#{source_type}#IMPORT#{import_id:016d}"}}


def filtered(source_type: str) -> list[int]:
    page = call("GET", imports_path(), query=f"source_type={source_type}").json()
    return [entry["id"] for entry in page["imports"]]


def as_before_copies_and_mixed(dynamodb: DynamoDBClient) -> dict[str, int]:
    """Imports as an older deployment left them: no copy, no version; a copy its import no longer
    matches (an old function changed the type); a copy whose import an old function deleted."""
    made = {name: created(GITHUB_IMPORT) for name in ("unversioned", "moved", "deleted", "fine")}
    dynamodb.delete_item(TableName="DataTable", Key=copy_key("github", made["unversioned"]))
    dynamodb.update_item(TableName="DataTable", Key=import_key(made["unversioned"]), UpdateExpression="REMOVE version")
    dynamodb.update_item(
        TableName="DataTable",
        Key=import_key(made["moved"]),
        UpdateExpression="SET source_type = :folder, source_path = :path, version = :two",
        ExpressionAttributeValues={":folder": {"S": "local_folder"}, ":path": {"S": "src"}, ":two": {"N": "2"}},
    )
    dynamodb.delete_item(TableName="DataTable", Key=import_key(made["deleted"]))
    return made


def test_it_writes_the_missing_and_stale_copies_and_deletes_the_orphans(dynamodb: DynamoDBClient) -> None:
    made = as_before_copies_and_mixed(dynamodb)
    assert filtered("github") != [made["unversioned"], made["fine"]]
    # The count too: 4 creates counted, one import deleted behind the service's back.
    assert reconcile(dynamodb, "DataTable") == Report(imports=3, copies_written=2, copies_deleted=2, counts_set=1)
    assert project_count(dynamodb) == 3
    assert_copies_match_imports(dynamodb)
    assert filtered("github") == [made["unversioned"], made["fine"]]
    assert filtered("local_folder") == [made["moved"]]
    assert reconcile(dynamodb, "DataTable") == Report(imports=3)  # once done, a second run writes nothing
    assert call("DELETE", import_path(made["unversioned"]), headers={"if-match": '"v1"'}).status == 204
    assert_copies_match_imports(dynamodb)


def test_an_import_changed_between_the_scan_and_the_write_is_left_to_its_function(dynamodb: DynamoDBClient) -> None:
    made = as_before_copies_and_mixed(dynamodb)
    done: list[bool] = []

    def another_tab(**_: Any) -> None:
        if not done:  # the API changes the import the tool is about to copy
            done.append(True)
            assert call("PUT", import_path(made["unversioned"]), FOLDER_IMPORT).status == 200

    dynamodb.meta.events.register("before-call.dynamodb.TransactWriteItems", another_tab)
    try:
        report = reconcile(dynamodb, "DataTable")
    finally:
        dynamodb.meta.events.unregister("before-call.dynamodb.TransactWriteItems", another_tab)
    assert report == Report(imports=3, copies_written=1, copies_deleted=2, changed_meanwhile=1, counts_set=1)
    assert_copies_match_imports(dynamodb)
    assert filtered("local_folder") == sorted([made["moved"], made["unversioned"]])


def test_the_command_names_what_is_missing_and_reports_what_it_did(
    dynamodb: DynamoDBClient, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATA_TABLE", raising=False)
    with pytest.raises(SystemExit):
        main([])
    assert "DATA_TABLE=" in capsys.readouterr().err
    as_before_copies_and_mixed(dynamodb)
    capsys.readouterr()
    assert main(["--table", "DataTable"]) == 0
    assert (
        capsys.readouterr().out
        == "3 imports: 2 copies written, 2 deleted, 0 changed meanwhile (their functions keep them); "
        "1 project counts set\n"
    )


def project_count(dynamodb: DynamoDBClient) -> int | None:
    project = dynamodb.get_item(TableName="DataTable", Key={"PK": {"S": "USER#1"}, "SK": {"S": "PROJECT#789"}})["Item"]
    return int(project["import_count"]["N"]) if "import_count" in project else None


def test_a_project_counted_before_the_cap_gets_its_count_and_a_create_meanwhile_is_counted_again(
    dynamodb: DynamoDBClient,
) -> None:
    made = [created(GITHUB_IMPORT) for _ in range(3)]
    project = {"PK": {"S": "USER#1"}, "SK": {"S": "PROJECT#789"}}
    dynamodb.update_item(TableName="DataTable", Key=project, UpdateExpression="REMOVE import_count")  # as before
    assert project_count(dynamodb) is None
    done: list[bool] = []

    def another_tab(**_: Any) -> None:
        if not done:  # a create between the count's read and its write
            done.append(True)
            made.append(created(FOLDER_IMPORT))

    dynamodb.meta.events.register("before-call.dynamodb.Query", another_tab)
    try:
        report = reconcile(dynamodb, "DataTable")
    finally:
        dynamodb.meta.events.unregister("before-call.dynamodb.Query", another_tab)

    assert report.counts_set == 1
    assert project_count(dynamodb) == len(made) == 4
    assert reconcile(dynamodb, "DataTable").counts_set == 0
