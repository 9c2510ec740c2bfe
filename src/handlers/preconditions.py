"""ETag, If-Match and If-None-Match (RFC 9110, 8.8.3, 13.1.1 and 13.1.2): over the import's stored
version, and over the content routes' own tags (a kept file's blob SHA, a digest's version)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import Response, content_types

from domain.errors import FieldError, RequestProblem, RequestRejected
from domain.manage_imports import Precondition
from domain.models import ImportResponse, StoredImport

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse, OpenAPIResponseHeader

IF_MATCH_HEADER = "if-match"
IF_NONE_MATCH_HEADER = "if-none-match"
# What a route that answers with a content ETag sends with it: revalidate each time, with If-None-Match.
REVALIDATE = {"Cache-Control": "private, no-cache"}
# How the routes that answer with an ETag describe it in the OpenAPI document.
ETAG_HEADER: dict[str, OpenAPIResponseHeader] = {
    "ETag": {"description": "The import's version; send it as If-Match.", "schema": {"type": "string"}}
}
# One entity-tag: optionally weak (W/), then a quoted string of visible ASCII without '"'.
_ENTITY_TAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e]*)"\s*')
_OUR_TAG = re.compile(r"v([1-9][0-9]{0,15})")
_RULE = 'must be "*" or a comma-separated list of ETags as this API sends them, e.g. "v2"'


def etag(version: int) -> str:
    """The strong ETag of an import at this version."""
    return f'"v{version}"'


def stored_import_response(stored: StoredImport, status_code: int) -> Response[Any]:
    """`{"import": {...}}` with the import's ETag: what a read, a change and a refresh answer."""
    return Response(
        status_code=status_code,
        content_type=content_types.APPLICATION_JSON,
        body=ImportResponse(import_=stored.import_).model_dump_json(),
        headers={"ETag": etag(stored.version)},
    )


def if_match(header_value: str | None) -> Precondition | RequestRejected | None:
    """The precondition If-Match states: None without the header, RequestRejected when malformed.

    Comparison is strong, as If-Match requires: a weak tag, or one this API never sent, matches nothing.
    """
    if header_value is None:
        return None
    if header_value.strip() == "*":
        return Precondition(versions=None)
    versions: set[int] = set()
    for member in header_value.split(","):
        tag = _ENTITY_TAG.fullmatch(member)
        if tag is None:
            return RequestRejected(
                RequestProblem.INVALID_PRECONDITION,
                f"The If-Match header {_RULE}.",
                (FieldError(field="If-Match", message=_RULE),),
            )
        ours = _OUR_TAG.fullmatch(tag.group(2))
        if ours is not None and not tag.group(1):
            versions.add(int(ours.group(1)))
    return Precondition(versions=frozenset(versions))


def known_entity_tags(header_value: str | None) -> frozenset[str] | None:
    """The tags If-None-Match names (weakly compared, as RFC 9110 says); None for `*`, any version."""
    if header_value is None:
        return frozenset()
    if header_value.strip() == "*":
        return None
    return frozenset(tag.group(2) for member in header_value.split(",") if (tag := _ENTITY_TAG.fullmatch(member)))


def revalidated_text_responses(what: str, media_type: str, etag_description: str) -> dict[int, OpenAPIResponse]:
    """The OpenAPI 200 and 304 of a route that answers text with a content ETag and REVALIDATE."""
    return {
        200: {
            "description": f"{what[0].upper()}{what[1:]}.",
            "headers": {
                "ETag": {"description": etag_description, "schema": {"type": "string"}},
                "Cache-Control": {
                    "description": "`private, no-cache`: revalidate with If-None-Match.",
                    "schema": {"type": "string"},
                },
            },
            "content": {media_type: {"schema": {"type": "string"}}},
        },
        304: {"description": f"If-None-Match named the ETag of {what}: it is unchanged; no body.", "content": {}},
    }
