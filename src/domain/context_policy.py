"""What an import keeps of a repository: the files that tell an assistant what the project is.

One policy, applied to every path of an imported tree, in this order (the first that applies decides the
path's `skipped_reason`; a path none of them stops is included):

1. `link`: a symbolic or hard link; never followed, never kept.
2. `denied_name`: a name that holds credentials by convention (`.env*`, `*.pem`, `id_rsa*`, ...), whatever
   the patterns and the scanner say.
3. `not_selected`: neither a default pattern nor an `include_patterns` entry matches the path, or an
   `exclude_patterns` entry does.
4. `too_large`: more than `MAX_FILE_BYTES` (GitHub's recommended largest object).
5. `binary`: the content is not UTF-8 text or holds a NUL byte in its first 8,000 bytes (git's own test),
   whatever the name says.
6. `budget`: keeping it would pass the import's budget of files or bytes; the files before it stay kept.
7. `secret`: the secret scanner found something in it; the finding (line, kind, never the value) is kept.

Default patterns match case-insensitively (`README.md`, `Readme.md`, `readme.rst`); a client's patterns are
gitignore patterns and match as git matches them, case-sensitively.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache, cached_property
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import pathspec

# GitHub warns at 50 MiB and blocks at 100 MiB; 1 MiB is the largest blob its contents API returns
# whole, and a configuration file or README larger than that is not context an assistant can use.
MAX_FILE_BYTES = 1024 * 1024
# A client's include_patterns / exclude_patterns: how many and how long each may be.
MAX_PATTERNS = 20
PATTERN_MAX_LENGTH = 200
# git's binary test reads this many bytes for a NUL (buffer_is_binary in git's xdiff-interface.c).
BINARY_SNIFF_BYTES = 8000


class SkipReason(StrEnum):
    """Why a path of the imported tree was not kept: exactly one per skipped path."""

    LINK = "link"
    DENIED_NAME = "denied_name"
    NOT_SELECTED = "not_selected"
    TOO_LARGE = "too_large"
    BINARY = "binary"
    BUDGET = "budget"
    SECRET = "secret"  # noqa: S105 - a reason's name, not a password


class Category(StrEnum):
    """What a kept file tells an assistant about the project: the Neptun web app's categories."""

    PACKAGE_MANAGER = "package_manager"
    BUILD_TOOL = "build_tool"
    BUNDLER = "bundler"
    TEST_TOOL = "test_tool"
    RUNTIME = "runtime"
    SERVER = "server"
    DOCUMENTATION = "documentation"
    UNKNOWN = "unknown"


# File globs, written in lower case and matched against the lower-cased path: one without a `/` matches
# a file's name at any depth, one starting with `/` the path from the repository's root; `*` and `?` never
# cross a `/`, `**/` is any number of folders. Unlike gitignore patterns they never match a folder (a
# folder named `readme` does not select what is in it). The first category whose globs match wins.
# The tables read best as paragraphs, not one name per line.
# fmt: off
DEFAULT_PATTERNS: dict[Category, tuple[str, ...]] = {
    Category.PACKAGE_MANAGER: (
        "package.json", "pnpm-workspace.yaml", ".yarnrc.yml", "pyproject.toml", "requirements*.txt",
        "requirements/*.txt", "pipfile", "setup.py", "setup.cfg", "environment.yml", "cargo.toml", "go.mod",
        "gemfile", "*.gemspec", "composer.json", "pubspec.yaml", "package.swift", "podfile", "mix.exs",
        "deno.json", "deno.jsonc", "*.csproj", "*.fsproj", "packages.config", "vcpkg.json", "conanfile.txt",
        "deps.edn", "project.clj", "stack.yaml", "*.cabal",
    ),
    Category.BUILD_TOOL: (
        "makefile", "gnumakefile", "*.mk", "cmakelists.txt", "*.cmake", "meson.build", "build.gradle",
        "build.gradle.kts", "settings.gradle", "settings.gradle.kts", "pom.xml", "build.xml", "build.sbt",
        "build.bazel", "workspace", "workspace.bazel", "module.bazel", ".bazelrc", "justfile", "taskfile.yml",
        "taskfile.yaml", "rakefile", "tsconfig.json", "tsconfig.*.json", "jsconfig.json", "turbo.json",
        "nx.json", "lerna.json", "/.github/workflows/*.yml", "/.github/workflows/*.yaml", "/.gitlab-ci.yml",
        "/.circleci/config.yml", "jenkinsfile", "/azure-pipelines.yml", "/.travis.yml",
        "/bitbucket-pipelines.yml", "/.pre-commit-config.yaml", "eslint.config.*", ".eslintrc*",
        ".prettierrc*", "biome.json", "ruff.toml",
    ),
    Category.BUNDLER: (
        "webpack.config.*", "vite.config.*", "rollup.config.*", "esbuild.config.*", "rspack.config.*",
        "tsup.config.*", ".parcelrc", "babel.config.*", ".babelrc*", "postcss.config.*", "tailwind.config.*",
        "metro.config.*", "svelte.config.*", "astro.config.*", "next.config.*", "nuxt.config.*",
        "vue.config.*", "angular.json", "remix.config.*", "gatsby-config.*",
    ),
    Category.TEST_TOOL: (
        "jest.config.*", "vitest.config.*", "vitest.workspace.*", "playwright.config.*", "cypress.config.*",
        "karma.conf.*", ".mocharc*", "pytest.ini", "tox.ini", "noxfile.py", "/conftest.py", "phpunit.xml*",
        ".nycrc*", "codecov.yml", ".coveragerc",
    ),
    Category.RUNTIME: (
        "dockerfile", "dockerfile.*", "*.dockerfile", "containerfile", "docker-compose*.yml",
        "docker-compose*.yaml", "compose.yml", "compose.yaml", ".dockerignore", ".nvmrc", ".node-version",
        ".python-version", ".ruby-version", ".java-version", ".tool-versions", "runtime.txt", "rust-toolchain",
        "rust-toolchain.toml", "/.devcontainer/devcontainer.json", "mise.toml", ".mise.toml", "flake.nix",
        "shell.nix",
    ),
    Category.SERVER: (
        "procfile", "nginx.conf", "caddyfile", "serverless.yml", "serverless.yaml", "template.yaml",
        "template.yml", "samconfig.toml", "vercel.json", "netlify.toml", "fly.toml", "app.yaml", "render.yaml",
        "wrangler.toml", "firebase.json", "cdk.json", "pulumi.yaml", "*.tf", "chart.yaml", "skaffold.yaml",
        "kustomization.yaml", "gunicorn.conf.py", "uwsgi.ini",
    ),
    Category.DOCUMENTATION: (
        "readme", "readme.*", "contributing*", "architecture*", "agents.md", "claude.md", ".cursorrules",
        "/.github/copilot-instructions.md", "/docs/**/*.md", "/docs/**/*.mdx", "/doc/**/*.md",
    ),
}

# Folders of other people's code: their manifests and READMEs describe dependencies, not the project,
# so the default globs never select under them (a client's include_patterns still can).
VENDORED_FOLDERS = frozenset(
    ("node_modules", "bower_components", "vendor", "third_party", ".venv", "venv", "site-packages", ".tox")
)

# Names that hold credentials by convention: file globs like the defaults, matched case-insensitively.
DENIED_NAMES: tuple[str, ...] = (
    ".env*", "*.pem", "*.key", "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*", "*.tfstate", "*.tfstate.*",
    ".npmrc", ".pypirc", ".netrc", ".git-credentials", "credentials*", "*.p12", "*.pfx", "*.jks",
    "*.keystore",
)

# The fence tag of a file's language (GitHub Linguist's lower-case aliases), by whole name, then by
# extension; a path in neither has no language (null).
_LANGUAGE_BY_NAME = {
    "dockerfile": "dockerfile", "containerfile": "dockerfile", "makefile": "makefile",
    "gnumakefile": "makefile", "cmakelists.txt": "cmake", "gemfile": "ruby", "rakefile": "ruby",
    "podfile": "ruby", "jenkinsfile": "groovy", "pipfile": "toml", "justfile": "just", "go.mod": "go-module",
    ".babelrc": "json", ".parcelrc": "json", ".eslintrc": "json", ".prettierrc": "json", ".mocharc": "json",
    ".nycrc": "json", "caddyfile": "caddyfile", "procfile": "procfile",
}
_LANGUAGE_BY_EXTENSION = {
    "json": "json", "jsonc": "json", "yml": "yaml", "yaml": "yaml", "toml": "toml", "py": "python",
    "js": "javascript", "cjs": "javascript", "mjs": "javascript", "jsx": "jsx", "ts": "typescript",
    "cts": "typescript", "mts": "typescript", "tsx": "tsx", "md": "markdown", "mdx": "mdx", "rst": "rst",
    "txt": "text", "tf": "hcl", "hcl": "hcl", "xml": "xml", "gradle": "groovy", "kts": "kotlin",
    "ini": "ini", "cfg": "ini", "conf": "nginx", "sh": "shell", "bash": "shell", "rb": "ruby",
    "gemspec": "ruby", "go": "go", "rs": "rust", "java": "java", "kt": "kotlin", "swift": "swift",
    "exs": "elixir", "ex": "elixir", "csproj": "xml", "fsproj": "xml", "nix": "nix", "cmake": "cmake",
    "mk": "makefile", "dockerfile": "dockerfile", "cabal": "cabal", "clj": "clojure", "edn": "clojure",
    "bazel": "starlark", "bzl": "starlark", "vue": "vue", "svelte": "svelte", "css": "css", "html": "html",
    "sql": "sql", "php": "php", "c": "c", "h": "c", "cpp": "cpp", "hpp": "cpp", "cs": "csharp",
}
# fmt: on


def _spec(patterns: Sequence[str]) -> pathspec.GitIgnoreSpec:
    # Imported only for a client's own patterns: pathspec takes about 80 ms to import, which every
    # route function (they import this module through the run state's types) would pay at cold start.
    import pathspec  # noqa: PLC0415

    return pathspec.GitIgnoreSpec.from_lines(patterns)


def _glob_segment(segment: str) -> str:
    if segment == "**":
        return "(?:[^/]+/)*"
    translated = "".join("[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c) for c in segment)
    return translated + "/"


def file_globs_regex(globs: Sequence[str]) -> re.Pattern[str]:
    """One regular expression matching a path that any of the file globs (see DEFAULT_PATTERNS) matches."""
    alternatives = []
    for glob in globs:
        rooted = glob.startswith("/")
        body = "".join(_glob_segment(segment) for segment in glob.lstrip("/").split("/"))[:-1]
        alternatives.append(body if rooted else "(?:[^/]+/)*" + body)
    return re.compile("(?:" + "|".join(alternatives) + ")")


@dataclass(frozen=True)
class _CompiledGlobs:
    by_category: tuple[tuple[Category, re.Pattern[str]], ...]
    any_default: re.Pattern[str]  # every default glob at once: most paths match none, one match answers
    denied: re.Pattern[str]


@cache
def _globs() -> _CompiledGlobs:
    # Compiled when first needed, not on import: the route functions import this module too.
    return _CompiledGlobs(
        by_category=tuple((category, file_globs_regex(globs)) for category, globs in DEFAULT_PATTERNS.items()),
        any_default=file_globs_regex([glob for globs in DEFAULT_PATTERNS.values() for glob in globs]),
        denied=file_globs_regex(DENIED_NAMES),
    )


def patterns_problem(patterns: Sequence[str]) -> str | None:
    """None for a list a client may send as include_patterns or exclude_patterns, else what is wrong."""
    if len(patterns) > MAX_PATTERNS:
        return f"at most {MAX_PATTERNS} patterns"
    for pattern in patterns:
        if not pattern.strip() or len(pattern) > PATTERN_MAX_LENGTH:
            return f"each pattern must be 1 to {PATTERN_MAX_LENGTH} characters and not blank"
        if any(ord(character) < 0x20 or ord(character) == 0x7F for character in pattern):
            return "a pattern must not contain control characters"
    return None


def language_of(path: str) -> str | None:
    """The fence tag for a path's language, or None when the name says nothing about it."""
    name = path.rsplit("/", 1)[-1].lower()
    if name in _LANGUAGE_BY_NAME:
        return _LANGUAGE_BY_NAME[name]
    if name.startswith("dockerfile."):
        return "dockerfile"
    stem, dot, extension = name.rpartition(".")
    return _LANGUAGE_BY_EXTENSION.get(extension) if dot and stem else None


def is_denied_name(path: str) -> bool:
    """True for a file whose name holds credentials by convention: it is never kept."""
    return _globs().denied.fullmatch(path.lower()) is not None


def looks_binary(head: bytes) -> bool:
    """git's test: a NUL byte in the first 8,000 bytes makes a file binary."""
    return b"\0" in head[:BINARY_SNIFF_BYTES]


@dataclass(frozen=True)
class Selection:
    """What the policy says of a path before its content is read."""

    category: Category
    language: str | None
    reason: SkipReason | None


@dataclass(frozen=True)
class ContextPolicy:
    """The default patterns, narrowed or widened by a client's gitignore patterns."""

    include_patterns: tuple[str, ...] = ()
    exclude_patterns: tuple[str, ...] = ()

    @cached_property
    def _include(self) -> pathspec.GitIgnoreSpec:
        return _spec(self.include_patterns)

    @cached_property
    def _exclude(self) -> pathspec.GitIgnoreSpec:
        return _spec(self.exclude_patterns)

    def select(self, path: str) -> Selection:
        """The category, language and (for a path the policy will not keep whatever it holds) the reason."""
        category = default_category(path)
        if category is None and self.include_patterns and self._include.match_file(path):
            category = Category.UNKNOWN
        reason = None
        if is_denied_name(path):
            reason = SkipReason.DENIED_NAME
        elif category is None or (self.exclude_patterns and self._exclude.match_file(path)):
            reason = SkipReason.NOT_SELECTED
        return Selection(category or Category.UNKNOWN, language_of(path), reason)


def default_category(path: str) -> Category | None:
    """The category of the first default pattern that matches the path, None when none does."""
    lowered = path.lower()
    folders = lowered.split("/")[:-1]
    compiled = _globs()
    if compiled.any_default.fullmatch(lowered) is None or not VENDORED_FOLDERS.isdisjoint(folders):
        return None
    return next(category for category, globs in compiled.by_category if globs.fullmatch(lowered))


@dataclass(frozen=True)
class ImportBudget:
    """How much one import keeps at most; past it, files are listed as `budget` and the rest is kept."""

    max_files: int = 1000
    max_bytes: int = 16 * 1024 * 1024


@dataclass
class BudgetUse:
    """What the files kept so far have used of the budget."""

    budget: ImportBudget = field(default_factory=ImportBudget)
    files: int = 0
    bytes: int = 0

    def admits(self, size: int) -> bool:
        return self.files < self.budget.max_files and self.bytes + size <= self.budget.max_bytes

    def take(self, size: int) -> None:
        self.files += 1
        self.bytes += size


@dataclass(frozen=True)
class SecretFinding:
    """Where the scanner found a secret, and of which kind; the value itself is never recorded."""

    line: int
    kind: str


class SecretScanner(Protocol):
    """A maintained secret scanner, behind a port so the policy can be tested without it."""

    def findings(self, path: str, text: str) -> list[SecretFinding]:
        """Every secret found in one file's text; empty when there is none."""
        ...


class TokenCounter(Protocol):
    """A maintained tokenizer (OpenAI's `o200k_base`), behind a port like the scanner."""

    def count(self, text: str) -> int:
        """The text's tokens, every special token's text counted as ordinary text."""
        ...


@dataclass(frozen=True)
class ListedFile:
    """One path of the imported tree, kept or not, as the files listing shows it."""

    path: str
    size: int
    sha: str
    category: Category
    language: str | None
    skipped_reason: SkipReason | None
    secrets: tuple[SecretFinding, ...] = ()
    tokens: int | None = None  # a kept file's; None when it was not kept

    @property
    def included(self) -> bool:
        return self.skipped_reason is None


@dataclass(frozen=True)
class KeptFile:
    """A file the policy keeps: its text goes to the import's stored content."""

    path: str
    sha: str
    content: bytes
    tokens: int


@dataclass(frozen=True)
class Verdict:
    """What the policy decided about a file once its content was read."""

    reason: SkipReason | None
    secrets: tuple[SecretFinding, ...] = ()
    tokens: int | None = None  # counted only for a file it keeps


@dataclass(frozen=True)
class ContentJudges:
    """What reads a selected file's text: the secret scanner, and the tokenizer for what is kept."""

    scanner: SecretScanner
    tokens: TokenCounter


def judge_content(path: str, content: bytes, budget: BudgetUse, judges: ContentJudges) -> Verdict:
    """Steps 5 to 7 of the policy for a selected file of at most MAX_FILE_BYTES; takes from the budget."""
    text = _utf8_text(content)
    if text is None:
        return Verdict(SkipReason.BINARY)
    if not budget.admits(len(content)):
        return Verdict(SkipReason.BUDGET)
    secrets = tuple(judges.scanner.findings(path, text))
    if secrets:
        return Verdict(SkipReason.SECRET, secrets)
    budget.take(len(content))
    return Verdict(None, tokens=judges.tokens.count(text))


def _utf8_text(content: bytes) -> str | None:
    if looks_binary(content):
        return None
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return None
