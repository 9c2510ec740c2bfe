"""What a path id is: plain decimal digits, 1 to 2^53 - 1. Shared by every route and the benchmark."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field, TypeAdapter

from domain.models import MAX_SAFE_INTEGER


def plain_decimal_digits(value: object) -> object:
    # Refuses what int() would forgive: signs, spaces, underscores, non-ASCII digits, and leading
    # zeros, so that one resource has one URL (`/users/0001` is not another name of `/users/1`).
    if isinstance(value, str) and not (value.isascii() and value.isdigit() and not value.startswith("0")):
        raise ValueError("must be written as plain decimal digits without leading zeros")
    return value


ResourceId = Annotated[int, BeforeValidator(plain_decimal_digits), Field(ge=1, le=MAX_SAFE_INTEGER)]
resource_id = TypeAdapter(ResourceId)
