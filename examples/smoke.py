"""Smoke test of a deployed stack: the httpx examples' create, list, get, update and delete, in order.

    make smoke API_URL=https://<api id>.execute-api.<region>.amazonaws.com SESSION=<cookie value> \
        USER_ID=<user> PROJECT_ID=<project>

The session must be the user's and the project must exist (the deploy pipeline keeps a smoke-test
user with one project). It creates one public_github_repository_url import (no GitHub installation
needed) and deletes it again, even when a step fails. Exits 1 naming the first step that failed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx

from domain.models import SourceType
from examples.create_import_httpx import create_project_import
from examples.delete_import_httpx import delete_project_import
from examples.get_import_httpx import get_project_import
from examples.list_imports_httpx import all_project_imports
from examples.update_import_httpx import update_project_import

Result = TypeVar("Result")
PUBLIC_URL = SourceType.PUBLIC_GITHUB_REPOSITORY_URL.value  # needs no GitHub installation


class SmokeFailed(Exception):
    """A step answered something other than what the API promises."""


async def step(name: str, call: Callable[[], Awaitable[Result]]) -> Result:
    started = time.perf_counter()
    try:
        result = await call()
    except httpx.HTTPError as error:
        raise SmokeFailed(f"{name}: {error}") from error
    print(f"ok  {name}  {1000 * (time.perf_counter() - started):.0f} ms")
    return result


async def smoke(user_id: int, project_id: int, session: str) -> None:
    marker = f"smoke {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {os.getpid()}"
    created = await step(
        "create",
        lambda: create_project_import(
            user_id, project_id, PUBLIC_URL, "https://github.com/octocat/Hello-World", session, title=marker
        ),
    )
    import_id = created.import_.id
    deleted = False
    try:
        listed = await step("list", lambda: all_project_imports(user_id, project_id, session, PUBLIC_URL))
        if import_id not in {entry.id for entry in listed}:
            raise SmokeFailed(f"list: import {import_id} is not listed")
        read, etag = await step("get", lambda: get_project_import(user_id, project_id, import_id, session))
        if read.import_.title != marker:
            raise SmokeFailed(f"get: title {read.import_.title!r}, expected {marker!r}")
        changed = f"{marker} (updated)"
        updated = await step(
            "update",
            lambda: update_project_import(user_id, project_id, import_id, session, title=changed, if_match=etag),
        )
        if updated.import_.title != changed:
            raise SmokeFailed(f"update: title {updated.import_.title!r}, expected {changed!r}")
        await step("delete", lambda: delete_project_import(user_id, project_id, import_id, session))
        deleted = True
        await _expect_gone(user_id, project_id, import_id, session)
    finally:
        if not deleted:
            await delete_project_import(user_id, project_id, import_id, session)
            print(f"cleaned up import {import_id}")


async def _expect_gone(user_id: int, project_id: int, import_id: int, session: str) -> None:
    try:
        await get_project_import(user_id, project_id, import_id, session)
    except httpx.HTTPStatusError as error:
        if error.response.status_code == httpx.codes.NOT_FOUND:
            print("ok  get after delete  404")
            return
        raise SmokeFailed(f"get after delete: {error}") from error
    raise SmokeFailed(f"get after delete: import {import_id} is still there")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--user-id", type=int, required=True)
    parser.add_argument("--project-id", type=int, required=True)
    arguments = parser.parse_args()
    session = os.environ.get("NEPTUN_SESSION", "")
    if not os.environ.get("NEPTUN_API") or not session:
        print("make smoke needs API_URL=<the stack's ImportsApiUrl> and SESSION=<cookie value>", file=sys.stderr)
        return 2
    try:
        asyncio.run(smoke(arguments.user_id, arguments.project_id, session))
    except SmokeFailed as failure:
        print(f"FAILED {failure}", file=sys.stderr)
        return 1
    print(f"smoke test passed against {os.environ['NEPTUN_API']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
