from __future__ import annotations

import pytest

from domain.access import session_token_hash
from handlers.session_cookie import session_token


@pytest.mark.parametrize(
    ("cookies", "expected"),
    [
        (["neptun-session=abc"], "abc"),
        (["theme=dark", "neptun-session=abc", "lang=en"], "abc"),
        (["theme=dark; neptun-session=abc; lang=en"], "abc"),
        ([" neptun-session = abc "], "abc"),
        (['neptun-session="abc"'], "abc"),
        (["neptun-session=abc", "neptun-session=abc"], "abc"),
        (["neptun-session=a=b=="], "a=b=="),
        ([], None),
        (["theme=dark"], None),
        (["neptun-session="], None),
        (['neptun-session=""'], None),
        (["neptun-session"], None),
        (["neptun-session=abc", "neptun-session=xyz"], None),
        (["Neptun-Session=abc"], None),
        (["neptun-sessionx=abc"], None),
    ],
)
def test_session_token_is_read_from_real_cookie_lists(cookies: list[str], expected: str | None) -> None:
    assert session_token(cookies) == expected


def test_token_hash_is_sha256_hex_and_never_the_token() -> None:
    token_hash = session_token_hash("abc")
    assert token_hash == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


@pytest.mark.parametrize("token", ["", "has space", "semi;colon", 'quote"d', "back\\slash", "ü", "x" * 4097])
def test_malformed_tokens_have_no_hash(token: str) -> None:
    assert session_token_hash(token) is None
