"""Finding the `neptun-session` token in a request's cookies."""

from __future__ import annotations

from collections.abc import Iterable

SESSION_COOKIE = "neptun-session"


def session_token(cookies: Iterable[str]) -> str | None:
    """The session token the cookies carry, or None when there is none or it is ambiguous.

    `cookies` are what HTTP API payload 2.0 puts in `event["cookies"]` (one `name=value` each); a raw
    Cookie header split on ';' reads the same. Spaces around pairs and RFC 6265 double quotes around
    a value are allowed. Two different `neptun-session` values are refused: guessing which one the
    browser meant could authenticate a request as the wrong user.
    """
    values = set()
    for entry in cookies:
        for pair in entry.split(";"):
            name, equals, value = pair.partition("=")
            if equals and name.strip() == SESSION_COOKIE:
                values.add(_unquoted(value.strip()))
    if len(values) != 1:
        return None
    return values.pop() or None


def _unquoted(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value
