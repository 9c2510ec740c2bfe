"""Hostile and malformed input: never a 500, always the JSON error shape, nothing stored when refused."""

from __future__ import annotations

import base64
import json
import os
import string
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from local.apigw_event import http_api_event
from local.demo import DEMO_SESSION_TOKEN
from tests.api_client import GITHUB_IMPORT, IMPORTS_ROUTE, HttpResponse, imports_path, invoke, post_imports
from tests.integration.test_create_import_api import stored_imports

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

pytestmark = pytest.mark.usefixtures("demo_token")
# Random on a developer's machine, to keep exploring; the same examples on every CI run, so that CI
# answers for the change it tests rather than for a newly drawn input.
FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SESSION = f"neptun-session={DEMO_SESSION_TOKEN}"


def assert_well_formed(response: HttpResponse) -> None:
    assert response.status != 500, response.text
    body = response.json()
    if response.status == 201:
        assert set(body) == {"import"}
    else:
        assert body["statusCode"] == response.status
        assert isinstance(body["message"], str)
        assert body["message"]


def count_imports(dynamodb: DynamoDBClient) -> int:
    return len(stored_imports(dynamodb))


# --- a catalogue of known-hostile inputs --------------------------------------------------------

UNICODE_EDGES = ["a\x00b", "a\u200bb", "\u202eevil", "e\u0301", "\ufeffbom", "\ud7ff", "\U0001f600", "\u2028"]


@pytest.mark.parametrize("text", UNICODE_EDGES)
@pytest.mark.parametrize("source_type", ["github", "public_github_repository_url", "local_folder"])
def test_unicode_edges_in_source_paths_are_refused(text: str, source_type: str, dynamodb: DynamoDBClient) -> None:
    response = post_imports({"source_type": source_type, "source_path": f"user/{text}"})
    if source_type == "local_folder" and text.isprintable():
        assert response.status == 201  # a folder may have any printable name
    else:
        assert response.status == 400, response.text
        assert count_imports(dynamodb) == 0
    assert_well_formed(response)


@pytest.mark.parametrize("text", UNICODE_EDGES)
def test_unicode_edges_in_titles_are_stored_and_returned_exactly(text: str) -> None:
    response = post_imports(GITHUB_IMPORT | {"title": text, "description": text * 3})
    assert response.status == 201
    assert response.json()["import"]["title"] == text


HOSTILE_BODIES: dict[str, bytes] = {
    "over-the-limit": b'{"source_type": "github", "source_path": "a/b", "title": "' + b"x" * 70_000 + b'"}',
    "deep-nesting": b'{"title": ' + b"[" * 20_000 + b"]" * 20_000 + b"}",
    "invalid-utf8": b'{"source_type": "github", "source_path": "a/\xc3\x28"}',
    "duplicate-keys": b'{"source_type": "github", "source_path": "a/b", "source_path": "../../etc"}',
    "number-for-string": b'{"source_type": "github", "source_path": 12345}',
    "boolean-for-string": b'{"source_type": true, "source_path": "a/b"}',
    "null-required": b'{"source_type": null, "source_path": null}',
    "huge-number": b'{"source_type": "github", "source_path": "a/b", "title": 1e999999}',
    "array": b"[]",
    "lone-surrogate-escape": b'{"source_type": "github", "source_path": "a/\\ud800"}',
    "nul-escape": b'{"source_type": "local_folder", "source_path": "a\\u0000b"}',
    "dot-dot": b'{"source_type": "local_folder", "source_path": "src/../../etc/passwd"}',
    "absolute": b'{"source_type": "local_folder", "source_path": "/etc/passwd"}',
    "credentials-url": b'{"source_type": "public_github_repository_url", "source_path": "https://u:p@github.com/a/b"}',
    "port-url": b'{"source_type": "public_github_repository_url", "source_path": "https://github.com:8443/a/b"}',
    "other-host": b'{"source_type": "public_github_repository_url", "source_path": "https://github.io/a/b"}',
    "javascript-url": b'{"source_type": "public_github_repository_url", "source_path": "javascript:alert(1)"}',
    "doubled-hyphen": b'{"source_type": "github", "source_path": "a--b/repo"}',
    "edge-hyphen": b'{"source_type": "github", "source_path": "-ab/repo"}',
}


@pytest.mark.parametrize("name", HOSTILE_BODIES)
@pytest.mark.parametrize("as_base64", [False, True])
def test_hostile_bodies_are_refused_without_a_trace(name: str, as_base64: bool, dynamodb: DynamoDBClient) -> None:
    response = post_imports(raw_body=HOSTILE_BODIES[name], as_base64=as_base64)
    assert response.status in {400, 413}, response.text
    assert_well_formed(response)
    assert count_imports(dynamodb) == 0


@pytest.mark.parametrize("name", ["Content-Type", "CONTENT-TYPE", "content-Type"])
def test_header_name_case_variants_in_hand_made_events(name: str) -> None:
    event = http_api_event(
        IMPORTS_ROUTE,
        path_parameters={"user_id": "1", "project_id": "789"},
        method="POST",
        raw_path=imports_path(),
        headers=[("cookie", SESSION)],
        body=json.dumps(GITHUB_IMPORT).encode(),
    )
    event["headers"][name] = "application/json"  # API Gateway lower-cases; a hand-made event may not
    assert invoke(event).status == 201


@pytest.mark.parametrize(
    ("cookie_header", "status"),
    [
        (f"a=1; {SESSION}; b=2; c", 201),
        (f'{SESSION.split("=", maxsplit=1)[0]}="{DEMO_SESSION_TOKEN}"', 201),
        ("neptun-session=", 401),
        ("neptun-session", 401),
        (";;;", 401),
        (f"{SESSION}; neptun-session=other", 401),
        ("neptun-session=" + "x" * 5000, 401),
        ("neptun-session=\u00e9t\u00e9", 401),
    ],
)
def test_cookie_headers_of_every_shape(cookie_header: str, status: int) -> None:
    response = post_imports(GITHUB_IMPORT, cookie_header=cookie_header)
    assert response.status == status
    assert_well_formed(response)


# --- properties over generated input ------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
FIELDS = ["source_type", "source_path", "title", "description", "id", "neptun_user_id"]
bodies = st.dictionaries(
    st.sampled_from(FIELDS) | st.text(max_size=12),
    st.sampled_from(["github", "local_folder", "public_github_repository_url"]) | json_values,
    max_size=6,
)
path_ids = st.integers(min_value=-5, max_value=2**60).map(str) | st.text(string.printable, min_size=1, max_size=20)
content_types = st.sampled_from(
    ["application/json", "Application/JSON; charset=UTF-8", "text/plain", "application/json; charset=latin-1", ""]
)


@FUZZ
@given(body=bodies, content_type=content_types, with_session=st.booleans(), as_base64=st.booleans())
def test_generated_bodies_never_break_the_service(
    dynamodb: DynamoDBClient, body: dict[str, Any], content_type: str, with_session: bool, as_base64: bool
) -> None:
    before = count_imports(dynamodb)
    response = post_imports(
        body,
        headers={"content-type": content_type},
        token=DEMO_SESSION_TOKEN if with_session else None,
        as_base64=as_base64,
    )
    assert_well_formed(response)
    assert count_imports(dynamodb) == before + (1 if response.status == 201 else 0)


@FUZZ
@given(user_id=path_ids, project_id=path_ids)
def test_generated_paths_never_break_the_service(dynamodb: DynamoDBClient, user_id: str, project_id: str) -> None:
    path = imports_path(user_id, project_id)
    if IMPORTS_ROUTE.match("POST", path) is None:
        return  # API Gateway would not route it here at all
    before = count_imports(dynamodb)
    response = post_imports(GITHUB_IMPORT, path=path)
    assert_well_formed(response)
    assert count_imports(dynamodb) == before + (1 if response.status == 201 else 0)


@FUZZ
@given(raw=st.binary(max_size=300), as_base64=st.booleans())
def test_generated_raw_bytes_never_break_the_service(dynamodb: DynamoDBClient, raw: bytes, as_base64: bool) -> None:
    before = count_imports(dynamodb)
    assert_well_formed(post_imports(raw_body=raw, as_base64=as_base64))
    assert count_imports(dynamodb) == before


@FUZZ
@given(cookies=st.lists(st.text(max_size=40), max_size=5), key=st.none() | st.text(max_size=300))
def test_generated_cookies_and_keys_never_break_the_service(cookies: list[str], key: str | None) -> None:
    headers: dict[str, str | None] = {"idempotency-key": key}
    response = post_imports(GITHUB_IMPORT, cookie_header="; ".join(cookies), headers=headers)
    assert_well_formed(response)
    assert response.status in {201, 400, 401}


def test_a_base64_body_that_is_not_base64_is_400() -> None:
    event = http_api_event(
        IMPORTS_ROUTE,
        path_parameters={"user_id": "1", "project_id": "789"},
        method="POST",
        raw_path=imports_path(),
        headers=[("content-type", "application/json"), ("cookie", SESSION)],
        body=b"{}",
    )
    event["body"], event["isBase64Encoded"] = "%%% not base64 %%%", True
    assert invoke(event).status == 400
    event["body"] = base64.b64encode(json.dumps(GITHUB_IMPORT).encode()).decode()[:-3]  # broken padding
    assert invoke(event).status == 400


@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data", "multipart/form-data; boundary=", "application/x-www-form-urlencoded", "text/html"],
)
@pytest.mark.parametrize("raw", [b"source_type=github&source_path=a/b", "\u20ac=\u00fc".encode(), b"--x\r\n\r\n"])
def test_form_and_multipart_bodies_are_415_and_never_parsed(content_type: str, raw: bytes) -> None:
    # Found by schemathesis: Powertools' own multipart parser raised on a missing boundary (a 500).
    response = post_imports(raw_body=raw, headers={"content-type": content_type})
    assert response.status == 415
    assert_well_formed(response)
