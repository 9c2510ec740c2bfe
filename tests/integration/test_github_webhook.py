"""GitHub's webhook deliveries keep installations current, and a `github` create follows them."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS  # the providers get_parameter made

from domain.webhook_signature import signature_of
from handlers import github_webhook
from handlers.webhook_secret import WebhookSecret
from local import records
from local.demo import DEMO_USER_ID
from tests.api_client import FOLDER_IMPORT, assert_error, call, import_path, post_imports
from tests.conftest import RequestCounter
from tests.webhooks import ACCOUNT, INSTALLER, deliver, payload, repositories

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from tests.conftest import JsonLogs

pytestmark = pytest.mark.usefixtures("demo_token")


def create_status(repository: str, account: str = ACCOUNT) -> int:
    """What a `github` create of `account/repository` by the demo user answers."""
    response = post_imports({"source_type": "github", "source_path": f"{account}/{repository}"})
    return response.status


def table_items(dynamodb: DynamoDBClient) -> list[dict[str, Any]]:
    return sorted(dynamodb.scan(TableName="DataTable")["Items"], key=lambda item: (item["PK"]["S"], item["SK"]["S"]))


def test_githubs_documented_test_vector() -> None:
    # https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
    assert (
        signature_of(b"It's a Secret to Everybody", b"Hello, World!")
        == "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    )


def test_created_with_selected_repositories_covers_exactly_those() -> None:
    answer = deliver("installation.created")
    assert answer.status == 200, answer.text
    assert answer.json()["outcome"] == "applied"
    assert create_status("Hello-World") == 201
    assert create_status("hello-world") == 201  # GitHub names are case-insensitive
    assert create_status("Space") == 403


def test_added_and_removed_repositories_change_coverage() -> None:
    deliver("installation.created")
    assert deliver("installation_repositories.added").status == 200
    assert create_status("Space") == 201
    assert deliver("installation_repositories.removed").status == 200
    assert create_status("Hello-World") == 403
    assert create_status("Space") == 201


def test_a_switch_to_all_and_back_to_selected() -> None:
    deliver("installation.created")
    deliver("installation_repositories.added")
    assert deliver("installation_repositories.added-switch-to-all").status == 200
    assert create_status("Anything-Else") == 201
    assert deliver("installation_repositories.removed-switch-to-selected").status == 200
    # GitHub listed what the switch removed; what it listed before and did not remove stays covered.
    assert create_status("Space") == 201
    assert (create_status("Hello-World"), create_status("Octo-Docs"), create_status("Anything-Else")) == (403,) * 3


def test_a_suspended_installation_covers_nothing_until_unsuspended() -> None:
    deliver("installation.created")
    assert deliver("installation.suspend").status == 200
    assert create_status("Hello-World") == 403
    assert deliver("installation.unsuspend").status == 200
    assert create_status("Hello-World") == 201


def test_a_renamed_account_is_covered_under_its_new_login_only() -> None:
    deliver("installation.created")
    assert deliver("installation_target.renamed").status == 200
    assert create_status("Hello-World", account="Octocoder-Renamed") == 201
    assert create_status("Hello-World") == 403
    # A late delivery that still names the old login changes the installation under its new login.
    assert deliver("installation_repositories.added").status == 200
    assert create_status("Space", account="Octocoder-Renamed") == 201
    assert create_status("Space") == 403


def test_deleted_covers_nothing_and_a_late_added_never_resurrects_it(dynamodb: DynamoDBClient) -> None:
    deliver("installation.created")
    assert deliver("installation.deleted").status == 200
    assert create_status("Hello-World") == 403
    before = table_items(dynamodb)
    late = deliver("installation_repositories.added")
    assert (late.status, late.json()["outcome"]) == (200, "ignored")
    assert deliver("installation.created").json()["outcome"] == "ignored"
    assert deliver("installation.unsuspend").json()["outcome"] == "ignored"
    assert table_items(dynamodb) == before
    assert (create_status("Space"), create_status("Hello-World")) == (403, 403)


def test_new_permissions_accepted_changes_no_coverage() -> None:
    deliver("installation.created")
    assert deliver("installation.new_permissions_accepted").status == 200
    assert (create_status("Hello-World"), create_status("Space")) == (201, 403)


def test_a_redelivery_changes_nothing_a_second_time(dynamodb: DynamoDBClient) -> None:
    deliver("installation.created")
    deliver("installation_repositories.added", delivery_id="d1-added-space")
    removed = payload("installation_repositories.removed")
    removed["repositories_removed"] = repositories("Space")
    deliver(removed, event="installation_repositories")
    before = table_items(dynamodb)
    again = deliver("installation_repositories.added", delivery_id="d1-added-space")
    assert (again.status, again.json()["outcome"]) == (200, "duplicate")
    assert table_items(dynamodb) == before
    assert create_status("Space") == 403


def test_deliveries_before_created_take_effect_once_it_arrives() -> None:
    early = deliver("installation_repositories.added")  # GitHub does not promise order
    assert (early.status, early.json()["outcome"]) == (202, "awaiting_link")
    assert create_status("Space") == 403  # no installer known yet
    removed = payload("installation_repositories.removed")
    removed["repositories_removed"] = repositories("Hello-World")
    deliver(removed, event="installation_repositories")
    assert deliver("installation.created").json()["outcome"] == "applied"
    assert create_status("Space") == 201
    assert create_status("Hello-World") == 403  # removed after the installation listed it


def test_ping_answers_200_and_other_events_202_storing_nothing(dynamodb: DynamoDBClient) -> None:
    before = table_items(dynamodb)
    pong = deliver("ping")
    assert (pong.status, pong.json()["outcome"]) == (200, "pong")
    assert deliver({"action": "opened", "number": 1}, event="pull_request").status == 202
    unknown_action = payload("installation.created") | {"action": "transferred"}
    assert deliver(unknown_action, event="installation").json()["outcome"] == "not_handled"
    assert deliver(payload("installation.created"), event="push").status == 202
    assert table_items(dynamodb) == before


@pytest.mark.parametrize(
    ("body", "headers", "why"),
    [
        (b'{"action": "created", ', {}, "malformed JSON"),
        (b"[]", {}, "not an object"),
        (b"\xff\xfe", {}, "not UTF-8"),
        (json.dumps({"action": "created", "sender": {"id": 1}}).encode(), {}, "no installation"),
        (
            json.dumps(payload("installation.created") | {"sender": {"login": "x"}}).encode(),
            {},
            "sender without an id",
        ),
        (json.dumps(payload("installation.created")).encode(), {"x-github-delivery": None}, "no delivery id"),
        (json.dumps(payload("installation.created")).encode(), {"x-github-event": None}, "no event"),
        (json.dumps(payload("installation.created")).encode(), {"x-github-delivery": "../x"}, "bad delivery id"),
    ],
)
def test_malformed_deliveries_are_400_storing_nothing(
    dynamodb: DynamoDBClient, body: bytes, headers: dict[str, str | None], why: str
) -> None:
    before = table_items(dynamodb)
    answer = assert_error(deliver(body, event="installation", headers=headers), 400)
    assert answer["errors"], why
    assert table_items(dynamodb) == before


def test_a_payload_missing_repository_lists_is_400() -> None:
    incomplete = payload("installation_repositories.added")
    del incomplete["repositories_added"]
    answer = assert_error(deliver(incomplete, event="installation_repositories"), 400)
    assert [error["field"] for error in answer["errors"]] == ["repositories_added"]


@pytest.mark.parametrize(
    "headers",
    [
        {"x-hub-signature-256": None},
        {"x-hub-signature-256": ""},
        {"x-hub-signature-256": "sha256=" + "0" * 64},
        {"x-hub-signature-256": signature_of(b"local-demo-webhook-secret", b"{}")},  # over another body
        {"x-hub-signature-256": signature_of(b"another secret", json.dumps(payload("installation.created")).encode())},
        {"x-hub-signature-256": "sha1=" + "0" * 40},
    ],
    ids=["missing", "empty", "zeros", "other-body", "other-secret", "sha1"],
)
def test_a_delivery_without_the_apps_signature_is_401_storing_and_logging_nothing(
    dynamodb: DynamoDBClient, handler_logs: JsonLogs, headers: dict[str, str | None]
) -> None:
    before = table_items(dynamodb)
    body = payload("installation.created")
    assert_error(deliver(body, headers=headers), 401)
    assert_error(deliver(b"not even json", headers=headers), 401)
    assert table_items(dynamodb) == before
    assert "Codertocat" not in handler_logs.text
    assert create_status("Hello-World") == 403


def test_logs_name_the_delivery_and_event_never_the_body_or_signature(handler_logs: JsonLogs) -> None:
    answer = deliver("installation.created", delivery_id="72d3162e-cc78-11e3-81ab-4c9367dc0958")
    assert answer.status == 200
    lines = [line for line in handler_logs.records() if line.get("github_delivery")]
    assert lines, handler_logs.text
    assert {line["github_event"] for line in lines} == {"installation"}
    assert "Codertocat" not in handler_logs.text
    assert "sha256=" not in handler_logs.text


def test_an_unlinked_installer_is_kept_and_becomes_the_users_when_linked(dynamodb: DynamoDBClient) -> None:
    created = payload("installation.created")
    created["sender"]["id"] = 583231  # a GitHub user nobody linked yet
    answer = deliver(created)
    assert (answer.status, answer.json()["outcome"]) == (202, "awaiting_link")
    assert create_status("Hello-World") == 403
    records.put_github_link(dynamodb, user_id=2, github_user_id=583231)
    assert create_status("Hello-World") == 403  # linked, but to another Neptun user
    records.put_github_link(dynamodb, user_id=DEMO_USER_ID, github_user_id=583231)
    assert create_status("Hello-World") == 201  # no delivery needed: the create checks the link


def test_a_delivery_costs_one_read_and_one_write(webhook_requests: RequestCounter) -> None:
    deliver("installation.created")
    deliver("installation.deleted")
    assert webhook_requests.operations == ["BatchGetItem", "TransactWriteItems"] * 2


def test_a_rename_also_carries_the_repository_items_to_the_new_login(webhook_requests: RequestCounter) -> None:
    deliver("installation.created")
    webhook_requests.operations.clear()
    deliver("installation_target.renamed")
    assert webhook_requests.operations == ["BatchGetItem", "TransactWriteItems", "Query", "TransactWriteItems"]


def test_a_github_create_still_costs_two_requests(dynamodb_requests: RequestCounter) -> None:
    deliver("installation.created")
    dynamodb_requests.operations.clear()
    assert create_status("Hello-World") == 201
    assert dynamodb_requests.operations == ["BatchGetItem", "TransactWriteItems"]


def test_each_applied_change_publishes_one_installation_event_metric(capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    deliver("installation.created", delivery_id="metric-once")
    deliver("installation.created", delivery_id="metric-once")
    deliver("ping")
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    metrics = [line for line in emitted if "InstallationEvent" in line]
    assert len(metrics) == 1
    assert metrics[0]["change"] == "installation.created"
    assert metrics[0]["InstallationEvent"] == [1.0] or metrics[0]["InstallationEvent"] == 1.0


def test_the_secret_is_read_from_parameter_store_once_and_again_after_rotation(
    dynamodb: DynamoDBClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    del dynamodb  # the fixture put the secret into moto's Parameter Store, under the template's name
    monkeypatch.setattr(github_webhook, "secret", WebhookSecret.from_environment())
    parameters.clear_caches()  # type: ignore[no-untyped-call]
    assert deliver("ping").status == 200
    ssm_requests = RequestCounter()
    provider = DEFAULT_PROVIDERS["ssm"]
    provider.client.meta.events.register("request-created.ssm", ssm_requests)
    try:
        assert [deliver("ping").status for _ in range(3)] == [200] * 3
        assert ssm_requests.count == 0, "cached across invocations"
        name = github_webhook.secret.parameter_name
        assert name is not None
        boto3.client("ssm").put_parameter(Name=name, Value="rotated", Type="SecureString", Overwrite=True)
        assert deliver("ping", secret="rotated").status == 200, "a mismatch fetches the secret again"
        assert ssm_requests.count == 1
        assert [deliver("ping", secret="forged").status for _ in range(5)] == [401] * 5
        assert ssm_requests.count == 1, "at most once a minute, however many forged deliveries arrive"
    finally:
        provider.client.meta.events.unregister("request-created.ssm", ssm_requests)
        parameters.clear_caches()  # type: ignore[no-untyped-call]


def test_a_change_to_a_github_source_checks_the_installers_link_in_its_write(dynamodb: DynamoDBClient) -> None:
    deliver("installation.created")
    made = post_imports(FOLDER_IMPORT).json()["import"]
    change = {"source_type": "github", "source_path": f"{ACCOUNT}/Hello-World"}
    records.put_github_link(dynamodb, user_id=2, github_user_id=INSTALLER)  # the installer re-linked elsewhere
    assert_error(call("PUT", import_path(made["id"]), change), 403)
    assert call("GET", import_path(made["id"])).json()["import"]["source_type"] == "local_folder"
    records.put_github_link(dynamodb, user_id=DEMO_USER_ID, github_user_id=INSTALLER)
    assert call("PUT", import_path(made["id"]), change).status == 200
