"""The secret scanner the importer runs (detect-secrets): what it finds, what it must not flag."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from domain.context_policy import SecretFinding
from importer.secret_scan import DetectSecretsScanner, scratch_name

# Fakes in the shapes the detectors know: AWS's documented example key, a GitHub token of the right
# form, a PEM header. None of them grants anything.
FAKE_AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
FAKE_GITHUB_TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0" * 2
PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n"


@pytest.fixture(scope="module")
def scanner() -> Iterator[DetectSecretsScanner]:
    with DetectSecretsScanner() as opened:
        yield opened


@pytest.mark.parametrize(
    ("path", "text", "finding"),
    [
        ("settings.py", f'AWS_ACCESS_KEY_ID = "{FAKE_AWS_KEY}"\n', SecretFinding(1, "AWS Access Key")),
        (".github/workflows/deploy.yml", f"env:\n  TOKEN: {FAKE_GITHUB_TOKEN}\n", SecretFinding(2, "GitHub Token")),
        ("docs/setup.md", f"Install this key:\n\n{PRIVATE_KEY}", SecretFinding(3, "Private Key")),
        ("config.yaml", 'database:\n  password: "correct-horse-battery-staple"\n', SecretFinding(2, "Secret Keyword")),
        (
            "docker-compose.yml",
            "services:\n  app:\n    DATABASE_URL: postgres://admin:s3cretpassw0rd@db:5432/app\n",
            SecretFinding(3, "Basic Auth Credentials"),
        ),
    ],
)
def test_a_planted_secret_is_found_with_its_line_and_kind(
    scanner: DetectSecretsScanner, path: str, text: str, finding: SecretFinding
) -> None:
    assert finding in scanner.findings(path, text)


def test_a_finding_never_holds_the_value(scanner: DetectSecretsScanner) -> None:
    findings = scanner.findings("settings.py", f'key = "{FAKE_AWS_KEY}"\n')

    assert findings
    assert FAKE_AWS_KEY not in repr(findings)


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (
            "package.json",
            '{"integrity": "sha512-Z3tX0Hd5c8E6r5ewVwsYxOxMDAqn4vIY5o3lWj5e6Ex2ZjMLc6eY8YGyBn5aZkqFHS=="}\n',
        ),
        (
            "Dockerfile",
            "FROM python:3.13-slim@sha256:4c2cf9917bd1cbacc5e9b07320025bdb7cdf2df7b0ceaccb55e9dd7e30987419\n",
        ),
        (".github/workflows/test.yml", "steps:\n  - uses: actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11\n"),
        ("nginx.conf", "server { listen 93.184.216.34:80; }\n"),
        (".github/workflows/ci.yml", "env:\n  TOKEN: ${{ secrets.GITHUB_TOKEN }}\n"),
        ("README.md", "# Demo\n\nRun `make test`; set `API_TOKEN` in your environment first.\n"),
    ],
)
def test_what_context_files_are_full_of_is_not_taken_for_a_secret(
    scanner: DetectSecretsScanner, path: str, text: str
) -> None:
    assert scanner.findings(path, text) == []


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("../../etc/passwd", "scanned"),
        ("config/settings.YAML", "scanned.yaml"),
        ("a/b/package-lock.json", "package-lock.json"),
        ("weird/name.$(rm -rf)", "scanned"),
        (".env", "scanned"),
    ],
)
def test_a_file_is_scanned_under_a_name_made_from_its_extension_only(path: str, name: str) -> None:
    assert scratch_name(path) == name
