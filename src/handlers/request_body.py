"""The body's envelope: media type, size, encoding and JSON syntax, checked before its fields."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from domain.errors import FieldError, RequestProblem, RequestRejected

MAX_BODY_BYTES = 64 * 1024
JSON_MEDIA_TYPE = "application/json"

UNSUPPORTED_MEDIA_TYPE = RequestRejected(
    RequestProblem.UNSUPPORTED_MEDIA_TYPE, "Send the body as JSON, with Content-Type: application/json."
)
BODY_TOO_LARGE = RequestRejected(
    RequestProblem.BODY_TOO_LARGE, f"The request body is larger than {MAX_BODY_BYTES} bytes."
)


def normalized_media_type(content_type: str | None) -> str | None:
    """`Application/JSON; Charset="UTF-8"` as `application/json; charset=utf-8`, for exact comparison.

    RFC 9110 (8.3.1): type, subtype and parameter names are case-insensitive, whitespace may surround
    `;`, and a parameter value may be a quoted string: `charset="utf-8"` is `charset=utf-8`."""
    if content_type is None:
        return None
    parts = [_unquoted_parameter(part.strip().lower()) for part in content_type.split(";")]
    return "; ".join(part for part in parts if part)


def _unquoted_parameter(part: str) -> str:
    name, equals, value = part.partition("=")
    if equals and len(value) >= 2 and value[0] == value[-1] == '"' and "\\" not in value:
        return f"{name.strip()}={value[1:-1]}"
    return part


def is_json_media_type(content_type: str | None) -> bool:
    media_type = normalized_media_type(content_type)
    return media_type in {JSON_MEDIA_TYPE, f"{JSON_MEDIA_TYPE}; charset=utf-8"}


# What a non-JSON Content-Type is replaced with before Powertools sees it (handlers/create_import.py).
NOT_JSON_MEDIA_TYPE = "application/x-not-json"


def content_type_for_powertools(content_type: str) -> str:
    """The Content-Type as Powertools should see it: JSON types canonical, anything else opaque.

    Powertools parses form and multipart bodies itself, and some malformed ones (a multipart type
    without a boundary, non-Latin-1 text) raise errors that are not validation errors. This API takes
    JSON only, so another type is passed on as one Powertools refuses without parsing: a 415, after
    authentication like every other refusal.
    """
    media_type = normalized_media_type(content_type) or ""
    return media_type if is_json_media_type(media_type) else NOT_JSON_MEDIA_TYPE


def body_size(body: str | None, is_base64_encoded: bool) -> int:
    """The body's size in bytes as the client sent it, from the text alone (no decoding).

    For base64 it is the decoded size, computed from the encoded length, so that a body whose
    base64 is broken is still measured the same way as any other.
    """
    if not body:
        return 0
    if is_base64_encoded:
        return len(body.rstrip("=")) * 3 // 4
    return len(body.encode("utf-8", errors="surrogatepass"))


def raw_body(body: str | None, is_base64_encoded: bool) -> bytes | None:
    """The body's bytes as the client sent them; None when base64 encoding is broken."""
    if not body:
        return b""
    if not is_base64_encoded:
        return body.encode("utf-8", errors="surrogatepass")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return None


def envelope_problem(content_type: str | None, body: str | None, is_base64_encoded: bool) -> RequestRejected | None:
    """What is wrong with the body as a whole (media type, size), if anything. Cheap: no parsing."""
    if not is_json_media_type(content_type):
        return UNSUPPORTED_MEDIA_TYPE
    if body_size(body, is_base64_encoded) > MAX_BODY_BYTES:
        return BODY_TOO_LARGE
    return None


def unreadable_body_problem(
    content_type: str | None, body: str | None, is_base64_encoded: bool
) -> RequestRejected | None:
    """Like envelope_problem, and also a body that is not UTF-8 JSON. Only for refused requests."""
    problem = envelope_problem(content_type, body, is_base64_encoded)
    if problem is not None:
        return problem
    raw = raw_body(body, is_base64_encoded)
    if raw is None:
        return _invalid_body("The body is marked base64-encoded but is not valid base64.")
    try:
        strict_json_loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return _invalid_body("The body is not valid UTF-8.")
    except BodyNotAnObject as error:
        return _invalid_body(f"{error.msg}.")
    except json.JSONDecodeError as error:
        return _invalid_body(f"The body is not valid JSON: {error.msg}.")
    return None


class BodyNotAnObject(json.JSONDecodeError):
    """Valid JSON, but not the one JSON object every body must be."""


def strict_json_loads(text: str, max_bytes: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """json.loads that refuses what JSON parsers disagree on, and anything but one JSON object.

    Duplicate keys (which one wins differs between parsers), NaN and Infinity (not JSON), nesting
    deep enough to exhaust the parser and integers past Python's digit limit (a plain ValueError
    from int()) are all reported as JSON syntax errors, the one error Powertools turns into a
    validation error. A top-level array or scalar is refused here too: Powertools would otherwise
    validate an array's first element as the body and ignore the rest.
    """
    if len(text) > max_bytes:  # characters never outnumber the UTF-8 bytes they came from
        raise json.JSONDecodeError("the body is too large to parse", text[:0], 0)
    try:
        parsed = json.loads(text, object_pairs_hook=_object_without_duplicate_keys, parse_constant=_no_constants)
    except RecursionError:
        raise json.JSONDecodeError("the body is nested too deeply", text[:0], 0) from None
    except json.JSONDecodeError:
        raise
    except ValueError:  # int()'s limit on digits (sys.get_int_max_str_digits), not a JSONDecodeError
        raise json.JSONDecodeError("a number has too many digits", text[:0], 0) from None
    if not isinstance(parsed, dict):
        raise BodyNotAnObject(f"The body must be one JSON object, not {_json_kind(parsed)}", text[:0], 0)
    return parsed


def _json_kind(value: Any) -> str:
    kinds = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(value), "a number")


def _object_without_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise json.JSONDecodeError("a key appears twice in one object", "", 0)
        result[key] = value
    return result


def _no_constants(constant: str) -> Any:
    raise json.JSONDecodeError(f"{constant} is not a JSON value", "", 0)


def _invalid_body(message: str) -> RequestRejected:
    return RequestRejected(RequestProblem.INVALID_BODY, message, (FieldError(field="body", message=message),))
