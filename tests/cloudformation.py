"""template.yaml as CloudFormation would deploy it for given parameters, and as `sam validate --lint` sees it.

`translated()` runs AWS SAM Translator (tools/sam/translate.py, in the SAM CLI's environment), then
`resolved()` evaluates what CloudFormation itself would (local/cloudformation.py).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

from local.cloudformation import Evaluator, parameter_values

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
SAM_PYTHON = ROOT / "tools" / "sam" / ".venv" / "bin" / "python"
SAM = ROOT / "tools" / "sam" / ".venv" / "bin" / "sam"


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
    """The deployed template's resources (those whose condition holds), outputs and rule assertions."""
    template = translated(tuple(sorted(overrides.items())))
    evaluator = Evaluator(template.get("Conditions", {}), parameter_values(template.get("Parameters", {}), overrides))
    resources = {
        logical_id: evaluator.value(resource)
        for logical_id, resource in template["Resources"].items()
        if "Condition" not in resource or evaluator.condition(resource["Condition"])
    }
    rules = {name: evaluator.value(rule["Assertions"]) for name, rule in template.get("Rules", {}).items()}
    return {"Resources": resources, "Outputs": evaluator.value(template.get("Outputs", {})), "Rules": rules}


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
