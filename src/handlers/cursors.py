"""The lists' `cursor`: where the previous page ended, bound to the listing it came from.

A cursor is base64url of a small JSON array: the listing it belongs to (user, project, filter, order),
the last id of its page, and a check: the first 16 hex digits of a SHA-256 over the rest. The check
is not a signature (it has no key): it catches a cursor damaged by accident (cut, mistyped, another
listing's), not one a client built on purpose. That needs no secret: a cursor only says where to start
in the path's own project, read after authentication, so no cursor can reach another project's
imports; and whatever it decodes to, an id outside 1..2^53-1 is refused like any damaged cursor.

A files listing's cursor is made the same way: the import, the listing (its run's content), and how
many rows the pages before it held.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

from domain.access import ImportKey, ProjectKey
from domain.errors import FieldError, RequestProblem, RequestRejected
from domain.models import MAX_SAFE_INTEGER, FilesPosition, ListOrder, SourceType

_FORMAT = 1
_FILES_FORMAT = 2
_CHECK_CHARACTERS = 16
MAX_CURSOR_CHARACTERS = 512


def cursor_after(project: ProjectKey, source_type: SourceType | None, order: ListOrder, last_id: int) -> str:
    """The cursor of the page after the one that ended at `last_id`."""
    return _encoded([*_listing(project, source_type, order), last_id])


def after_id(
    cursor: str, project: ProjectKey, source_type: SourceType | None, order: ListOrder
) -> int | RequestRejected:
    """The last id of the previous page; RequestRejected for a damaged cursor or another listing's."""
    fields = _decoded(cursor, 7)
    if fields is None:
        return _rejected(_DAMAGED)
    if fields[:-1] != _listing(project, source_type, order):
        return _rejected("belongs to another listing (project, source_type or order); start again without one")
    last_id = fields[-1]
    return last_id if isinstance(last_id, int) else _rejected("is not a cursor this API issued")


def files_cursor(key: ImportKey, position: FilesPosition) -> str:
    """The cursor of the files page that starts at `position`."""
    return _encoded([*_files_of(key), position.listing, position.offset])


def files_position(cursor: str, key: ImportKey) -> FilesPosition | RequestRejected:
    """Where the page starts; RequestRejected for a damaged cursor or another import's."""
    fields = _decoded(cursor, 7)
    if fields is None:
        return _rejected(_DAMAGED)
    if fields[:-2] != _files_of(key):
        return _rejected("belongs to another import's files; start again without one")
    listing, offset = fields[-2:]
    if not isinstance(listing, str) or not isinstance(offset, int):
        return _rejected(_DAMAGED)
    return FilesPosition(listing, offset)


_DAMAGED = "is not a cursor this API issued, or it was changed; start again without one"


def _files_of(key: ImportKey) -> list[object]:
    return [_FILES_FORMAT, key.project.user_id, key.project.project_id, key.import_id]


def _encoded(fields: list[object]) -> str:
    text = json.dumps([*fields, _check(fields)], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _listing(project: ProjectKey, source_type: SourceType | None, order: ListOrder) -> list[object]:
    return [_FORMAT, project.user_id, project.project_id, source_type.value if source_type else None, order.value]


def _check(fields: list[object]) -> str:
    return hashlib.sha256(json.dumps(fields, separators=(",", ":")).encode()).hexdigest()[:_CHECK_CHARACTERS]


def _decoded(cursor: str, length: int) -> list[object] | None:
    """The cursor's fields (its last one an integer in 1..2^53-1), if it is whole and `length` long."""
    if len(cursor) > MAX_CURSOR_CHARACTERS or not cursor.isascii():
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        decoded = json.loads(text)
    except (binascii.Error, ValueError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return None
    if not isinstance(decoded, list) or len(decoded) != length:
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
