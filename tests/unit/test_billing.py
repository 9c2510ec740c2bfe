"""DynamoDB's documented billing rules as `make bench` applies them (bench/billing.py)."""

from __future__ import annotations

from typing import Any

import pytest

from bench.billing import Bill, bill, item_size, number_size, read_units, write_units


def no_item_before(_table: str, _item: Any) -> int:
    return 0


@pytest.mark.parametrize(
    ("item", "size"),
    [
        ({"PK": {"S": "USER#1"}}, 2 + 6),
        ({"名": {"S": "é"}}, 3 + 2),  # names and strings count UTF-8 bytes
        ({"n": {"N": "123"}}, 1 + 3),  # 1 byte per two significant digits, plus 1
        ({"n": {"N": "1000"}}, 1 + 2),  # trailing zeroes do not count
        ({"n": {"N": "-0.05"}}, 1 + 2),
        ({"b": {"B": b"\x00\x01\x02"}}, 1 + 3),
        ({"ok": {"BOOL": True}, "no": {"NULL": True}}, 2 + 1 + 2 + 1),
        ({"names": {"L": [{"S": "ab"}, {"S": "c"}]}}, 5 + 3 + (2 + 1) + (1 + 1)),
        ({"m": {"M": {"k": {"BOOL": False}}}}, 1 + 3 + (1 + 1 + 1)),
        ({"empty": {"L": []}}, 5 + 3),
        ({"tags": {"SS": ["a", "bc"]}}, 4 + 3),
    ],
)
def test_item_sizes_follow_dynamodbs_rules(item: dict[str, Any], size: int) -> None:
    assert item_size(item) == size


def test_numbers_take_one_byte_per_two_significant_digits_and_one_more() -> None:
    assert [number_size(text) for text in ("0", "7", "10", "12", "123456789012345678901")] == [2, 2, 2, 2, 12]


def test_read_units_are_per_4_kb_and_half_when_eventually_consistent() -> None:
    assert [read_units(size) for size in (0, 1, 4096, 4097)] == [1, 1, 1, 2]
    assert read_units(4097, consistent=False) == 1


def test_write_units_are_per_kb_and_at_least_one() -> None:
    assert [write_units(size) for size in (0, 1024, 1025)] == [1, 1, 2]


def test_a_batch_get_bills_each_key_apart_and_a_missing_item_as_one_unit() -> None:
    found = {"PK": {"S": "a"}, "blob": {"S": "x" * 5000}}
    params = {"RequestItems": {"T": {"Keys": [{"PK": {"S": "a"}}, {"PK": {"S": "gone"}}], "ConsistentRead": True}}}
    parsed = {"Responses": {"T": [found]}}
    billed = bill("BatchGetItem", params, parsed, no_item_before)
    assert billed == Bill(read_units=2 + 1, items_read=2, bytes_read=item_size(found))


def test_a_query_is_billed_over_its_items_and_paged_at_one_megabyte() -> None:
    items = [{"PK": {"S": "p"}, "blob": {"S": "x" * 300_000}} for _ in range(4)]
    params = {"TableName": "T", "ConsistentRead": True}
    billed = bill("Query", params, {"Items": items}, no_item_before)
    first_page, second_page = 3 * item_size(items[0]), item_size(items[0])
    assert billed.requests == 2  # DynamoDB answers the first three, then LastEvaluatedKey
    assert billed.read_units == -(-first_page // 4096) + -(-second_page // 4096)
    assert billed.items_read == 4


def test_a_filtered_query_is_not_billed_from_what_it_returned() -> None:
    with pytest.raises(NotImplementedError):
        bill("Query", {"TableName": "T", "FilterExpression": "a = :a"}, {"Items": []}, no_item_before)


def test_a_put_bills_the_larger_of_the_old_and_new_item() -> None:
    params = {"TableName": "T", "Item": {"PK": {"S": "a"}, "v": {"S": "x" * 100}}}
    assert bill("PutItem", params, {}, lambda *_: 3000) == Bill(write_units=3)
    assert bill("PutItem", params, {}, no_item_before) == Bill(write_units=1)


def test_a_transaction_bills_every_item_twice_and_condition_checks_as_reads() -> None:
    params = {
        "TransactItems": [
            {"ConditionCheck": {"TableName": "T", "Key": {"PK": {"S": "project"}}}},
            {"Put": {"TableName": "T", "Item": {"PK": {"S": "new"}, "v": {"S": "x" * 1500}}}},
            {"Delete": {"TableName": "T", "Key": {"PK": {"S": "gone"}}}},
        ]
    }
    assert bill("TransactWriteItems", params, {}, no_item_before) == Bill(read_units=2, write_units=2 * 2 + 2 * 1)


def test_an_update_bills_the_larger_of_the_item_before_and_after_it_in_a_transaction_twice() -> None:
    key = {"PK": {"S": "USER#1"}, "SK": {"S": "PROJECT#789"}}
    single = {"TableName": "T", "Key": key, "UpdateExpression": "ADD c :one"}
    assert bill("UpdateItem", single, {}, lambda *_: 900, lambda *_: 1100) == Bill(write_units=2)
    assert bill("UpdateItem", single, {}, lambda *_: 1100, lambda *_: 900) == Bill(write_units=2)
    transaction = {"TransactItems": [{"Update": single}]}
    assert bill("TransactWriteItems", transaction, {}, lambda *_: 100, lambda *_: 120) == Bill(write_units=2)
