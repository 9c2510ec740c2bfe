"""Print template.yaml as CloudFormation receives it (JSON), for given parameter values.

Runs in tools/sam/.venv (AWS SAM Translator, SAM CLI's YAML reader), offline: the managed
policies the template uses are none, so no IAM call is made.
Usage: python translate.py TEMPLATE [Name=Value ...]
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from samcli.yamlhelper import yaml_parse
from samtranslator.translator.transform import transform

# The repository's own parameter rules (no dependencies), also used by the tests' evaluator.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from local.cloudformation import parameter_values


class NoManagedPolicies:
    """The template names no managed policies; looking one up would need IAM."""

    def load(self) -> dict[str, str]:
        return {}


def translated(template_path: str, overrides: dict[str, str]) -> dict[str, Any]:
    template = yaml_parse(Path(template_path).read_text(encoding="utf-8"))
    # What `sam package` puts there: the uploaded artifact (the translator wants an S3 URI).
    template["Globals"]["Function"]["CodeUri"] = "s3://artifacts/imports.zip"
    parameters = parameter_values(template.get("Parameters", {}), overrides)
    result: dict[str, Any] = transform(template, parameters, NoManagedPolicies())
    return result


if __name__ == "__main__":
    os.environ["AWS_DEFAULT_REGION"] = "eu-west-1"  # the translator asks boto3 for the region; no call is made
    path, *pairs = sys.argv[1:]
    print(json.dumps(translated(path, dict(pair.split("=", 1) for pair in pairs)), default=str))
