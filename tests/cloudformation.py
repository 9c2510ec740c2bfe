"""template.yaml as CloudFormation would deploy it for given parameters, and as `sam validate --lint` sees it.

`translated()` runs AWS SAM Translator (tools/sam/translate.py, in the SAM CLI's environment), then
`resolved()` evaluates what CloudFormation itself would: conditions, `Fn::If`, `Ref` of parameters and
pseudo parameters, `Fn::Sub`; a resource's `Ref`/`Fn::GetAtt` stay symbolic (`<Ref X>`, `<X.Arn>`).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
SAM_PYTHON = ROOT / "tools" / "sam" / ".venv" / "bin" / "python"
SAM = ROOT / "tools" / "sam" / ".venv" / "bin" / "sam"
PSEUDO = {
    "AWS::Region": "eu-west-1",
    "AWS::Partition": "aws",
    "AWS::AccountId": "123456789012",
    "AWS::URLSuffix": "amazonaws.com",
}
NO_VALUE = object()


def _require_sam_tools() -> None:
    if not SAM_PYTHON.exists():
        raise RuntimeError("tools/sam/.venv is missing: run `make sam-tools` (make test does) before these tests")


@cache
def translated(overrides: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
    _require_sam_tools()
    pairs = [f"{name}={value}" for name, value in overrides]
    script = ROOT / "tools" / "sam" / "translate.py"
    output = subprocess.run(
        [SAM_PYTHON, script, TEMPLATE, *pairs], check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout
    result: dict[str, Any] = json.loads(output)
    return result


def resolved(overrides: dict[str, str]) -> dict[str, Any]:
    """The deployed template's resources, outputs and which conditions held."""
    template = translated(tuple(sorted(overrides.items())))
    parameters: dict[str, Any] = {
        name: spec.get("Default", "") for name, spec in template.get("Parameters", {}).items()
    } | overrides
    for name, spec in template.get("Parameters", {}).items():
        if spec["Type"] == "CommaDelimitedList":
            parameters[name] = [part for part in str(parameters[name]).split(",") if part]
    evaluator = _Evaluator(template.get("Conditions", {}), parameters | PSEUDO)
    resources = {
        logical_id: evaluator.value(resource)
        for logical_id, resource in template["Resources"].items()
        if "Condition" not in resource or evaluator.condition(resource["Condition"])
    }
    rules = {name: evaluator.value(rule["Assertions"]) for name, rule in template.get("Rules", {}).items()}
    return {"Resources": resources, "Outputs": evaluator.value(template.get("Outputs", {})), "Rules": rules}


class _Evaluator:
    def __init__(self, conditions: dict[str, Any], parameters: dict[str, Any]) -> None:
        self.conditions = conditions
        self.parameters = parameters

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


def template_with_defaults(overrides: dict[str, str], directory: Path) -> Path:
    """template.yaml with these parameters' defaults changed, written into `directory`."""
    text = TEMPLATE.read_text(encoding="utf-8")
    for name, value in overrides.items():
        pattern = rf"(\n  {name}:\n    Type: [^\n]+\n    Default: )[^\n]*"
        text, replaced = re.subn(pattern, rf'\g<1>"{value}"', text)
        assert replaced == 1, f"parameter {name} with a Default not found in template.yaml"
    path = directory / "template.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def sam_validate_lint(template: Path) -> subprocess.CompletedProcess[str]:
    _require_sam_tools()
    return subprocess.run(
        [SAM, "validate", "--lint", "--template", template, "--region", "eu-west-1"],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{SAM.parent}:{os.environ['PATH']}", "SAM_CLI_TELEMETRY": "0"},
        check=False,
    )
