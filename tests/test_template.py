"""template.yaml: least-privilege IAM, tables as promised, the function as deployed."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from dynamodb_store import keys
from local.template import Intrinsic, function_environment, http_api_routes, load_template, resources_of_type
from tests.iam_policy import Access, IamGuard, allows, as_list, grants, policy_statements, resource_name, running

FUNCTIONS = resources_of_type("AWS::Serverless::Function")
FUNCTION = FUNCTIONS["CreateImportFunction"]
ROUTE_FUNCTIONS = {route.function_id for route in http_api_routes()}
PIPELINE_FUNCTIONS = {"ImportOutboxFunction", "ImportWorkerFunction", "ImportSweepFunction"}


def partition_of(key: keys.Key) -> str:
    value = key[keys.PARTITION_KEY]
    assert "S" in value
    return value["S"]


# The installer's link, and kept content only (never a listing of the bucket, a write or a delete).
READ_LINK_AND_CONTENT = {("dynamodb:GetItem", "DataTable.Arn"), ("s3:GetObject", "${ContentBucket.Arn}/imports/*")}
READ_SESSION_AND_DATA = {("dynamodb:BatchGetItem", "SessionsTable.Arn"), ("dynamodb:BatchGetItem", "DataTable.Arn")}


@pytest.mark.parametrize(
    ("function_id", "granted"),
    [
        ("ListImportsFunction", READ_SESSION_AND_DATA | {("dynamodb:Query", "DataTable.Arn")}),
        ("GetImportFunction", READ_SESSION_AND_DATA),
        (
            "UpdateImportFunction",
            READ_SESSION_AND_DATA
            | {
                ("dynamodb:UpdateItem", "DataTable.Arn"),
                ("dynamodb:DeleteItem", "DataTable.Arn"),
                ("dynamodb:ConditionCheckItem", "DataTable.Arn"),
            },
        ),
        (
            "DeleteImportFunction",
            READ_SESSION_AND_DATA
            | {("dynamodb:DeleteItem", "DataTable.Arn"), ("dynamodb:UpdateItem", "DataTable.Arn")},
        ),
        ("RefreshImportFunction", READ_SESSION_AND_DATA | {("dynamodb:UpdateItem", "DataTable.Arn")}),
        # Signing a POST lends the form this role's rights: uploads only, never the content bucket.
        ("GrantImportUploadFunction", READ_SESSION_AND_DATA | {("s3:PutObject", "${UploadBucket.Arn}/uploads/*")}),
        ("ListImportFilesFunction", READ_SESSION_AND_DATA | READ_LINK_AND_CONTENT),
        ("GetImportFileFunction", READ_SESSION_AND_DATA | READ_LINK_AND_CONTENT),
        ("GetImportContextFunction", READ_SESSION_AND_DATA | READ_LINK_AND_CONTENT),
        (
            "GetProjectContextFunction",
            READ_SESSION_AND_DATA | READ_LINK_AND_CONTENT | {("dynamodb:Query", "DataTable.Arn")},
        ),
    ],
)
def test_each_other_function_has_exactly_its_routes_grants(function_id: str, granted: set[tuple[str, str]]) -> None:
    assert grants(function_id) == granted
    for statement in policy_statements(function_id):
        assert statement["Effect"] == "Allow"
        assert all("*" not in action for action in as_list(statement["Action"]))


@pytest.mark.parametrize(
    ("function_id", "action", "partitions"),
    [
        ("ListImportsFunction", "dynamodb:Query", [partition_of(keys.import_key(1, 789, 42))]),
        ("GetProjectContextFunction", "dynamodb:Query", [partition_of(keys.import_key(1, 789, 42))]),
        ("UpdateImportFunction", "dynamodb:UpdateItem", [partition_of(keys.import_key(1, 789, 42))]),
        ("RefreshImportFunction", "dynamodb:UpdateItem", [partition_of(keys.import_key(1, 789, 42))]),
        (
            "DeleteImportFunction",
            "dynamodb:DeleteItem",
            [partition_of(keys.import_key(1, 789, 42)), partition_of(keys.import_id_claim_key(42))],
        ),
    ],
)
def test_writes_and_queries_reach_only_import_partitions(function_id: str, action: str, partitions: list[str]) -> None:
    assert all(may(function_id, action, partition) for partition in partitions)
    refused = [
        keys.project_key(1, 789),
        keys.account_installation_key("username"),
        keys.github_link_key(5),
        keys.request_key_claim_key("1:k"),
    ]
    assert not any(may(function_id, action, partition_of(key)) for key in refused)


def test_dynamodb_statements_name_exact_actions_on_exact_tables() -> None:
    granted = grants("CreateImportFunction")
    assert granted == {
        ("dynamodb:BatchGetItem", "SessionsTable.Arn"),
        ("dynamodb:BatchGetItem", "DataTable.Arn"),
        ("dynamodb:ConditionCheckItem", "DataTable.Arn"),
        ("dynamodb:PutItem", "DataTable.Arn"),
        ("dynamodb:UpdateItem", "DataTable.Arn"),
    }
    for statement in policy_statements("CreateImportFunction"):
        assert statement["Effect"] == "Allow"
        resources = as_list(statement["Resource"])
        assert all(resource_name(resource) in {"SessionsTable.Arn", "DataTable.Arn"} for resource in resources)
        assert all("*" not in action for action in as_list(statement["Action"]))


def statements_granting(action: str, function_id: str = "CreateImportFunction") -> list[dict[str, Any]]:
    return [
        statement
        for statement in policy_statements(function_id)
        if action in as_list(statement["Action"])
        and any(resource_name(resource) == "DataTable.Arn" for resource in as_list(statement["Resource"]))
    ]


def may(function_id: str, action: str, partition: str) -> bool:
    """Whether the function's policy allows `action` on the data table for this partition (IAM's StringLike)."""
    return allows(function_id, Access(action, "DataTable", frozenset({partition})))


def may_put_into(partition: str) -> bool:
    return may("CreateImportFunction", "dynamodb:PutItem", partition)


def test_puts_on_the_data_table_reach_only_the_partitions_the_function_writes() -> None:
    [statement] = statements_granting("dynamodb:PutItem")
    assert set(statement["Condition"]) == {"ForAllValues:StringLike"}, "one condition, on the leading keys"
    assert as_list(statement["Action"]) == ["dynamodb:PutItem"], "the condition must not narrow other actions"
    written = [keys.import_key(1, 789, 42), keys.import_id_claim_key(42), keys.request_key_claim_key("1:key")]
    assert all(may_put_into(partition_of(key)) for key in written)
    never_written = [
        keys.project_key(1, 789),
        keys.account_installation_key("username"),
        keys.github_link_key(5),
        keys.project_key(12, 3456),
    ]
    assert not any(may_put_into(partition_of(key)) for key in never_written)
    assert not may_put_into(partition_of(keys.installation_state_key(5)))


def test_function_runs_python_3_13_on_arm64_with_tracing() -> None:
    function_globals = load_template()["Globals"]["Function"]
    assert function_globals["Runtime"] == "python3.13"
    assert function_globals["Architectures"] == ["arm64"]
    assert function_globals["Tracing"] == "Active"
    assert FUNCTION["Properties"]["Handler"] == "handlers.create_import.lambda_handler"


IMPORTS = "/api/users/{user_id}/projects/{project_id}/resources/imports"


def test_each_route_is_its_own_functions_http_api_payload_2_event() -> None:
    assert set(FUNCTIONS) == ROUTE_FUNCTIONS | PIPELINE_FUNCTIONS
    for function in (FUNCTIONS[function_id] for function_id in ROUTE_FUNCTIONS):
        [event] = function["Properties"]["Events"].values()
        assert event["Type"] == "HttpApi"
        assert event["Properties"]["PayloadFormatVersion"] == "2.0"
        assert function["Properties"]["Handler"].startswith("handlers.")
    assert [route.route_key for route in http_api_routes()] == [
        f"POST {IMPORTS}",
        f"GET {IMPORTS}",
        f"GET {IMPORTS}/{{import_id}}",
        f"PUT {IMPORTS}/{{import_id}}",
        f"DELETE {IMPORTS}/{{import_id}}",
        f"POST {IMPORTS}/{{import_id}}/refresh",
        f"POST {IMPORTS}/{{import_id}}/upload",
        f"GET {IMPORTS}/{{import_id}}/files",
        f"GET {IMPORTS}/{{import_id}}/files/{{path+}}",
        f"GET {IMPORTS}/{{import_id}}/context",
        f"GET {IMPORTS.removesuffix('/imports')}/context",
        "POST /api/github/webhooks",
    ]


def test_every_function_has_a_log_group_kept_30_days() -> None:
    log_groups = resources_of_type("AWS::Logs::LogGroup")
    for function_id in FUNCTIONS:
        assert log_groups[f"{function_id}LogGroup"]["Properties"]["RetentionInDays"] == 30


def test_tables_are_on_demand_and_the_data_table_is_protected() -> None:
    tables = resources_of_type("AWS::DynamoDB::Table")
    assert set(tables) == {"SessionsTable", "DataTable"}  # Idempotency-Key lives in the data table
    assert all(table["Properties"]["BillingMode"] == "PAY_PER_REQUEST" for table in tables.values())
    sessions, data = tables["SessionsTable"], tables["DataTable"]
    assert sessions["Properties"]["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert data["DeletionPolicy"] == data["UpdateReplacePolicy"] == "Retain"
    assert data["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert data["Properties"]["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_powertools_is_configured_by_environment() -> None:
    variables = load_template()["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["POWERTOOLS_SERVICE_NAME"] == "neptun-imports"
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "Neptun"
    assert "ImportsApiUrl" in load_template()["Outputs"]


def test_the_api_writes_access_logs_without_cookies_or_headers() -> None:
    api = load_template()["Resources"]["ImportsApi"]["Properties"]
    log_format = api["AccessLogSettings"]["Format"]
    assert "$context.requestId" in log_format
    assert "$context.status" in log_format
    assert "cookie" not in log_format.lower()
    assert "header" not in log_format.lower()


WEBHOOK = "GithubWebhookFunction"
SECRET_PARAMETER_ARN = (
    "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${GithubWebhookSecretParameterName}"
)


def test_the_webhook_function_reads_only_its_secret_and_the_installation_items() -> None:
    assert grants(WEBHOOK) == {
        ("ssm:GetParameter", SECRET_PARAMETER_ARN),
        ("dynamodb:BatchGetItem", "DataTable.Arn"),
        ("dynamodb:PutItem", "DataTable.Arn"),
        ("dynamodb:DeleteItem", "DataTable.Arn"),
        ("dynamodb:Query", "DataTable.Arn"),
        ("dynamodb:ConditionCheckItem", "DataTable.Arn"),
    }
    state, link = keys.installation_state_key(957387), keys.github_link_key(21031067)
    account, claim = keys.account_installation_key("Codertocat"), keys.delivery_claim_key("72d3162e")
    repository, part = keys.repository_key("Codertocat", "Hello-World"), keys.delivery_part_claim_key("ab", 2)
    imports = [keys.import_key(1, 789, 42), keys.import_id_claim_key(42), keys.request_key_claim_key("1:k")]
    project = keys.project_key(1, 789)
    reads = {partition_of(key) for key in (state, link, part)}
    puts = {partition_of(key) for key in (state, account, repository, claim, part)}
    deletes = {partition_of(account)}
    queries = {partition_of(repository)}
    checks = {partition_of(key) for key in (account, state)}
    grants_by_action = [
        ("BatchGetItem", reads),
        ("PutItem", puts),
        ("DeleteItem", deletes),
        ("Query", queries),
        ("ConditionCheckItem", checks),
    ]
    for action, allowed in grants_by_action:
        for key in [state, link, account, repository, claim, part, project, *imports]:
            partition = partition_of(key)
            assert may(WEBHOOK, f"dynamodb:{action}", partition) == (partition in allowed), (action, partition)


def test_the_secret_parameter_is_a_template_parameter_the_function_is_told() -> None:
    template = load_template()
    parameter = template["Parameters"]["GithubWebhookSecretParameterName"]
    assert parameter["Default"].startswith("/")
    variables = FUNCTIONS[WEBHOOK]["Properties"]["Environment"]["Variables"]
    assert variables["GITHUB_WEBHOOK_SECRET_PARAMETER"] == Intrinsic("Ref", "GithubWebhookSecretParameterName")
    assert variables["GITHUB_WEBHOOK_SECRET"] == "", "the secret itself is only ever set locally"
    # GitHub gives up waiting after 10 s, API Gateway after 30 s: a large delivery is applied in between.
    assert FUNCTIONS[WEBHOOK]["Properties"]["Timeout"] < 30


@pytest.mark.parametrize("function_id", ["CreateImportFunction", "UpdateImportFunction"])
def test_condition_checks_reach_only_github_links(function_id: str) -> None:
    assert may(function_id, "dynamodb:ConditionCheckItem", partition_of(keys.github_link_key(21031067)))
    refused = [
        keys.installation_state_key(1),
        keys.account_installation_key("x"),
        keys.delivery_claim_key("d"),
        keys.project_key(1, 789),
    ]
    assert not any(may(function_id, "dynamodb:ConditionCheckItem", partition_of(key)) for key in refused)


@pytest.mark.parametrize("function_id", ["CreateImportFunction", "DeleteImportFunction"])
def test_the_project_count_is_the_only_update_on_a_project_and_never_on_an_import(function_id: str) -> None:
    assert may(function_id, "dynamodb:UpdateItem", partition_of(keys.project_key(1, 789)))
    # USER#* alone would match an import's USER#1#PROJECT#789 too; StringNotLike keeps it out.
    refused = [keys.import_key(1, 789, 42), keys.github_link_key(5), keys.account_installation_key("x")]
    assert not any(may(function_id, "dynamodb:UpdateItem", partition_of(key)) for key in refused)


IMPORTS_FUNCTIONS = sorted(ROUTE_FUNCTIONS - {WEBHOOK})


@pytest.mark.parametrize("function_id", list(FUNCTIONS))
def test_every_grant_on_the_data_table_is_narrowed_by_leading_keys(function_id: str) -> None:
    for statement in policy_statements(function_id):
        on_data = any(resource_name(resource) == "DataTable.Arn" for resource in as_list(statement["Resource"]))
        if on_data:
            assert len(as_list(statement["Resource"])) == 1, f"{statement['Sid']}: the data table alone"
            patterns = statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
            assert patterns, statement["Sid"]
            assert all(pattern.endswith("*") and "#" in pattern for pattern in patterns), statement["Sid"]


@pytest.mark.parametrize("function_id", IMPORTS_FUNCTIONS)
def test_imports_functions_read_no_installation_state_link_claim_or_delivery(function_id: str) -> None:
    never_read = [
        keys.installation_state_key(957387),
        keys.github_link_key(21031067),
        keys.delivery_claim_key("72d3162e"),
        keys.delivery_body_claim_key("0" * 64),
        keys.import_id_claim_key(42),
        keys.request_key_claim_key("1:k"),
    ]
    assert not any(may(function_id, "dynamodb:BatchGetItem", partition_of(key)) for key in never_read)
    assert not any(may(function_id, "dynamodb:GetItem", partition_of(key)) for key in never_read[2:])
    assert may(function_id, "dynamodb:BatchGetItem", partition_of(keys.project_key(1, 789)))
    # A create, a change of source and a read of a `github` import's files check its installation.
    reads_installations = function_id in {
        "CreateImportFunction",
        "UpdateImportFunction",
        "ListImportFilesFunction",
        "GetImportFileFunction",
        "GetImportContextFunction",
        "GetProjectContextFunction",
    }
    assert may(function_id, "dynamodb:BatchGetItem", partition_of(keys.account_installation_key("x"))) is (
        reads_installations
    )
    session = Access("dynamodb:BatchGetItem", "SessionsTable", frozenset({"ab" * 32}))
    assert allows(function_id, session), "the login service's session keys carry no prefix to narrow by"


def test_the_iam_guard_refuses_what_a_policy_does_not_grant() -> None:
    guard = IamGuard()
    table = function_environment("GetImportFunction")["DATA_TABLE_NAME"]
    request = {"RequestItems": {table: {"Keys": [keys.installation_state_key(5)]}}}
    with running("GetImportFunction"):
        guard(params=request, model=SimpleNamespace(name="BatchGetItem"))
        guard(params={"TableName": table}, model=SimpleNamespace(name="Scan"))
    guard(params={"TableName": table}, model=SimpleNamespace(name="Scan"))  # a test's own call: not checked
    assert len(guard.refused) == 2, guard.refused
