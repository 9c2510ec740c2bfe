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


class NoManagedPolicies:
    """The template names no managed policies; looking one up would need IAM."""

    def load(self) -> dict[str, str]:
        return {}


def translated(template_path: str, overrides: dict[str, str]) -> dict[str, Any]:
    template = yaml_parse(Path(template_path).read_text(encoding="utf-8"))
    # What `sam package` puts there: the uploaded artifact (the translator wants an S3 URI).
    template["Globals"]["Function"]["CodeUri"] = "s3://artifacts/imports.zip"
    parameters = {name: spec.get("Default") for name, spec in template.get("Parameters", {}).items()}
    parameters |= {"AWS::Region": "eu-west-1", "AWS::Partition": "aws", "AWS::AccountId": "123456789012"}
    for name, value in overrides.items():
        # As CloudFormation passes them: a CommaDelimitedList as a list of strings.
        is_list = template["Parameters"][name]["Type"] == "CommaDelimitedList"
        parameters[name] = value.split(",") if is_list else value
    result: dict[str, Any] = transform(template, parameters, NoManagedPolicies())
    return result


if __name__ == "__main__":
    os.environ["AWS_DEFAULT_REGION"] = "eu-west-1"  # the translator asks boto3 for the region; no call is made
    path, *pairs = sys.argv[1:]
    print(json.dumps(translated(path, dict(pair.split("=", 1) for pair in pairs)), default=str))
