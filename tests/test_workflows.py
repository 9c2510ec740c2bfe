"""The GitHub Actions workflows: what runs when, and how they reach AWS (actionlint checks the syntax in make lint)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from local.template import load_template

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"


def workflow(name: str) -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    return loaded


def triggers(name: str) -> dict[str, Any]:
    # YAML 1.1 reads the key `on` as True.
    found: dict[str, Any] = workflow(name)[True]
    return found


def runs(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def test_every_push_and_pull_request_runs_make_test_once() -> None:
    test = triggers("test.yml")
    assert set(test) == {"push", "pull_request", "workflow_call"}
    assert test["push"] == {"branches-ignore": ["main"], "tags-ignore": ["**"]}, "main and tags: deploy.yml"
    deploy = triggers("deploy.yml")
    assert deploy == {"push": {"branches": ["main"], "tags": ["v*"]}}
    assert workflow("deploy.yml")["jobs"]["test"]["uses"] == "./.github/workflows/test.yml"
    [make_test] = workflow("test.yml")["jobs"].values()
    assert "bash .ci/run" in runs(make_test)
    assert make_test["timeout-minutes"] <= 90


def test_main_deploys_dev_then_smoke_tests_it() -> None:
    jobs = workflow("deploy.yml")["jobs"]
    assert jobs["deploy-dev"]["needs"] == "test"
    assert jobs["deploy-dev"]["if"] == "github.ref == 'refs/heads/main'"
    assert any(command.startswith("make deploy STAGE=dev") for command in runs(jobs["deploy-dev"]))
    assert jobs["smoke-dev"]["needs"] == "deploy-dev"
    assert any(command.startswith("make smoke ") for command in runs(jobs["smoke-dev"]))


def test_a_version_tag_deploys_prod_after_an_approval() -> None:
    prod = workflow("deploy.yml")["jobs"]["deploy-prod"]
    assert prod["if"] == "startsWith(github.ref, 'refs/tags/v')"
    assert prod["needs"] == "test"
    assert prod["environment"] == "production"
    assert any(command.startswith("make deploy STAGE=prod") for command in runs(prod))


def test_aws_is_reached_through_oidc_never_stored_keys() -> None:
    text = "\n".join(path.read_text(encoding="utf-8") for path in WORKFLOWS.glob("*.yml"))
    assert "aws-access-key-id" not in text
    assert "AWS_SECRET_ACCESS_KEY" not in text
    assert workflow("deploy.yml")["permissions"] == {"contents": "read"}
    for name, job in workflow("deploy.yml")["jobs"].items():
        steps = job.get("steps", [])
        assumes_role = any(step.get("uses", "").startswith("aws-actions/configure-aws-credentials@") for step in steps)
        assert assumes_role == name.startswith("deploy-"), name
        if assumes_role:
            assert job["permissions"] == {"contents": "read", "id-token": "write"}, name


def test_every_action_is_pinned_to_a_commit() -> None:
    for path in WORKFLOWS.glob("*.yml"):
        for job in workflow(path.name)["jobs"].values():
            for step in job.get("steps", []):
                if "uses" in step:
                    assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), (path.name, step["uses"])


def test_each_deploy_job_assumes_its_own_environments_role() -> None:
    roles = load_template(ROOT / "deploy" / "github-deploy-role.yaml")
    [statement] = roles["Resources"]["GithubDeployRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    subject = statement["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"]
    assert subject.value == "repo:${Repository}:environment:${Environment}"  # one environment per roles stack
    jobs = workflow("deploy.yml")["jobs"]
    deploy_jobs = {name: job for name, job in jobs.items() if name.startswith("deploy-")}
    environments = {job["environment"] for job in deploy_jobs.values()}
    assert environments == set(roles["Parameters"]["Environment"]["AllowedValues"]) == {"dev", "production"}
    for job in deploy_jobs.values():
        # The role ARNs are environment variables (set on each GitHub environment), so a job can only
        # assume the role of the environment it runs in.
        [credentials] = [step for step in job["steps"] if "configure-aws-credentials" in step.get("uses", "")]
        assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
