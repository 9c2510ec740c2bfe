"""What CloudFormation evaluates in a template itself: conditions, `Fn::If`, `Ref` of parameters and
pseudo parameters, `Fn::Sub`, `Fn::FindInMap`. A resource's `Ref` and `Fn::GetAtt` stay symbolic (`<Ref X>`, `<X.Arn>`).

`local/template.py` uses it to pick a `!If` branch with every parameter at its default; the template
tests (tests/cloudformation.py) to evaluate SAM Translator's output for given parameters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

PSEUDO = {
    "AWS::Region": "eu-west-1",
    "AWS::Partition": "aws",
    "AWS::AccountId": "123456789012",
    "AWS::URLSuffix": "amazonaws.com",
}
NO_VALUE = object()


def parameter_values(parameters: Mapping[str, Any], overrides: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Each parameter's value as CloudFormation passes it (a CommaDelimitedList as a list), defaults
    unless overridden, and the pseudo parameters."""
    values: dict[str, Any] = {name: spec.get("Default", "") for name, spec in parameters.items()} | dict(
        overrides or {}
    )
    for name, spec in parameters.items():
        if spec["Type"] == "CommaDelimitedList" and isinstance(values[name], str):
            values[name] = [part for part in values[name].split(",") if part]
    return values | PSEUDO


class Evaluator:
    """Evaluates long-form (JSON) template values for one set of parameter values."""

    def __init__(
        self, conditions: dict[str, Any], parameters: dict[str, Any], mappings: dict[str, Any] | None = None
    ) -> None:
        self.conditions = conditions
        self.parameters = parameters
        self.mappings = mappings or {}

    def condition(self, name: str) -> bool:
        return bool(self.value(self.conditions[name]))

    def value(self, node: Any) -> Any:  # noqa: PLR0911 - one branch per intrinsic function
        if isinstance(node, list):
            return [item for item in (self.value(item) for item in node) if item is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            [(name, argument)] = node.items()
            if name == "Ref":
                return NO_VALUE if argument == "AWS::NoValue" else self.parameters.get(argument, f"<Ref {argument}>")
            if name == "Fn::GetAtt":
                return f"<{'.'.join(argument) if isinstance(argument, list) else argument}>"
            if name == "Fn::If":
                condition, when_true, when_false = argument
                return self.value(when_true if self.condition(condition) else when_false)
            if name == "Condition":
                return self.condition(argument)
            if name.startswith("Fn::") and name != "Fn::Sub":
                return self._function(name, self.value(argument))
            if name == "Fn::Sub":
                return self._sub(argument)
        return {key: value for key, value in ((k, self.value(v)) for k, v in node.items()) if value is not NO_VALUE}

    def _function(self, name: str, arguments: Any) -> Any:
        operations: dict[str, Callable[[], Any]] = {
            "Fn::Equals": lambda: str(arguments[0]) == str(arguments[1]),
            "Fn::Not": lambda: not arguments[0],
            "Fn::And": lambda: all(arguments),
            "Fn::Or": lambda: any(arguments),
            "Fn::Contains": lambda: arguments[1] in arguments[0],
            "Fn::Join": lambda: str(arguments[0]).join(str(item) for item in arguments[1]),
            "Fn::FindInMap": lambda: self.mappings[arguments[0]][arguments[1]][arguments[2]],
        }
        return operations[name]() if name in operations else {name: arguments}

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], self.value(argument[1]))

        def replaced(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if name in self.parameters:
                return str(self.parameters[name])
            return f"<{name}>" if "." in name else f"<Ref {name}>"

        return re.sub(r"\$\{([^}!]+)\}", replaced, text)
