"""The list document's Python (httpx) example, runnable against `make run` or a deployed stack.

NEPTUN_SESSION=<cookie value> python examples/list_imports_httpx.py [source_type]
NEPTUN_API (default http://127.0.0.1:3000) is the base URL. Prints every page's imports as one list,
following next_cursor.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import datetime

import httpx
from pydantic import BaseModel

BASE_URL = os.environ.get("NEPTUN_API", "http://127.0.0.1:3000")


class ProjectImport(BaseModel):
    id: int
    source_type: str
    source_path: str
    title: str | None
    description: str | None
    created_at: datetime
    updated_at: datetime
    neptun_user_id: int
    project_id: int


class ImportsPage(BaseModel):
    imports: list[ProjectImport]
    next_cursor: str | None


async def list_project_imports(
    user_id: int, project_id: int, session_cookie: str, source_type: str | None = None, cursor: str | None = None
) -> ImportsPage:
    url = f"{BASE_URL}/api/users/{user_id}/projects/{project_id}/resources/imports"
    params = {}
    if source_type:
        params["source_type"] = source_type
    if cursor:
        params["cursor"] = cursor

    async with httpx.AsyncClient() as client:
        response = await client.get(
            url,
            params=params,
            headers={"Accept": "application/json", "Cookie": f"neptun-session={session_cookie}"},
        )
        response.raise_for_status()
        return ImportsPage(**response.json())


async def all_project_imports(
    user_id: int, project_id: int, session_cookie: str, source_type: str | None
) -> list[ProjectImport]:
    imports: list[ProjectImport] = []
    cursor = None
    while True:
        page = await list_project_imports(user_id, project_id, session_cookie, source_type, cursor)
        imports += page.imports
        if page.next_cursor is None:
            return imports
        cursor = page.next_cursor


if __name__ == "__main__":
    source_type = sys.argv[1] if len(sys.argv) > 1 else None
    found = asyncio.run(all_project_imports(1, 789, os.environ["NEPTUN_SESSION"], source_type))
    print(json.dumps({"imports": [entry.model_dump(mode="json") for entry in found]}))
