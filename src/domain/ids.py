"""Import ids: positive, at most 2**53 - 1, roughly increasing with creation time.

An id is the milliseconds since ID_EPOCH shifted left by RANDOM_BITS, plus that many random bits.
41 bits of milliseconds last until 2094; 12 random bits make two creates in the same millisecond
collide once in 4096, and storage refuses a collision with a conditional write, so the use case
simply draws again. No counter item draws ids, so no hot key caps throughput (a project's creates do
share its item, which counts them for the per-project cap).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.models import MAX_SAFE_INTEGER

ID_EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
RANDOM_BITS = 12
_ONE_MILLISECOND = timedelta(milliseconds=1)


def import_id_at(moment: datetime, random_bits: int) -> int:
    """The id for an import created at `moment`, given RANDOM_BITS random bits."""
    if not 0 <= random_bits < 2**RANDOM_BITS:
        raise ValueError(f"random_bits must fit in {RANDOM_BITS} bits")
    milliseconds = (moment - ID_EPOCH) // _ONE_MILLISECOND
    if milliseconds < 0:
        raise ValueError("the clock is before the id epoch")
    import_id = (milliseconds << RANDOM_BITS) | random_bits
    if import_id > MAX_SAFE_INTEGER:
        raise ValueError("the id space is exhausted")
    # 0 only in the epoch's first millisecond with zero random bits; ids start at 1.
    return max(import_id, 1)
