from __future__ import annotations

import base64
import json

import pytest

from domain.errors import RequestProblem
from handlers.request_body import (
    MAX_BODY_BYTES,
    envelope_problem,
    is_json_media_type,
    strict_json_loads,
    unreadable_body_problem,
)


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "Application/JSON;Charset=UTF-8"]
)
def test_json_media_types_are_accepted(content_type: str) -> None:
    assert is_json_media_type(content_type)


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=latin-1",
        "application/jsonp",
        "application/json-patch+json",
    ],
)
def test_other_media_types_are_unsupported(content_type: str | None) -> None:
    problem = envelope_problem(content_type, "{}", False)
    assert problem is not None
    assert problem.problem is RequestProblem.UNSUPPORTED_MEDIA_TYPE


def test_body_size_limit_counts_bytes_not_characters() -> None:
    at_limit = "é" * (MAX_BODY_BYTES // 2)
    assert envelope_problem("application/json", at_limit, False) is None
    problem = envelope_problem("application/json", at_limit + "x", False)
    assert problem is not None
    assert problem.problem is RequestProblem.BODY_TOO_LARGE


def test_base64_body_size_is_its_decoded_size() -> None:
    encoded = base64.b64encode(b" " * MAX_BODY_BYTES).decode()
    assert envelope_problem("application/json", encoded, True) is None


@pytest.mark.parametrize(
    ("body", "is_base64"),
    [
        ('{"a": 1, "a": 2}', False),
        ('{"a": NaN}', False),
        ('{"a": Infinity}', False),
        ("[" * 100_000, False),
        ("{", False),
        ("", False),
        (base64.b64encode(b'{"a": "\xff"}').decode(), True),
        ("not base64!", True),
    ],
)
def test_unreadable_bodies_are_invalid_bodies(body: str, is_base64: bool) -> None:
    problem = unreadable_body_problem("application/json", body, is_base64)
    assert problem is not None
    assert problem.problem in {RequestProblem.INVALID_BODY, RequestProblem.BODY_TOO_LARGE}


def test_strict_json_loads_reads_ordinary_json() -> None:
    assert strict_json_loads('{"a": [1, "b", null]}') == {"a": [1, "b", None]}


def test_deep_nesting_is_a_syntax_error_not_a_crash() -> None:
    with pytest.raises(json.JSONDecodeError):
        strict_json_loads("[" * 30_000 + "]" * 30_000)
