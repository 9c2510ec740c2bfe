"""deploy/github-deploy-role.yaml: one deploy role per environment, each able to change only its own
stack, and an execution role that cannot grant more than the permissions boundary.

The roles' statements are evaluated the way IAM evaluates them (actions and resources by wildcard,
the conditions the roles use, an explicit Deny over any Allow), on the template as CloudFormation
would deploy it for each environment.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from local.cloudformation import Evaluator, parameter_values
from local.template import load_template, long_form, resources_of_type
from tests.cloudformation import resolved
from tests.iam_policy import as_list
from tests.test_samconfig import deploy_settings, overrides

ROOT = Path(__file__).resolve().parent.parent
ROLES_TEMPLATE = ROOT / "deploy" / "github-deploy-role.yaml"
REPOSITORY = "neptun/imports"
ENVIRONMENTS = {"dev": "neptun-imports-dev", "production": "neptun-imports-prod"}
STAGE_OF = {"dev": "dev", "production": "prod"}  # samconfig.toml's stage of each GitHub environment
ACCOUNT, REGION = "123456789012", "eu-west-1"


@cache
def deployed_roles(environment: str) -> dict[str, Any]:
    """The roles template's resources as CloudFormation would create them for this environment."""
    template = long_form(load_template(ROLES_TEMPLATE))
    parameters = parameter_values(template["Parameters"], {"Repository": REPOSITORY, "Environment": environment})
    evaluator = Evaluator(template.get("Conditions", {}), parameters, template.get("Mappings", {}))
    resources: dict[str, Any] = evaluator.value(template["Resources"])
    return resources


def statements(environment: str, role: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for policy in deployed_roles(environment)[role]["Properties"]["Policies"]:
        found.extend(policy["PolicyDocument"]["Statement"])
    return found


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: dict[str, str] = field(default_factory=dict)


def _matches(statement: dict[str, Any], request: Request) -> bool:
    actions = as_list(statement["Action"])
    if not any(fnmatch.fnmatchcase(request.action.lower(), action.lower()) for action in actions):
        return False
    if not any(fnmatch.fnmatchcase(request.resource, resource) for resource in as_list(statement["Resource"])):
        return False
    for operator, tests in statement.get("Condition", {}).items():
        assert operator in {"StringEquals", "ArnEquals", "StringLike"}, f"evaluator does not know {operator}"
        for key, wanted in tests.items():
            value = request.context.get(key)
            if value is None:
                return False
            if operator == "StringLike":
                if not any(fnmatch.fnmatchcase(value, pattern) for pattern in as_list(wanted)):
                    return False
            elif value not in as_list(wanted):
                return False
    return True


def allowed(environment: str, role: str, request: Request) -> bool:
    matching = [statement for statement in statements(environment, role) if _matches(statement, request)]
    return any(s["Effect"] == "Allow" for s in matching) and not any(s["Effect"] == "Deny" for s in matching)


def arn(service: str, resource: str, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:aws:{service}:{region}:{account}:{resource}"


BOUNDARY = "<Ref FunctionRoleBoundary>"
LAMBDA_BASICS = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
XRAY = "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess"
QUEUE_READER = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"
STREAM_READER = "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole"


def needs(stack: str) -> dict[str, list[Request]]:
    """What CloudFormation calls to create, change and delete each resource type of template.yaml in
    `stack`, on resources named the way CloudFormation names them there. A type missing here fails
    test_every_resource_type_of_the_service_is_mapped: add it, and the grants it needs, together."""
    function = arn("lambda", f"function:{stack}-CreateImportFunction-AbC123")
    role = f"arn:aws:iam::{ACCOUNT}:role/{stack}-CreateImportFunctionRole-AbC123"
    boundary = {"iam:PermissionsBoundary": BOUNDARY}
    return {
        "AWS::Lambda::Function": [
            Request(f"lambda:{action}", function)
            for action in ("CreateFunction", "UpdateFunctionCode", "UpdateFunctionConfiguration", "DeleteFunction")
        ]
        + [Request("lambda:PutFunctionConcurrency", function), Request("lambda:TagResource", function)],
        "AWS::Lambda::Version": [Request("lambda:PublishVersion", function)],
        "AWS::Lambda::Alias": [Request("lambda:CreateAlias", f"{function}:live")],
        "AWS::Lambda::Permission": [Request("lambda:AddPermission", f"{function}:live")],
        "AWS::IAM::Role": [
            Request("iam:CreateRole", role, boundary),
            Request("iam:PutRolePolicy", role, boundary),
            Request("iam:AttachRolePolicy", role, boundary | {"iam:PolicyARN": LAMBDA_BASICS}),
            Request("iam:AttachRolePolicy", role, boundary | {"iam:PolicyARN": XRAY}),
            Request("iam:AttachRolePolicy", role, boundary | {"iam:PolicyARN": QUEUE_READER}),
            Request("iam:AttachRolePolicy", role, boundary | {"iam:PolicyARN": STREAM_READER}),
            Request("iam:PassRole", role, {"iam:PassedToService": "lambda.amazonaws.com"}),
            Request("iam:GetRole", role),
            Request("iam:TagRole", role),
            Request("iam:DeleteRolePolicy", role, boundary),
            Request("iam:DeleteRole", role),
        ],
        "AWS::ApiGatewayV2::Api": [
            Request("apigateway:POST", f"arn:aws:apigateway:{REGION}::/apis"),
            Request("apigateway:PUT", f"arn:aws:apigateway:{REGION}::/apis/a1b2c3"),
            Request("apigateway:DELETE", f"arn:aws:apigateway:{REGION}::/apis/a1b2c3"),
        ],
        "AWS::ApiGatewayV2::Stage": [
            Request("apigateway:POST", f"arn:aws:apigateway:{REGION}::/apis/a1b2c3/stages"),
            Request("apigateway:PATCH", f"arn:aws:apigateway:{REGION}::/apis/a1b2c3/stages/$default"),
            Request("logs:CreateLogDelivery", "*"),
            Request("logs:PutResourcePolicy", "*"),
        ],
        "AWS::DynamoDB::Table": [
            Request(f"dynamodb:{action}", arn("dynamodb", f"table/{stack}-DataTable-AbC123"))
            for action in ("CreateTable", "DescribeTable", "UpdateTimeToLive", "UpdateContinuousBackups", "DeleteTable")
        ],
        "AWS::Logs::LogGroup": [
            Request("logs:CreateLogGroup", arn("logs", f"log-group:/aws/lambda/{stack}-CreateImportFunction-AbC123")),
            Request("logs:PutRetentionPolicy", arn("logs", f"log-group:{stack}-ImportsApiAccessLogGroup-AbC123")),
            Request("logs:DeleteLogGroup", arn("logs", f"log-group:{stack}-ImportsApiAccessLogGroup-AbC123")),
        ],
        "AWS::SQS::Queue": [
            Request(f"sqs:{action}", arn("sqs", f"{stack}-ImportJobsQueue-AbC123"))
            for action in ("CreateQueue", "GetQueueAttributes", "SetQueueAttributes", "TagQueue", "DeleteQueue")
        ],
        "AWS::S3::Bucket": [
            Request(f"s3:{action}", f"arn:aws:s3:::{stack}-contentbucket-abc123")
            for action in (
                "CreateBucket",
                "PutEncryptionConfiguration",
                "PutBucketPublicAccessBlock",
                "PutBucketOwnershipControls",
                "PutLifecycleConfiguration",
                "PutBucketTagging",
                "DeleteBucket",
            )
        ],
        "AWS::S3::Bucket#uploads": [
            Request(f"s3:{action}", f"arn:aws:s3:::{stack}-uploads-1a2b3c4d")
            for action in ("CreateBucket", "PutBucketCORS", "PutBucketNotification", "PutLifecycleConfiguration")
        ],
        "AWS::SQS::QueuePolicy": [
            Request("sqs:SetQueueAttributes", arn("sqs", f"{stack}-ImportJobsQueue-AbC123")),
        ],
        "AWS::S3::BucketPolicy": [
            Request(f"s3:{action}", f"arn:aws:s3:::{stack}-contentbucket-abc123")
            for action in ("PutBucketPolicy", "GetBucketPolicy", "DeleteBucketPolicy")
        ],
        "AWS::Lambda::EventSourceMapping": [
            Request(
                f"lambda:{action}", arn("lambda", "event-source-mapping:a1b2c3d4"), {"lambda:FunctionArn": function}
            )
            for action in (
                "CreateEventSourceMapping",
                "GetEventSourceMapping",
                "UpdateEventSourceMapping",
                "DeleteEventSourceMapping",
            )
        ],
        "AWS::Events::Rule": [
            Request(f"events:{action}", arn("events", f"rule/{stack}-ImportSweepFunctionEveryFifte-AbC123"))
            for action in ("PutRule", "DescribeRule", "PutTargets", "RemoveTargets", "DeleteRule")
        ],
        "AWS::CloudWatch::Alarm": [
            Request("cloudwatch:PutMetricAlarm", arn("cloudwatch", f"alarm:{stack}-ApiServerErrorRateAlarm-AbC123")),
            Request("cloudwatch:DeleteAlarms", arn("cloudwatch", f"alarm:{stack}-ApiServerErrorRateAlarm-AbC123")),
            Request("cloudwatch:DescribeAlarms", "*"),
        ],
    }


WITH_EVERYTHING = {"SnapStart": "true", "AlarmTopicArn": "arn:aws:sns:eu-west-1:123456789012:alarms"}


@pytest.mark.parametrize("overrides_", [{}, WITH_EVERYTHING], ids=["defaults", "everything on"])
def test_every_resource_type_of_the_service_is_mapped(overrides_: dict[str, str]) -> None:
    types = {resource["Type"] for resource in resolved(overrides_)["Resources"].values()}
    assert types <= needs("x").keys(), f"map these types to what they need: {sorted(types - needs('x').keys())}"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_execution_role_can_deploy_its_own_stack_and_nothing_of_the_other(environment: str) -> None:
    own = ENVIRONMENTS[environment]
    [other] = set(ENVIRONMENTS.values()) - {own}
    for resource_type, requests in needs(own).items():
        for request in requests:
            assert allowed(environment, "CloudFormationExecutionRole", request), (resource_type, request)
    for resource_type, requests in needs(other).items():
        for request in requests:
            if other in request.resource:  # named after a stack: the other stack's is out of reach
                assert not allowed(environment, "CloudFormationExecutionRole", request), (resource_type, request)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_execution_role_cannot_make_a_role_above_the_boundary(environment: str) -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/{ENVIRONMENTS[environment]}-Anything"
    boundary = {"iam:PermissionsBoundary": BOUNDARY}
    refused = [
        Request("iam:CreateRole", role),  # no boundary
        Request("iam:CreateRole", role, {"iam:PermissionsBoundary": "arn:aws:iam::aws:policy/AdministratorAccess"}),
        Request("iam:PutRolePolicy", role),
        Request(
            "iam:AttachRolePolicy", role, boundary | {"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"}
        ),
        Request("iam:AttachRolePolicy", role, {"iam:PolicyARN": LAMBDA_BASICS}),  # a role without the boundary
        Request("iam:DeleteRolePermissionsBoundary", role),
        Request("iam:PassRole", role, {"iam:PassedToService": "ec2.amazonaws.com"}),
        Request("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/admin", boundary),
        Request(
            "iam:CreatePolicyVersion", f"arn:aws:iam::{ACCOUNT}:policy/{ENVIRONMENTS[environment]}-function-boundary"
        ),
        Request("apigateway:PATCH", f"arn:aws:apigateway:{REGION}::/account"),
        Request("apigateway:POST", f"arn:aws:apigateway:{REGION}::/restapis"),
        Request("lambda:CreateFunction", arn("lambda", "function:payments")),
        Request("dynamodb:DeleteTable", arn("dynamodb", "table/neptun-sessions")),
    ]
    for request in refused:
        assert not allowed(environment, "CloudFormationExecutionRole", request), request


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_boundary_grants_no_iam_sts_or_lambda_and_only_what_functions_call(environment: str) -> None:
    boundary = deployed_roles(environment)["FunctionRoleBoundary"]["Properties"]
    assert boundary["ManagedPolicyName"] == f"{ENVIRONMENTS[environment]}-function-boundary"
    actions = {
        action for statement in boundary["PolicyDocument"]["Statement"] for action in as_list(statement["Action"])
    }
    assert all(action.split(":")[0] in {"dynamodb", "ssm", "kms", "logs", "xray", "sqs", "s3"} for action in actions), (
        actions
    )
    assert not any("*" in action for action in actions)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_one_deploy_role_per_environment_trusted_by_that_environment_alone(environment: str) -> None:
    role = deployed_roles(environment)["GithubDeployRole"]["Properties"]
    [statement] = role["AssumeRolePolicyDocument"]["Statement"]
    conditions = statement["Condition"]["StringEquals"]
    assert conditions["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    assert conditions["token.actions.githubusercontent.com:sub"] == f"repo:{REPOSITORY}:environment:{environment}"
    own = ENVIRONMENTS[environment]
    [other] = set(ENVIRONMENTS.values()) - {own}
    for action in ("cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet"):
        assert allowed(environment, "GithubDeployRole", Request(action, arn("cloudformation", f"stack/{own}/abc")))
        assert not allowed(
            environment, "GithubDeployRole", Request(action, arn("cloudformation", f"stack/{other}/abc"))
        )
    pass_role = Request(
        "iam:PassRole", "<CloudFormationExecutionRole.Arn>", {"iam:PassedToService": "cloudformation.amazonaws.com"}
    )
    assert allowed(environment, "GithubDeployRole", pass_role)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_each_stage_gives_its_function_roles_the_boundary_its_roles_stack_creates(environment: str) -> None:
    stage = STAGE_OF[environment]
    assert deploy_settings(stage)["stack_name"] == ENVIRONMENTS[environment]
    name = overrides(stage)["FunctionPermissionsBoundaryName"]
    assert name == deployed_roles(environment)["FunctionRoleBoundary"]["Properties"]["ManagedPolicyName"]
    roles = [
        resource
        for resource in resolved({"FunctionPermissionsBoundaryName": name})["Resources"].values()
        if resource["Type"] == "AWS::IAM::Role"
    ]
    assert len(roles) == len(resources_of_type("AWS::Serverless::Function"))
    expected = f"arn:aws:iam::{ACCOUNT}:policy/{name}"
    assert all(role["Properties"]["PermissionsBoundary"] == expected for role in roles)
    # Only the managed policies the execution role may attach.
    attached = {arn_ for role in roles for arn_ in role["Properties"]["ManagedPolicyArns"]}
    assert attached <= {LAMBDA_BASICS, XRAY, QUEUE_READER, STREAM_READER}
