"""Checks `sam build` output: every function holds the service's packages and no development tooling.

Usage: python -m local.artifact_check BUILD_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

from local.template import resources_of_type

FUNCTION_PACKAGES = {"handlers", "domain", "dynamodb_store", "aws_lambda_powertools", "pydantic", "boto3", "tiktoken"}
# What the worker counts tokens with; without it tiktoken would try to download the ranks.
TOKENIZER_RANKS = Path("importer") / "tiktoken_cache"
NEVER_SHIPPED = {"local", "ops", "tests", "bench", "events", "moto", "pytest", "mypy_boto3_dynamodb"}


def artifact_problems(function_dir: Path) -> list[str]:
    present = {path.name for path in function_dir.iterdir()}
    problems = [f"missing {name}" for name in sorted(FUNCTION_PACKAGES - present)]
    problems += [f"must not ship {name}" for name in sorted(NEVER_SHIPPED & present)]
    ranks = function_dir / TOKENIZER_RANKS
    if not any(entry.suffix != ".md" for entry in ranks.glob("*")):
        problems.append(f"missing the o200k_base ranks in {TOKENIZER_RANKS}")
    return problems


def main(build_dir: str) -> int:
    failed = False
    for function_id in resources_of_type("AWS::Serverless::Function"):
        function_dir = Path(build_dir) / function_id
        problems = artifact_problems(function_dir) if function_dir.is_dir() else ["not built"]
        for problem in problems:
            print(f"{function_dir}: {problem}", file=sys.stderr)
        if not problems:
            print(f"{function_dir}: the artifact holds the function's packages and no development tooling")
        failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:]))
