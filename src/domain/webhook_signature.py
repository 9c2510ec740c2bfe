"""GitHub's webhook signature: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`."""

from __future__ import annotations

import hashlib
import hmac

_PREFIX = "sha256="


def signature_of(secret: bytes, body: bytes) -> str:
    """The header value GitHub sends for this body under this secret."""
    return _PREFIX + hmac.new(secret, body, hashlib.sha256).hexdigest()


def signature_matches(secret: bytes, body: bytes, header: str | None) -> bool:
    """Whether `header` signs exactly these bytes with this secret; compared in constant time."""
    if not secret or header is None:
        return False
    return hmac.compare_digest(signature_of(secret, body).encode(), header.strip().encode("utf-8", "replace"))
