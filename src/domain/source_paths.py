"""What a valid `source_path` is for each `source_type`.

Each rule returns None for a valid path, or one sentence saying what is wrong with it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# GitHub's own naming rules: an account login is 1-39 letters, digits or single hyphens, never at
# either end; a repository name is 1-100 letters, digits, '.', '_' or '-', and never "." or "..".
_GITHUB_OWNER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")
_GITHUB_REPO = re.compile(r"[A-Za-z0-9._-]{1,100}")
LOCAL_FOLDER_MAX_LENGTH = 1024
# Matched against the exact text rather than parsed by a URL library, which would lowercase the scheme
# and forgive whitespace: credentials, ports, queries, fragments and extra path segments all fail here.
# The name rules then refuse any '?', '#', '@', ':' or whitespace left in the two segments.
_PUBLIC_REPOSITORY_URL = re.compile(r"https://github\.com/(?P<owner>[^/]+)/(?P<repo>[^/]+)")


@dataclass(frozen=True)
class GithubRepository:
    """A repository named the way GitHub names it: `owner/repo`."""

    owner: str
    name: str

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


def is_github_login(text: str) -> bool:
    """Whether `text` is an account login by GitHub's rules (ASCII only: no Kelvin sign for a K)."""
    return _GITHUB_OWNER.fullmatch(text) is not None


def is_github_repository_name(text: str) -> bool:
    return _GITHUB_REPO.fullmatch(text) is not None and text not in {".", ".."}


def parse_github_repository(owner_and_repo: str) -> GithubRepository | None:
    """Return the repository that `owner/repo` names, or None when it breaks GitHub's naming rules."""
    owner, slash, name = owner_and_repo.partition("/")
    if not slash or not is_github_login(owner) or not is_github_repository_name(name):
        return None
    return GithubRepository(owner=owner, name=name)


def github_repository_problem(source_path: str) -> str | None:
    if parse_github_repository(source_path) is None:
        return (
            "must be 'owner/repo' as GitHub names them: owner of 1-39 letters, digits or single inner "
            "hyphens; repo of 1-100 letters, digits, '.', '_' or '-', not '.' or '..'"
        )
    return None


def parse_public_repository_url(source_path: str) -> GithubRepository | None:
    """The repository `https://github.com/owner/repo[.git]` names, or None when it names none."""
    match = _PUBLIC_REPOSITORY_URL.fullmatch(source_path)
    if match is None:
        return None
    return parse_github_repository(f"{match['owner']}/{match['repo'].removesuffix('.git')}")


def public_repository_url_problem(source_path: str) -> str | None:
    if parse_public_repository_url(source_path) is None:
        return "must be a public GitHub repository URL: https://github.com/owner/repo, optionally ending in .git"
    return None


# Printable to Python, yet drawn as nothing: Hangul fillers and the blank Braille pattern.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def local_folder_problem(source_path: str) -> str | None:
    if len(source_path) > LOCAL_FOLDER_MAX_LENGTH:
        return f"must be at most {LOCAL_FOLDER_MAX_LENGTH} characters"
    problem = _folder_path_problem(source_path)
    # Whatever reads the path later may apply Unicode compatibility normalization (NFKC), which turns
    # fullwidth and leader dots and slashes into '.', '..' and '/': the rules hold for both forms.
    normalized = unicodedata.normalize("NFKC", source_path)
    if problem is None and normalized != source_path:
        problem = _folder_path_problem(normalized)
        if problem is not None:
            return f"{problem}, also once compatibility characters are normalized (Unicode NFKC)"
    return problem


def _folder_path_problem(source_path: str) -> str | None:
    if not all(_is_visible(character) for character in source_path):
        # Control, format (zero-width, bidi overrides), separator, unassigned and blank characters:
        # invisible or misleading in a path, and a bidi override can make a path read as another.
        return "must not contain NUL, control or invisible characters"
    return _relative_path_problem(source_path)


def _is_visible(character: str) -> bool:
    return character == " " or (character.isprintable() and character not in _BLANK_LETTERS)


# What another system (a shell, Windows, a URL decoder) would read as a parent, a root or a variable.
_DRIVE_LETTER = re.compile(r"[A-Za-z]:")
_PERCENT_ENCODED = re.compile(r"%[0-9A-Fa-f]{2}")
_EXPANDED_PREFIXES = ("~", "$", "%")


def _relative_path_problem(source_path: str) -> str | None:
    segments = source_path.split("/")
    rules = [
        (source_path.startswith("/"), "must be a relative path, not an absolute one"),
        (_DRIVE_LETTER.match(source_path) is not None, "must be a relative path, not one on a drive ('C:')"),
        ("\\" in source_path, "must separate segments with '/', never '\\'"),
        (source_path.startswith(_EXPANDED_PREFIXES), "must not start with '~', '$' or '%', which shells expand"),
        (
            _PERCENT_ENCODED.search(source_path) is not None,
            "must not contain percent-encoded characters (%xx): write the characters themselves",
        ),
        (any(map(_is_parent_segment, segments)), "must not contain '..' segments (also with spaces around them)"),
        ("" in segments, "must not contain empty segments (a leading, trailing or doubled '/')"),
    ]
    return next((problem for broken, problem in rules if broken), None)


def _is_parent_segment(segment: str) -> bool:
    # Windows drops trailing dots and spaces from a name, so `.. ` and `...` reach the parent there.
    return segment != "." and segment.count(".") >= 2 and not segment.strip(". ")
