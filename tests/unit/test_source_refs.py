"""`source_ref` by git's ref-name rules (git-check-ref-format(1)), as the request models apply them."""

from __future__ import annotations

import pytest

from domain.source_refs import SOURCE_REF_MAX_LENGTH, source_ref_problem

VALID = [
    "main",
    "feature/login-form",
    "v1.2.3",
    "release-2026.12",
    "2c9a6f8d0e6b4c1f9a7e3d5b8c0a1e2f3d4c5b6a",  # a full commit SHA
    "users/jörg/wip",  # git allows non-ASCII
    "a" * SOURCE_REF_MAX_LENGTH,
    "@x",
    "x@y",
]
INVALID = [
    "",
    "a" * (SOURCE_REF_MAX_LENGTH + 1),
    "has space",
    "tab\there",
    "nul\x00",
    "del\x7f",
    "tilde~1",
    "caret^",
    "colon:",
    "question?",
    "star*",
    "bracket[",
    "back\\slash",
    "@",
    "at@{1}",
    "dot..dot",
    "/leading",
    "trailing/",
    "double//slash",
    "ends.",
    ".hidden",
    "dir/.hidden",
    "branch.lock",
    "dir.lock/x",
    "\u202eevil",
]


@pytest.mark.parametrize("ref", VALID)
def test_refs_git_accepts_are_accepted(ref: str) -> None:
    assert source_ref_problem(ref) is None


@pytest.mark.parametrize("ref", INVALID)
def test_refs_git_refuses_are_refused_with_a_reason(ref: str) -> None:
    problem = source_ref_problem(ref)
    assert problem is not None
    assert problem.startswith(("must", "no "))
