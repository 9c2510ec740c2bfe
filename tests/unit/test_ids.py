from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.ids import ID_EPOCH, RANDOM_BITS, import_id_at
from domain.models import MAX_SAFE_INTEGER


def test_ids_are_positive_and_safe_for_javascript_until_2094() -> None:
    last_millisecond = ID_EPOCH + timedelta(milliseconds=2**41 - 1)
    assert last_millisecond.year == 2094
    assert import_id_at(last_millisecond, 2**RANDOM_BITS - 1) == MAX_SAFE_INTEGER
    assert import_id_at(ID_EPOCH, 0) == 1


def test_later_creates_get_larger_ids_whatever_the_random_bits() -> None:
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    assert import_id_at(now, 2**RANDOM_BITS - 1) < import_id_at(now + timedelta(milliseconds=1), 0)


def test_the_random_bits_tell_apart_creates_in_one_millisecond() -> None:
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    assert len({import_id_at(now, bits) for bits in range(2**RANDOM_BITS)}) == 2**RANDOM_BITS


def test_clock_before_the_epoch_and_oversized_random_bits_are_refused() -> None:
    with pytest.raises(ValueError, match="epoch"):
        import_id_at(ID_EPOCH - timedelta(milliseconds=1), 0)
    with pytest.raises(ValueError, match="bits"):
        import_id_at(ID_EPOCH, 2**RANDOM_BITS)
