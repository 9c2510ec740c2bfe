"""What a call reads as the data grows, counted on moto with bench/growth.py and billed by DynamoDB's
rules (bench/billing.py): a list page costs the same for a project ten times the size, whatever the
filter matches. `make bench` prints the same rows on DynamoDB Local up to 10,000 imports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bench.growth import Growth, installation_growth, list_growth

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

SMALL, LARGE = 300, 3000  # both more than a page of each kind of import (one github import in each)


def by_call(rows: list[Growth], size: int) -> dict[str, Growth]:
    return {row.call: row for row in rows if row.size == size}


def test_a_list_page_reads_the_same_items_at_ten_times_the_project_size(
    dynamodb: DynamoDBClient, demo_token: str
) -> None:
    rows = list_growth(dynamodb, demo_token, sizes=(SMALL, LARGE))
    small, large = by_call(rows, SMALL), by_call(rows, LARGE)
    assert (
        set(small)
        == set(large)
        == {
            "list: a page",
            "list: a dense filter (about half)",
            "list: a filter with one match",
        }
    )
    for call, row in large.items():
        assert row.status == 200
        assert row.requests == 2, call  # BatchGetItem + one Query page
        assert (row.items_read, row.read_units) == (small[call].items_read, small[call].read_units), call
    unfiltered = large["list: a page"]
    assert unfiltered.items_read == 2 + 101  # the session and project, then the page and one more
    assert large["list: a filter with one match"].items_read == 2 + 1
    for filtered in ("list: a dense filter (about half)", "list: a filter with one match"):
        assert large[filtered].read_units <= 1.5 * unfiltered.read_units


def test_a_delivery_and_a_github_create_cost_the_same_on_an_installation_thirty_times_the_size(
    dynamodb: DynamoDBClient, demo_token: str
) -> None:
    rows = installation_growth(dynamodb, demo_token, sizes=(10, 300))
    small, large = by_call(rows, 10), by_call(rows, 300)
    assert set(small) == set(large) == {"webhook: one repository added", "create: a github import"}
    for call, row in large.items():
        assert row.status in {200, 201}, call
        assert row.requests == 2, call
        before = small[call]
        assert (row.items_read, row.read_units, row.write_units) == (
            before.items_read,
            before.read_units,
            before.write_units,
        ), call
        # Only the accounts' logins differ (growth-10, growth-300), and the project's count, which the
        # first round's creates wrote (`import_count`: 12 bytes of name, a few of number).
        counted = len("import_count") + 3
        assert abs(row.bytes_read - before.bytes_read) <= 8 + counted, "more than the logins and the count differ"
    assert large["create: a github import"].bytes_read <= 8 * 1024
