"""template.yaml's deployment parameters, checked on what CloudFormation would deploy for each of them.

Each combination is translated by AWS SAM Translator (as `sam deploy` does) and linted by
`sam validate --lint` with those values as the defaults.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from handlers.github_deliveries import WEBHOOK_PATH
from handlers.idempotency import IDEMPOTENCY_KEY_HEADER
from handlers.preconditions import IF_MATCH_HEADER
from local.template import condition_holds, function_environment, http_api_routes, load_template, resources_of_type
from tests.cloudformation import resolved, sam_validate_lint, template_with_defaults

WEB_UI = "https://app.neptun.dev"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:neptun-alarms"
LOGIN_SESSIONS = "neptun-login-sessions"
KEPT_DATA = "neptun-imports-data"
EVERYTHING_ON = {
    "CorsAllowedOrigins": f"{WEB_UI},https://staging.neptun.dev",
    "ExistingSessionsTableName": LOGIN_SESSIONS,
    "ExistingDataTableName": KEPT_DATA,
    "SnapStart": "true",
    "AlarmTopicArn": TOPIC,
    "FunctionReservedConcurrency": "50",
    "ThrottlingRateLimit": "20",
    "ThrottlingBurstLimit": "40",
    "WebhookThrottlingRateLimit": "5",
    "WebhookThrottlingBurstLimit": "15",
}
MIXED = {"CorsAllowedOrigins": WEB_UI, "ExistingSessionsTableName": LOGIN_SESSIONS, "AlarmTopicArn": TOPIC}
COMBINATIONS = {"defaults": {}, "everything on": EVERYTHING_ON, "mixed": MIXED}
ACCOUNT = "arn:aws:dynamodb:eu-west-1:123456789012:table"


def of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: resource for name, resource in template["Resources"].items() if resource["Type"] == resource_type}


def stage(template: dict[str, Any]) -> dict[str, Any]:
    [api_stage] = of_type(template, "AWS::ApiGatewayV2::Stage").values()
    properties: dict[str, Any] = api_stage["Properties"]
    return properties


def api_body(template: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = template["Resources"]["ImportsApi"]["Properties"]["Body"]
    return body


@pytest.mark.parametrize("overrides", COMBINATIONS.values(), ids=COMBINATIONS.keys())
def test_sam_validate_lint_passes(overrides: dict[str, str], tmp_path: Path) -> None:
    result = sam_validate_lint(template_with_defaults(overrides, tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("overrides", "rate", "burst", "webhook"), [({}, 50, 100, (10, 50)), (EVERYTHING_ON, 20, 40, (5, 15))]
)
def test_every_route_is_throttled_and_the_webhook_by_its_own_bucket(
    overrides: dict[str, str], rate: int, burst: int, webhook: tuple[int, int]
) -> None:
    settings = stage(resolved(overrides))
    default = settings["DefaultRouteSettings"]
    assert (int(default["ThrottlingRateLimit"]), int(default["ThrottlingBurstLimit"])) == (rate, burst)
    # A route with its own settings has its own token bucket: a flood of the imports routes spends
    # theirs, never GitHub's. Only the webhook route escapes the default.
    [(route_key, own)] = settings["RouteSettings"].items()
    assert route_key == "POST /api/github/webhooks"
    assert (int(own["ThrottlingRateLimit"]), int(own["ThrottlingBurstLimit"])) == webhook


def test_reserved_concurrency_is_optional_and_applies_to_each_function() -> None:
    functions = of_type(resolved({}), "AWS::Lambda::Function")
    assert len(functions) == len(resources_of_type("AWS::Serverless::Function")) == 15
    assert all("ReservedConcurrentExecutions" not in function["Properties"] for function in functions.values())
    reserved = of_type(resolved(EVERYTHING_ON), "AWS::Lambda::Function")
    assert {int(function["Properties"]["ReservedConcurrentExecutions"]) for function in reserved.values()} == {50}


def test_no_cors_by_default() -> None:
    body = api_body(resolved({}))
    assert "x-amazon-apigateway-cors" not in body


def test_cors_lets_the_web_ui_call_every_route_with_its_cookie() -> None:
    cors = api_body(resolved(EVERYTHING_ON))["x-amazon-apigateway-cors"]
    assert cors["allowOrigins"] == [WEB_UI, "https://staging.neptun.dev"]
    assert cors["allowCredentials"] is True
    browser_routes = [route for route in http_api_routes() if route.path_template != WEBHOOK_PATH]
    assert set(cors["allowMethods"]) == {route.method for route in browser_routes}
    assert set(cors["allowHeaders"]) == {"content-type", IDEMPOTENCY_KEY_HEADER, IF_MATCH_HEADER}
    assert set(cors["exposeHeaders"]) == {"etag", "location", "retry-after"}
    assert 0 < cors["maxAge"] <= 7200  # browsers cap the preflight cache at 2 h (Chromium)


@pytest.mark.parametrize(
    ("origins", "accepted"),
    [(WEB_UI, True), (f"{WEB_UI},https://staging.neptun.dev", True), ("*", False), (f"{WEB_UI},*", False)],
)
def test_a_wildcard_origin_is_refused_at_deploy_time(origins: str, accepted: bool) -> None:
    [assertion] = resolved({"CorsAllowedOrigins": origins})["Rules"]["CorsOriginsAreNamed"]
    assert assertion["Assert"] is accepted


def alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: alarm["Properties"] for name, alarm in of_type(template, "AWS::CloudWatch::Alarm").items()}


@pytest.mark.parametrize("overrides", [{}, EVERYTHING_ON], ids=["own tables, no topic", "existing tables, topic"])
def test_each_function_has_error_throttle_and_duration_alarms(overrides: dict[str, str]) -> None:
    template = resolved(overrides)
    by_metric: dict[str, dict[str, dict[str, Any]]] = {}
    for alarm in alarms(template).values():
        if alarm.get("Namespace") == "AWS/Lambda":
            [dimension] = alarm["Dimensions"]
            by_metric.setdefault(alarm["MetricName"], {})[dimension["Value"]] = alarm
    functions = of_type(template, "AWS::Lambda::Function")
    expected = {f"<Ref {name}>" for name in functions}
    assert {metric: set(alarmed) for metric, alarmed in by_metric.items()} == dict.fromkeys(
        ["Errors", "Throttles", "Duration"], expected
    )
    for name, function in functions.items():
        timeout_ms = int(function["Properties"]["Timeout"]) * 1000
        duration = by_metric["Duration"][f"<Ref {name}>"]
        assert duration["ExtendedStatistic"] == "p99"
        assert duration["Threshold"] == pytest.approx(0.8 * timeout_ms), name


def test_the_api_alarms_on_its_5xx_rate() -> None:
    alarm = alarms(resolved({}))["ApiServerErrorRateAlarm"]
    metrics = {query["Id"]: query for query in alarm["Metrics"]}
    assert metrics["errors"]["MetricStat"]["Metric"]["MetricName"] == "5xx"
    assert metrics["requests"]["MetricStat"]["Metric"]["MetricName"] == "Count"
    assert "errors / requests" in metrics["rate"]["Expression"]
    assert metrics["errors"]["MetricStat"]["Metric"]["Dimensions"] == [{"Name": "ApiId", "Value": "<Ref ImportsApi>"}]


@pytest.mark.parametrize(
    ("overrides", "sessions", "data"),
    [({}, "<Ref SessionsTable>", "<Ref DataTable>"), (EVERYTHING_ON, LOGIN_SESSIONS, KEPT_DATA)],
)
def test_each_table_alarms_on_throttled_requests(overrides: dict[str, str], sessions: str, data: str) -> None:
    throttled = {
        (alarm["MetricName"], alarm["Dimensions"][0]["Value"])
        for alarm in alarms(resolved(overrides)).values()
        if alarm.get("Namespace") == "AWS/DynamoDB"
    }
    assert throttled == {("ReadThrottleEvents", sessions), ("ReadThrottleEvents", data), ("WriteThrottleEvents", data)}


@pytest.mark.parametrize(("overrides", "actions"), [({}, None), (MIXED, [TOPIC])])
def test_alarms_notify_the_topic_only_when_one_is_given(overrides: dict[str, str], actions: list[str] | None) -> None:
    every = alarms(resolved(overrides))
    # Three per function, the API's 5xx rate, three table throttles, three on the import jobs' queues.
    assert len(every) == 15 * 3 + 1 + 3 + 3
    assert all(alarm.get("AlarmActions") == actions == alarm.get("OKActions") for alarm in every.values())


def dynamodb_resources(template: dict[str, Any]) -> set[str]:
    granted = set()
    for role in of_type(template, "AWS::IAM::Role").values():
        for policy in role["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                if any(action.startswith("dynamodb:") for action in actions):
                    resources = statement["Resource"]
                    granted |= set(resources if isinstance(resources, list) else [resources])
    return granted


OWN_TABLES = (("<Ref SessionsTable>", "<SessionsTable.Arn>"), ("<Ref DataTable>", "<DataTable.Arn>"))
LOGIN_SESSIONS_TABLE = (LOGIN_SESSIONS, f"{ACCOUNT}/{LOGIN_SESSIONS}")
KEPT_DATA_TABLE = (KEPT_DATA, f"{ACCOUNT}/{KEPT_DATA}")


@pytest.mark.parametrize(
    ("overrides", "created", "used"),
    [
        ({}, {"SessionsTable", "DataTable"}, OWN_TABLES),
        (MIXED, {"DataTable"}, (LOGIN_SESSIONS_TABLE, OWN_TABLES[1])),
        (EVERYTHING_ON, set(), (LOGIN_SESSIONS_TABLE, KEPT_DATA_TABLE)),
    ],
    ids=["own tables", "login service's sessions table", "both existing"],
)
def test_existing_tables_replace_the_created_ones_in_iam_and_environment(
    overrides: dict[str, str], created: set[str], used: tuple[tuple[str, str], tuple[str, str]]
) -> None:
    """`used`: (name, ARN) of the sessions table, then of the data table."""
    template = resolved(overrides)
    (sessions_name, sessions_arn), (data_name, data_arn) = used
    assert set(of_type(template, "AWS::DynamoDB::Table")) == created
    # The tables, and the data table's indexes: runs_due (the sweep's), runs_importing (the worker's).
    indexes = {f"{data_arn}/index/runs_due", f"{data_arn}/index/runs_importing"}
    assert dynamodb_resources(template) == {sessions_arn, data_arn} | indexes
    for function in of_type(template, "AWS::Lambda::Function").values():
        variables = function["Properties"]["Environment"]["Variables"]
        assert (variables["SESSIONS_TABLE_NAME"], variables["DATA_TABLE_NAME"]) == (sessions_name, data_name)


def test_created_tables_keep_their_settings_whatever_else_is_chosen() -> None:
    own = of_type(resolved({}), "AWS::DynamoDB::Table")["DataTable"]
    mixed = of_type(resolved(MIXED), "AWS::DynamoDB::Table")["DataTable"]
    assert own == mixed
    assert own["DeletionPolicy"] == "Retain"


@pytest.mark.parametrize(("overrides", "apply_on"), [({}, "None"), (EVERYTHING_ON, "PublishedVersions")])
def test_the_api_invokes_each_functions_live_alias_and_snapstart_is_opt_in(
    overrides: dict[str, str], apply_on: str
) -> None:
    template = resolved(overrides)
    aliases = of_type(template, "AWS::Lambda::Alias")
    functions = of_type(template, "AWS::Lambda::Function")
    assert {function["Properties"]["SnapStart"]["ApplyOn"] for function in functions.values()} == {apply_on}
    for name in functions:
        alias = aliases[f"{name}Aliaslive"]["Properties"]
        assert alias["Name"] == "live"
        assert re.fullmatch(rf"<{name}Version\w+\.Version>", alias["FunctionVersion"]), "a published version"
    integrations = [
        operation["x-amazon-apigateway-integration"]["uri"]
        for path in api_body(template)["paths"].values()
        for operation in path.values()
    ]
    assert len(integrations) == len(http_api_routes())
    assert all("Aliaslive>/invocations" in uri for uri in integrations)
    permissions = of_type(template, "AWS::Lambda::Permission")
    # The API may invoke each route's alias; EventBridge, the sweep's.
    assert {permission["Properties"]["FunctionName"] for permission in permissions.values()} == {
        f"<Ref {route.function_id}Aliaslive>" for route in http_api_routes()
    } | {"<Ref ImportSweepFunctionAliaslive>"}


def test_every_parameter_has_a_default_and_a_description() -> None:
    for name, parameter in load_template()["Parameters"].items():
        assert "Default" in parameter, name
        assert parameter.get("Description"), name


def test_the_local_runtime_reads_the_template_as_a_default_deploy_would() -> None:
    """make run and make invoke pick `!If` branches by the same conditions, all parameters at their defaults."""
    deployed = resolved({})
    assert condition_holds("CreatesSessionsTable") == ("SessionsTable" in deployed["Resources"])
    assert condition_holds("CreatesDataTable") == ("DataTable" in deployed["Resources"])
    assert condition_holds("CorsEnabled") == ("x-amazon-apigateway-cors" in api_body(deployed))
    [function, *_] = of_type(deployed, "AWS::Lambda::Function").values()
    variables = function["Properties"]["Environment"]["Variables"]
    local = function_environment()
    assert (local["SESSIONS_TABLE_NAME"], local["DATA_TABLE_NAME"]) == ("SessionsTable", "DataTable")
    assert (variables["SESSIONS_TABLE_NAME"], variables["DATA_TABLE_NAME"]) == (
        "<Ref SessionsTable>",
        "<Ref DataTable>",
    )


def test_the_deploying_guide_counts_the_alarms_the_template_makes() -> None:
    every = alarms(resolved({}))
    functions = len(resources_of_type("AWS::Serverless::Function"))
    guide = (Path(__file__).resolve().parents[1] / "docs" / "deploying.md").read_text(encoding="utf-8")

    assert f"CloudWatch alarms the stack creates ({len(every)})" in guide
    for kind in ("Errors", "Throttles", "Duration"):
        assert f"`<Function>{kind}Alarm` ({functions})" in guide
    assert f"the {len(every)} alarms USD {len(every) * 0.10:.2f}" in guide
