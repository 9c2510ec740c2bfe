"""What a path id is: plain decimal digits, 1 to 2^53 - 1. Shared by every route and the benchmark."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field, TypeAdapter

from domain.models import MAX_SAFE_INTEGER


def plain_decimal_digits(value: object) -> object:
    # Refuses what int() would forgive: signs, spaces, underscores, non-ASCII digits.
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("must be written as plain decimal digits")
    return value


ResourceId = Annotated[int, BeforeValidator(plain_decimal_digits), Field(ge=1, le=MAX_SAFE_INTEGER)]
resource_id = TypeAdapter(ResourceId)
