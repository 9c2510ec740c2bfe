"""`make bench`, section 6: requests, items read and capacity per call as the data grows.

A list page (unfiltered, a dense filter, a filter with one match) of projects of N imports, and a
webhook delivery adding one repository and a `github` create on installations of N repositories, each
billed by DynamoDB's rules (bench/billing.py). A call whose cost grows with N shows it as a number;
tests/integration/test_growth.py asserts the counts that must not grow.

Imports are written as the service writes them (an import and its copy under its source type), in
bulk with BatchWriteItem; installations through the webhook's own use case.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from bench.billing import Bill, ItemSizes
from bench.events import ROOT, route_event, signed_delivery
from bench.requests_per_outcome import RequestRecorder, side_client
from local.lambda_context import LocalLambdaContext

LIST_SIZES = (100, 1_000, 10_000)
INSTALLATION_SIZES = (10, 1_000, 10_000)
TIMED_ROUNDS = 5
_PAGE = 100  # the default page size
_BATCH_WRITE_ITEMS = 25


@dataclass(frozen=True)
class Growth:
    call: str
    size: int
    status: int
    requests: int
    items_read: int
    bytes_read: int
    read_units: float
    write_units: float
    milliseconds: float  # median of TIMED_ROUNDS (the rest of the row is from the first)


def project_of_imports(client: Any, size: int) -> int:
    """A project of `size` imports of user 1: one `github`, the rest `local_folder` and URL imports in turn."""
    from domain.models import ProjectImport, SourceType  # noqa: PLC0415
    from dynamodb_store.store import import_item, source_type_copy  # noqa: PLC0415
    from local import records  # noqa: PLC0415

    project_id = 100_000 + size
    records.put_project(client, 1, project_id)
    now = datetime.now(UTC).replace(microsecond=0)
    items = []
    for number in range(size):
        source_type, path = SourceType.GITHUB, "username/repository"
        if number:
            odd = number % 2
            source_type = SourceType.LOCAL_FOLDER if odd else SourceType.PUBLIC_GITHUB_REPOSITORY_URL
            path = "src/app" if odd else "https://github.com/username/repository"
        stored = ProjectImport(
            id=number + 1,
            source_type=source_type,
            source_path=path,
            title=f"Import {number}",
            description=None,
            created_at=now,
            updated_at=now,
            neptun_user_id=1,
            project_id=project_id,
        )
        items += [import_item(stored, 1), source_type_copy(stored, 1)]
    for start in range(0, len(items), _BATCH_WRITE_ITEMS):
        batch = [{"PutRequest": {"Item": item}} for item in items[start : start + _BATCH_WRITE_ITEMS]]
        _write_batch(client, {records.DATA_TABLE: batch})
    return project_id


def _write_batch(client: Any, request: dict[str, Any]) -> None:
    while request:
        request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}


def list_growth(client: Any, token: str, sizes: tuple[int, ...] = LIST_SIZES) -> list[Growth]:
    rows = []
    for size in sizes:
        imports = f"/api/users/1/projects/{project_of_imports(client, size)}/resources/imports"
        for call, query in [
            ("list: a page", f"limit={_PAGE}"),
            ("list: a dense filter (about half)", f"limit={_PAGE}&source_type=local_folder"),
            ("list: a filter with one match", f"limit={_PAGE}&source_type=github"),
        ]:
            events = [route_event("GET", imports, token, query=query) for _ in range(TIMED_ROUNDS)]
            rows.append(_measured(call, size, client, events))
    return rows


def installation_growth(client: Any, token: str, sizes: tuple[int, ...] = INSTALLATION_SIZES) -> list[Growth]:
    from local import records  # noqa: PLC0415

    rows = []
    for size in sizes:
        account = f"growth-{size}"
        names = [f"repository-{number}" for number in range(size)]
        installation_id = records.put_installation(client, 1, account, repositories=names)
        added = [_repository_added(installation_id, account, f"growth-{size}-{n}") for n in range(TIMED_ROUNDS)]
        rows.append(_measured("webhook: one repository added", size, client, added))
        create = {"source_type": "github", "source_path": f"{account}/repository-0"}
        creates = [
            route_event("POST", "/api/users/1/projects/789/resources/imports", token, body=create)
        ] * TIMED_ROUNDS
        rows.append(_measured("create: a github import", size, client, creates))
    return rows


def _repository_added(installation_id: int, account: str, delivery_id: str) -> dict[str, Any]:
    payload = json.loads((ROOT / "events" / "github" / "installation_repositories.added.json").read_bytes())
    payload["installation"] |= {"id": installation_id, "repository_selection": "selected"}
    payload["installation"]["account"]["login"] = account
    payload["repository_selection"] = "selected"
    payload["repositories_added"] = [{"id": 1, "name": delivery_id, "full_name": f"{account}/{delivery_id}"}]
    payload["repositories_removed"] = []
    return signed_delivery("installation_repositories", payload, delivery_id)


def _measured(call: str, size: int, client: Any, events: list[dict[str, Any]]) -> Growth:
    """The calls' median time; requests, items and capacity of the first (the others' are the same)."""
    from handlers import create_import, github_webhook  # noqa: PLC0415
    from local.server import lambda_handler_of  # noqa: PLC0415
    from local.template import http_api_routes  # noqa: PLC0415

    routes = {route.route_key: route for route in http_api_routes()}
    sizes = ItemSizes(side_client(client))
    first: tuple[int, Bill] = (0, Bill(requests=0))
    times = []
    for number, request in enumerate(events):
        recorder = RequestRecorder(sizes)
        handler = lambda_handler_of(routes[request["routeKey"]])
        with recorder.attached_to((create_import.dynamodb, github_webhook.dynamodb)):
            started = time.perf_counter()
            response = handler(request, LocalLambdaContext())
            times.append(1000 * (time.perf_counter() - started))
        if number == 0:
            first = (response["statusCode"], sum((call.billed for call in recorder.capacity), Bill(requests=0)))
    status, billed = first
    return Growth(
        call,
        size,
        status,
        billed.requests,
        billed.items_read,
        billed.bytes_read,
        billed.read_units,
        billed.write_units,
        statistics.median(times),
    )


def measure() -> list[Growth]:
    """In process, against the DynamoDB the handlers were configured for (DYNAMODB_ENDPOINT_URL)."""
    from handlers import create_import  # noqa: PLC0415
    from local.demo import seed_demo_data  # noqa: PLC0415
    from local.tables import create_tables  # noqa: PLC0415

    client = create_import.dynamodb
    with contextlib.redirect_stdout(io.StringIO()):
        create_tables(client)
        token = seed_demo_data(client)
        return list_growth(client, token) + installation_growth(client, token)


def main() -> None:
    if not os.environ.get("DYNAMODB_ENDPOINT_URL"):
        sys.exit("bench.growth runs against DynamoDB Local: set DYNAMODB_ENDPOINT_URL (make bench does)")
    for row in measure():
        print("growth", json.dumps(asdict(row)))


if __name__ == "__main__":
    main()
