"""Valid and invalid source_path examples for each source_type."""

from __future__ import annotations

import pytest

from domain.source_paths import (
    github_repository_problem,
    local_folder_problem,
    parse_github_repository,
    public_repository_url_problem,
)

VALID_GITHUB = [
    "username/repository",
    "a/b",
    "A-1/x.y_z-0",
    "a" * 39 + "/" + "r" * 100,
    "octo-cat/.github",
    "user/..repo",
]
INVALID_GITHUB = [
    "",
    "username",
    "username/",
    "/repository",
    "-user/repo",
    "user-/repo",
    "us--er/repo",
    "a" * 40 + "/repo",
    "user/" + "r" * 101,
    "user/.",
    "user/..",
    "user/repo/extra",
    "user/re po",
    "us er/repo",
    "user/repo ",
    "user_name/repo",
    "user/rep\u00f6",
    "user/repo\x00",
    "https://github.com/user/repo",
]


@pytest.mark.parametrize("source_path", VALID_GITHUB)
def test_github_accepts_names_github_allows(source_path: str) -> None:
    assert github_repository_problem(source_path) is None


@pytest.mark.parametrize("source_path", INVALID_GITHUB)
def test_github_refuses_names_github_does_not_allow(source_path: str) -> None:
    assert github_repository_problem(source_path) is not None


def test_github_repository_splits_owner_and_name() -> None:
    repository = parse_github_repository("Octo-Cat/Hello.World")
    assert repository is not None
    assert (repository.owner, repository.name, repository.full_name) == (
        "Octo-Cat",
        "Hello.World",
        "Octo-Cat/Hello.World",
    )


VALID_URLS = [
    "https://github.com/username/repository",
    "https://github.com/username/repository.git",
    "https://github.com/a/b",
    "https://github.com/octo-cat/hello.world.git",
]
INVALID_URLS = [
    "http://github.com/username/repository",
    "HTTPS://github.com/username/repository",
    "https://GitHub.com/username/repository",
    "https://gitlab.com/username/repository",
    "https://github.com.evil.example/username/repository",
    "https://user:secret@github.com/username/repository",
    "https://token@github.com/username/repository",
    "https://github.com:443/username/repository",
    "https://github.com/username/repository?tab=readme",
    "https://github.com/username/repository#readme",
    "https://github.com/username/repository/",
    "https://github.com/username/repository/tree/main",
    "https://github.com/username",
    "https://github.com/-user/repository",
    "https://github.com/us--er/repository",
    "https://github.com/user/..",
    "https://github.com/user/.git",
    " https://github.com/username/repository",
    "https://github.com/username/repository\n",
    "javascript:alert(1)//github.com/a/b",
    "git@github.com:username/repository.git",
    "github.com/username/repository",
    "username/repository",
]


@pytest.mark.parametrize("source_path", VALID_URLS)
def test_public_url_accepts_plain_github_repository_urls(source_path: str) -> None:
    assert public_repository_url_problem(source_path) is None


@pytest.mark.parametrize("source_path", INVALID_URLS)
def test_public_url_refuses_anything_else(source_path: str) -> None:
    assert public_repository_url_problem(source_path) is not None


VALID_FOLDERS = ["src", "src/app", "a/b/c.d", "./src", ".hidden/x", "with space/and-dash", "ünïcode/路径", "x" * 1024]
INVALID_FOLDERS = [
    "/etc",
    "/",
    "../secrets",
    "src/../../etc",
    "src/..",
    "..",
    "src//app",
    "src/",
    "a\x00b",
    "a\nb",
    "a\tb",
    "a\x7fb",
    "a\x85b",
    "a\u200bb",
    "\u202eevil/txt.exe",
    "a\u2028b",
    "x" * 1025,
]


@pytest.mark.parametrize("source_path", VALID_FOLDERS)
def test_local_folder_accepts_relative_posix_paths(source_path: str) -> None:
    assert local_folder_problem(source_path) is None


@pytest.mark.parametrize("source_path", INVALID_FOLDERS)
def test_local_folder_refuses_escapes_and_junk(source_path: str) -> None:
    assert local_folder_problem(source_path) is not None


@pytest.mark.parametrize("source_path", ["/etc", "/", "/home/user/project", "//server/share"])
def test_an_absolute_folder_is_refused_as_absolute(source_path: str) -> None:
    assert local_folder_problem(source_path) == "must be a relative path, not an absolute one"


NFKC_LOOK_ALIKES = {
    "a/\uff0e\uff0e/etc": "must not contain '..' segments",  # FULLWIDTH FULL STOP
    "a/\u2024\u2024/etc": "must not contain '..' segments",  # ONE DOT LEADER
    "\u2025/etc": "must not contain '..' segments",  # TWO DOT LEADER
    "\ufe52\ufe52/x": "must not contain '..' segments",  # SMALL FULL STOP
    "\uff0fetc": "must be a relative path, not an absolute one",  # FULLWIDTH SOLIDUS
    "a\uff0f\uff0fb": "must not contain empty segments",
    "src\uff0f": "must not contain empty segments",
}


@pytest.mark.parametrize(("source_path", "rule"), NFKC_LOOK_ALIKES.items())
def test_folders_that_traverse_once_normalized_are_refused(source_path: str, rule: str) -> None:
    problem = local_folder_problem(source_path)
    assert problem is not None
    assert problem.startswith(rule)
    assert "NFKC" in problem


@pytest.mark.parametrize("source_path", ["\u3164", "src/\u3164", "\u115f\u1160", "\uffa0/x", "a/\u2800"])
def test_blank_letters_are_invisible_characters(source_path: str) -> None:
    assert local_folder_problem(source_path) == "must not contain NUL, control or invisible characters"


@pytest.mark.parametrize("source_path", ["caf\u00e9/x", "\ufb01les", "\u2460-notes", "\uff21\uff22", "x\u00b2"])
def test_compatibility_characters_that_stay_harmless_are_accepted(source_path: str) -> None:
    assert local_folder_problem(source_path) is None
