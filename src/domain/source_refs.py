"""What a valid `source_ref` is: a branch, a tag or a full commit SHA, named by git's own rules.

git-check-ref-format(1): a ref name has no ASCII control character, space, `~`, `^`, `:`, `?`, `*`,
`[` or backslash; no `..` and no `@{`; is not `@`; does not begin or end with `/` nor hold `//`; does not
end with `.`; and none of its `/`-separated components begins with `.` or ends with `.lock`. A 40-hex
commit SHA passes these rules too. At most 255 characters, GitHub's limit for a ref name.
"""

from __future__ import annotations

from collections.abc import Callable

SOURCE_REF_MAX_LENGTH = 255
_FORBIDDEN = frozenset(" ~^:?*[\\")
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _bad_component(ref: str) -> bool:
    return any(part.startswith(".") or part.endswith(".lock") for part in ref.split("/"))


# git's rules beyond single characters, each with what a client is told.
_RULES: tuple[tuple[Callable[[str], bool], str], ...] = (
    (lambda ref: ref == "@" or "@{" in ref, "must not be '@' or contain '@{'"),
    (lambda ref: ".." in ref, "must not contain '..'"),
    (
        lambda ref: ref.startswith("/") or ref.endswith("/") or "//" in ref,
        "must not begin or end with '/' or contain '//'",
    ),
    (lambda ref: ref.endswith("."), "must not end with '.'"),
    (_bad_component, "no '/'-separated part may begin with '.' or end with '.lock'"),
)


def source_ref_problem(ref: str) -> str | None:
    """None for a ref git would accept, else one sentence saying what is wrong with it."""
    problem = _character_problem(ref)
    if problem is None:
        problem = next((message for breaks, message in _RULES if breaks(ref)), None)
    return problem


def _character_problem(ref: str) -> str | None:
    if not ref:
        return "must not be empty"
    if len(ref) > SOURCE_REF_MAX_LENGTH:
        return f"must be at most {SOURCE_REF_MAX_LENGTH} characters"
    for character in ref:
        control = ord(character) < 0x20 or 0x7F <= ord(character) <= 0x9F
        if control or character in _FORBIDDEN or character in _BIDI_CONTROLS:
            return "must not contain spaces, control characters, bidirectional overrides or any of ~ ^ : ? * [ \\"
    return None
