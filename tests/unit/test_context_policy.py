"""The context policy, file by file: what is kept, under which category, and why the rest is not."""

from __future__ import annotations

import pytest

from domain.context_policy import (
    MAX_PATTERNS,
    BudgetUse,
    Category,
    ContextPolicy,
    ImportBudget,
    SecretFinding,
    SkipReason,
    Verdict,
    default_category,
    judge_content,
    language_of,
    patterns_problem,
)
from tests.archives import FakeScanner, fake_judges


@pytest.mark.parametrize(
    ("path", "category"),
    [
        ("package.json", Category.PACKAGE_MANAGER),
        ("pyproject.toml", Category.PACKAGE_MANAGER),
        ("services/api/requirements-dev.txt", Category.PACKAGE_MANAGER),
        ("go.mod", Category.PACKAGE_MANAGER),
        ("Cargo.toml", Category.PACKAGE_MANAGER),
        ("Makefile", Category.BUILD_TOOL),
        ("tsconfig.build.json", Category.BUILD_TOOL),
        (".github/workflows/test.yml", Category.BUILD_TOOL),
        (".gitlab-ci.yml", Category.BUILD_TOOL),
        ("vite.config.ts", Category.BUNDLER),
        ("webpack.config.js", Category.BUNDLER),
        ("next.config.mjs", Category.BUNDLER),
        ("jest.config.js", Category.TEST_TOOL),
        ("pytest.ini", Category.TEST_TOOL),
        ("conftest.py", Category.TEST_TOOL),
        ("Dockerfile", Category.RUNTIME),
        ("web/Dockerfile.prod", Category.RUNTIME),
        ("docker-compose.override.yml", Category.RUNTIME),
        (".nvmrc", Category.RUNTIME),
        ("template.yaml", Category.SERVER),
        ("infra/main.tf", Category.SERVER),
        ("Procfile", Category.SERVER),
        ("README.md", Category.DOCUMENTATION),
        ("Readme.rst", Category.DOCUMENTATION),
        ("packages/ui/README", Category.DOCUMENTATION),
        ("docs/guide/deploying.md", Category.DOCUMENTATION),
        ("AGENTS.md", Category.DOCUMENTATION),
    ],
)
def test_the_files_that_say_what_a_project_is_are_selected_with_their_category(path: str, category: Category) -> None:
    selection = ContextPolicy().select(path)

    assert (selection.category, selection.reason) == (category, None)


@pytest.mark.parametrize(
    "path",
    [
        "src/main.py",
        "node_modules/react/package.json",  # someone else's project
        "vendor/github.com/x/y/README.md",
        "lib/docs/notes.md",  # docs/ counts from the root only
        ".github/workflows/scripts/helper.yml",  # workflows are the folder's own files
        "tests/conftest.py",
        "readme/screenshot.txt",  # a folder's name selects nothing inside it
        "CHANGELOG.md",
    ],
)
def test_other_files_are_not_selected_by_default(path: str) -> None:
    assert ContextPolicy().select(path).reason is SkipReason.NOT_SELECTED


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        "config/.env.production",
        "certs/server.pem",
        "deploy/tls.key",
        "home/.ssh/id_rsa",
        "id_ed25519.pub",
        "terraform.tfstate",
        "terraform.tfstate.backup",
        ".npmrc",
        "aws/credentials",
        "Credentials.json",
    ],
)
def test_names_that_hold_credentials_are_denied_whatever_the_patterns_say(path: str) -> None:
    everything = ContextPolicy(include_patterns=("**",))

    assert everything.select(path).reason is SkipReason.DENIED_NAME


def test_include_patterns_keep_more_under_the_unknown_category() -> None:
    policy = ContextPolicy(include_patterns=("src/**/*.py",))

    assert policy.select("src/app/main.py").reason is None
    assert policy.select("src/app/main.py").category is Category.UNKNOWN
    assert policy.select("tests/test_main.py").reason is SkipReason.NOT_SELECTED
    assert policy.select("package.json").category is Category.PACKAGE_MANAGER


def test_exclude_patterns_keep_less_as_git_ignores() -> None:
    policy = ContextPolicy(exclude_patterns=("docs/", "*.tf"))

    assert policy.select("docs/guide.md").reason is SkipReason.NOT_SELECTED
    assert policy.select("infra/main.tf").reason is SkipReason.NOT_SELECTED
    assert policy.select("README.md").reason is None


def test_a_clients_patterns_match_case_sensitively_as_git_does() -> None:
    policy = ContextPolicy(include_patterns=("src/*.py",))

    assert policy.select("SRC/main.py").reason is SkipReason.NOT_SELECTED


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("Dockerfile", "dockerfile"),
        ("web/Dockerfile.dev", "dockerfile"),
        ("Makefile", "makefile"),
        ("package.json", "json"),
        ("ci.yaml", "yaml"),
        ("vite.config.ts", "typescript"),
        ("infra/main.tf", "hcl"),
        ("README.md", "markdown"),
        ("README", None),
        (".nvmrc", None),
    ],
)
def test_each_file_has_the_language_its_name_says(path: str, language: str | None) -> None:
    assert language_of(path) == language


def test_default_category_is_none_for_a_file_no_default_glob_matches() -> None:
    assert default_category("assets/logo.png") is None


@pytest.mark.parametrize(
    ("patterns", "problem"),
    [
        (["src/**"] * (MAX_PATTERNS + 1), "at most 20 patterns"),
        (["  "], "not blank"),
        (["x" * 201], "1 to 200 characters"),
        (["src/\n*"], "control characters"),
    ],
)
def test_a_clients_patterns_are_bounded(patterns: list[str], problem: str) -> None:
    assert problem in (patterns_problem(patterns) or "")


def test_twenty_reasonable_patterns_are_accepted() -> None:
    assert patterns_problem([f"src/module{n}/**/*.py" for n in range(MAX_PATTERNS)]) is None


def test_a_file_with_a_nul_byte_is_binary_whatever_its_name() -> None:
    scanner = FakeScanner()

    verdict = judge_content("README.md", b"# Title\n\0\x01\x02", BudgetUse(), fake_judges(scanner))

    assert verdict == Verdict(SkipReason.BINARY)
    assert scanner.scanned == []


def test_text_that_is_not_utf8_is_skipped_as_binary() -> None:
    assert judge_content("README.md", "café".encode("latin-1"), BudgetUse(), fake_judges()).reason is SkipReason.BINARY


def test_a_file_with_a_finding_is_not_kept_and_the_finding_names_line_and_kind() -> None:
    budget = BudgetUse()

    verdict = judge_content("config.yml", b"name: demo\ntoken: PLANTED\n", budget, fake_judges())

    assert verdict == Verdict(SkipReason.SECRET, (SecretFinding(2, "Planted"),))
    assert (budget.files, budget.bytes) == (0, 0)


def test_the_budget_of_files_keeps_the_first_and_skips_the_rest() -> None:
    budget = BudgetUse(ImportBudget(max_files=2))

    reasons = [judge_content(f"f{n}.md", b"text", budget, fake_judges()).reason for n in range(3)]

    assert reasons == [None, None, SkipReason.BUDGET]


def test_the_budget_of_bytes_skips_a_file_that_would_pass_it_but_keeps_a_smaller_one_after() -> None:
    budget = BudgetUse(ImportBudget(max_bytes=10))

    reasons = [
        judge_content(name, content, budget, fake_judges()).reason
        for name, content in [("a.md", b"123456"), ("b.md", b"1234567"), ("c.md", b"1234")]
    ]

    assert reasons == [None, SkipReason.BUDGET, None]
    assert budget.bytes == 10
