"""Why an import run failed: the codes a client sees in an import's `error`, each defined here once.

A new code is a change of the API's contract (docs/http-contract.md lists them all).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum


class FailureCode(StrEnum):
    NOT_FOUND_OR_NO_ACCESS = "not_found_or_no_access"
    EMPTY_REPOSITORY = "empty_repository"
    UNAVAILABLE_FOR_LEGAL_REASONS = "unavailable_for_legal_reasons"
    TOO_LARGE = "too_large"
    UNSAFE_ARCHIVE = "unsafe_archive"
    RATE_LIMITED = "rate_limited"
    SOURCE_UNAVAILABLE = "source_unavailable"
    INSTALLATION_MISSING = "installation_missing"
    INTERNAL = "internal"


class ImportFailed(Exception):
    """A run ends without content, for a reason a client can act on; `str(error)` says it in a sentence."""

    def __init__(self, code: FailureCode, message: str, *, retry_at: datetime | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.retry_at = retry_at
