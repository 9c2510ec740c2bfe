"""samconfig.toml: the dev and prod stages `make deploy STAGE=...` deploys."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from local.template import load_template

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))
STAGES = ["dev", "prod"]


def command_settings(stage: str, command: str) -> dict[str, Any]:
    """What `sam <command> --config-env <stage>` reads: the stage's global parameters, then its own."""
    stage_config = CONFIG[stage]
    own: dict[str, Any] = stage_config.get(command, {}).get("parameters", {})
    settings: dict[str, Any] = stage_config["global"]["parameters"] | own
    return settings


def deploy_settings(stage: str) -> dict[str, Any]:
    return command_settings(stage, "deploy")


def overrides(stage: str) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in deploy_settings(stage)["parameter_overrides"])


def test_each_stage_is_its_own_stack_and_artifact_prefix() -> None:
    assert {deploy_settings(stage)["stack_name"] for stage in STAGES} == {"neptun-imports-dev", "neptun-imports-prod"}
    assert len({deploy_settings(stage)["s3_prefix"] for stage in STAGES}) == 2


def test_prod_shows_its_change_set_before_applying_it_and_dev_does_not() -> None:
    assert deploy_settings("prod")["confirm_changeset"] is True
    assert deploy_settings("dev")["confirm_changeset"] is False


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_sets_only_template_parameters_with_values_they_accept(stage: str) -> None:
    parameters = load_template()["Parameters"]
    for name, value in overrides(stage).items():
        assert name in parameters, name
        spec = parameters[name]
        if "AllowedPattern" in spec:
            assert re.fullmatch(spec["AllowedPattern"], value), (name, value)
        if "AllowedValues" in spec:
            assert value in spec["AllowedValues"], (name, value)
        if spec["Type"] == "Number":
            assert int(value) >= spec.get("MinValue", 0), (name, value)
        if name == "CorsAllowedOrigins":
            assert all(origin.startswith(("https://", "http://localhost")) for origin in value.split(","))
    assert deploy_settings(stage)["capabilities"] == "CAPABILITY_IAM"


def test_prod_uses_the_login_services_sessions_table() -> None:
    assert overrides("prod")["ExistingSessionsTableName"]
    assert "ExistingSessionsTableName" not in overrides("dev")


@pytest.mark.parametrize("stage", STAGES)
def test_make_deploy_deploys_the_built_template_with_the_stages_settings(stage: str) -> None:
    # -n: print the commands without running them (no AWS here).
    printed = subprocess.run(
        ["make", "-n", "--no-print-directory", "deploy", f"STAGE={stage}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    [deploy] = [line for line in printed.splitlines() if " deploy " in line and "sam" in line]
    assert f"--config-env {stage}" in deploy
    assert f"--config-file {ROOT}/samconfig.toml" in deploy
    assert "--template-file .aws-sam/build/template.yaml" in deploy


@pytest.mark.parametrize("stage", STAGES)
def test_make_delete_deletes_the_stack_make_deploy_deploys(stage: str) -> None:
    assert command_settings(stage, "delete")["stack_name"] == deploy_settings(stage)["stack_name"]
    assert command_settings(stage, "delete")["region"] == deploy_settings(stage)["region"]
    result = subprocess.run(
        ["make", "-n", "delete", f"STAGE={stage}"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert f"delete --config-file {ROOT}/samconfig.toml --config-env {stage}" in result.stdout
