"""DynamoDB's "not now" errors: botocore's standard retry mode has already retried them when they reach us."""

from __future__ import annotations

from botocore.exceptions import ClientError

THROTTLING_ERROR_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)


def is_throttling(error: BaseException | None) -> bool:
    return isinstance(error, ClientError) and error.response.get("Error", {}).get("Code") in THROTTLING_ERROR_CODES
