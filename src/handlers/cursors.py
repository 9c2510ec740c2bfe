"""The list's `cursor`: where the previous page ended, bound to the listing it came from.

A cursor is base64url of a small JSON array: the listing it belongs to (user, project, filter, order),
the last id of its page, and a check: the first 16 hex digits of a SHA-256 over the rest. The check
is not a signature (it has no key): it catches a cursor damaged by accident (cut, mistyped, another
listing's), not one a client built on purpose. That needs no secret: a cursor only says where to start
in the path's own project, read after authentication, so no cursor can reach another project's
imports; and whatever it decodes to, an id outside 1..2^53-1 is refused like any damaged cursor.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

from domain.access import ProjectKey
from domain.errors import FieldError, RequestProblem, RequestRejected
from domain.models import MAX_SAFE_INTEGER, ListOrder, SourceType

_FORMAT = 1
_CHECK_CHARACTERS = 16
MAX_CURSOR_CHARACTERS = 512


def cursor_after(project: ProjectKey, source_type: SourceType | None, order: ListOrder, last_id: int) -> str:
    """The cursor of the page after the one that ended at `last_id`."""
    fields = [*_listing(project, source_type, order), last_id]
    text = json.dumps([*fields, _check(fields)], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def after_id(
    cursor: str, project: ProjectKey, source_type: SourceType | None, order: ListOrder
) -> int | RequestRejected:
    """The last id of the previous page; RequestRejected for a damaged cursor or another listing's."""
    fields = _decoded(cursor)
    if fields is None:
        return _rejected("is not a cursor this API issued, or it was changed; start again without one")
    if fields[:-1] != _listing(project, source_type, order):
        return _rejected("belongs to another listing (project, source_type or order); start again without one")
    last_id = fields[-1]
    return last_id if isinstance(last_id, int) else _rejected("is not a cursor this API issued")


def _listing(project: ProjectKey, source_type: SourceType | None, order: ListOrder) -> list[object]:
    return [_FORMAT, project.user_id, project.project_id, source_type.value if source_type else None, order.value]


def _check(fields: list[object]) -> str:
    return hashlib.sha256(json.dumps(fields, separators=(",", ":")).encode()).hexdigest()[:_CHECK_CHARACTERS]


def _decoded(cursor: str) -> list[object] | None:
    if len(cursor) > MAX_CURSOR_CHARACTERS or not cursor.isascii():
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        decoded = json.loads(text)
    except (binascii.Error, ValueError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return None
    if not isinstance(decoded, list) or len(decoded) != 7:
        return None
    *fields, check = decoded
    last_id = fields[-1]
    if check != _check(fields) or type(last_id) is not int or not 1 <= last_id <= MAX_SAFE_INTEGER:
        return None
    return fields


def _rejected(rule: str) -> RequestRejected:
    return RequestRejected(
        RequestProblem.INVALID_QUERY, f"The cursor {rule}.", (FieldError(field="cursor", message=rule),)
    )
