"""The `Idempotency-Key` request header (IETF draft): parsed here, honoured by the import's own write.

A create that carries the header is stored at most once per user and key for 24 hours: the key goes
into the import's write transaction as a request key claim (dynamodb_store/store.py), so a retry with
the same body replays the first 201 and the same key with another body is 422, however the requests
race. Keys are scoped per user, so one user's key never replays another's.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from domain.errors import FieldError, RequestProblem, RequestRejected

if TYPE_CHECKING:
    pass

IDEMPOTENCY_KEY_HEADER = "idempotency-key"
# The draft makes the value a structured-field string ("..."); a bare token is accepted too.
_KEY = re.compile(r'"(?P<quoted>[\x21\x23-\x7e]{1,255})"|(?P<bare>[\x21\x23-\x7e]{1,255})')


def idempotency_key(header_value: str | None) -> str | RequestRejected | None:
    """The key the header carries, None without the header, RequestRejected for a malformed one."""
    if header_value is None:
        return None
    match = _KEY.fullmatch(header_value.strip())
    if match is None:
        rule = "must be 1 to 255 visible ASCII characters, optionally in double quotes"
        return RequestRejected(
            RequestProblem.INVALID_IDEMPOTENCY_KEY,
            f"The Idempotency-Key header {rule}.",
            (FieldError(field="Idempotency-Key", message=rule),),
        )
    return match["quoted"] or match["bare"]
