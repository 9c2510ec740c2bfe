"""Reads template.yaml, the one source of truth for tables, the function's settings and its routes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from local.cloudformation import Evaluator, parameter_values

TEMPLATE_PATH = Path(__file__).resolve().parent.parent / "template.yaml"
_TABLE_PROPERTIES = (
    "AttributeDefinitions",
    "KeySchema",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "BillingMode",
)


@dataclass(frozen=True)
class Intrinsic:
    """A CloudFormation intrinsic function such as `!Ref SessionsTable`, kept unresolved."""

    tag: str
    value: Any


class _TemplateLoader(yaml.SafeLoader):
    """safe_load plus CloudFormation's short-form tags (!Ref, !GetAtt, !Sub, ...)."""


def _intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> Intrinsic:
    if isinstance(node, yaml.ScalarNode):
        return Intrinsic(tag_suffix, loader.construct_scalar(node))
    if isinstance(node, yaml.SequenceNode):
        return Intrinsic(tag_suffix, loader.construct_sequence(node, deep=True))
    return Intrinsic(tag_suffix, loader.construct_mapping(node, deep=True))  # type: ignore[arg-type]


_TemplateLoader.add_multi_constructor("!", _intrinsic)


@cache
def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    with path.open(encoding="utf-8") as template:
        loaded: dict[str, Any] = yaml.load(template, Loader=_TemplateLoader)  # noqa: S506 - SafeLoader subclass
    return loaded


def resources_of_type(resource_type: str, template: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    resources: dict[str, dict[str, Any]] = (template or load_template())["Resources"]
    return {name: resource for name, resource in resources.items() if resource["Type"] == resource_type}


def create_table_requests(*, streams: bool = False) -> list[dict[str, Any]]:
    """CreateTable arguments for every AWS::DynamoDB::Table, each named after its logical id; with
    `streams`, a table's stream too (moto copies a table, stream records included, on every
    transaction, so its writes slow down as records pile up: streams only where they are read)."""
    requests = []
    for logical_id, resource in resources_of_type("AWS::DynamoDB::Table").items():
        properties = resource["Properties"]
        request = {key: properties[key] for key in _TABLE_PROPERTIES if key in properties}
        if streams and "StreamSpecification" in properties:  # CloudFormation's form lacks StreamEnabled
            request["StreamSpecification"] = {"StreamEnabled": True, **properties["StreamSpecification"]}
        requests.append({"TableName": logical_id, **request})
    return requests


def time_to_live_attributes() -> dict[str, str]:
    """Table logical id -> TTL attribute, for the tables that declare one."""
    return {
        logical_id: resource["Properties"]["TimeToLiveSpecification"]["AttributeName"]
        for logical_id, resource in resources_of_type("AWS::DynamoDB::Table").items()
        if "TimeToLiveSpecification" in resource["Properties"]
    }


def function_environment(function_id: str = "CreateImportFunction") -> dict[str, str]:
    """The function's environment (Globals', then its own), `!Ref Table` resolved to the local table name."""
    template = load_template()
    shared = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    own = template["Resources"][function_id]["Properties"].get("Environment", {}).get("Variables", {})
    return {name: _resolved_locally(value) for name, value in (shared | own).items()}


_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours)\)")


def schedule_seconds(function_id: str) -> float:
    """How often the template's Schedule event runs the function (`rate(N minutes)` or `rate(N hours)`)."""
    events = load_template()["Resources"][function_id]["Properties"]["Events"].values()
    [schedule] = [event["Properties"]["Schedule"] for event in events if event["Type"] == "Schedule"]
    matched = _RATE.fullmatch(schedule)
    if matched is None:
        raise ValueError(f"{function_id}'s schedule {schedule!r} is not rate(N minutes) or rate(N hours)")
    amount, unit = int(matched.group(1)), matched.group(2)
    return float(amount * (3600 if unit.startswith("hour") else 60))


def function_handler(function_id: str) -> str:
    """The function's Handler (`module.attribute`)."""
    handler: str = load_template()["Resources"][function_id]["Properties"]["Handler"]
    return handler


def every_function_environment() -> dict[str, str]:
    """What one local process serving every function needs: the union of their environments."""
    merged: dict[str, str] = {}
    for function_id in resources_of_type("AWS::Serverless::Function"):
        merged |= function_environment(function_id)
    return merged


def _resolved_locally(value: Any) -> str:
    """`!Ref` of a table: its logical id (the local table's name); of a parameter: its default;
    `!If`: the branch its condition takes with every parameter at its default."""
    if isinstance(value, Intrinsic) and value.tag == "If":
        condition, when_true, when_false = value.value
        return _resolved_locally(when_true if condition_holds(condition) else when_false)
    if isinstance(value, Intrinsic) and value.tag == "Ref":
        parameter = load_template().get("Parameters", {}).get(value.value)
        return str(parameter["Default"]) if parameter else str(value.value)
    if isinstance(value, Intrinsic):
        raise TypeError(f"!{value.tag} cannot be resolved locally")
    return str(value)


def condition_holds(name: str) -> bool:
    """A template condition with every parameter at its default."""
    template = load_template()
    conditions = {key: long_form(value) for key, value in template.get("Conditions", {}).items()}
    return Evaluator(conditions, parameter_values(template.get("Parameters", {}))).condition(name)


def long_form(node: Any) -> Any:
    """`!Equals [...]` as `{"Fn::Equals": [...]}`, as CloudFormation reads YAML's short forms."""
    if isinstance(node, Intrinsic):
        if node.tag in {"Ref", "Condition"}:
            return {node.tag: node.value}
        if node.tag == "GetAtt" and isinstance(node.value, str):
            return {"Fn::GetAtt": node.value.split(".", 1)}
        return {f"Fn::{node.tag}": long_form(node.value)}
    if isinstance(node, list):
        return [long_form(item) for item in node]
    if isinstance(node, dict):
        return {key: long_form(value) for key, value in node.items()}
    return node


@dataclass(frozen=True)
class Route:
    method: str
    path_template: str  # as API Gateway writes it: /api/users/{user_id}/...
    route_key: str
    function_id: str
    handler: str  # the function's Handler: module.attribute

    @property
    def is_github_webhook(self) -> bool:
        return self.path_template.startswith("/api/github/")

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """The path parameters when this route serves the request, else None."""
        if method.upper() != self.method:
            return None
        escaped = re.escape(self.path_template)
        # `{name+}` (a greedy parameter) matches the rest of the path, `/` included; `{name}` one segment.
        greedy = re.sub(r"\\\{(\w+)\\\+\\\}", r"(?P<\1>.+)", escaped)
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", greedy)
        found = re.fullmatch(pattern, path)
        return found.groupdict() if found else None


def http_api_routes(function_id: str | None = None) -> list[Route]:
    """Every HttpApi route of the template (or of one function), in template order."""
    routes = []
    for logical_id, function in resources_of_type("AWS::Serverless::Function").items():
        if function_id not in (None, logical_id):
            continue
        for event in function["Properties"].get("Events", {}).values():
            if event["Type"] == "HttpApi":
                method, path = event["Properties"]["Method"].upper(), event["Properties"]["Path"]
                route_key = f"{method} {path}"
                handler = function["Properties"]["Handler"]
                routes.append(Route(method, path, route_key, function_id=logical_id, handler=handler))
    return routes
