"""The update document's Python (httpx) example, runnable against `make run` or a deployed stack.

NEPTUN_SESSION=<cookie value> python examples/update_import_httpx.py <import id> [etag]
NEPTUN_API (default http://127.0.0.1:3000) is the base URL. With an ETag, the update is sent with
If-Match and fails with 412 if the import changed since.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime

import httpx
from pydantic import BaseModel, Field

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


class ApiResponse(BaseModel):
    import_: ProjectImport = Field(alias="import")


async def update_project_import(
    user_id: int,
    project_id: int,
    import_id: int,
    session_cookie: str,
    source_type: str | None = None,
    source_path: str | None = None,
    title: str | None = None,
    description: str | None = None,
    if_match: str | None = None,
) -> ApiResponse:
    url = f"{BASE_URL}/api/users/{user_id}/projects/{project_id}/resources/imports/{import_id}"
    data = {}
    if source_type is not None:
        data["source_type"] = source_type
    if source_path is not None:
        data["source_path"] = source_path
    if title is not None:
        data["title"] = title
    if description is not None:
        data["description"] = description
    headers = {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "Cookie": f"neptun-session={session_cookie}",
    }
    if if_match is not None:
        headers["If-Match"] = if_match

    async with httpx.AsyncClient() as client:
        response = await client.put(url, json=data, headers=headers)
        response.raise_for_status()
        return ApiResponse(**response.json())


if __name__ == "__main__":
    updated = asyncio.run(
        update_project_import(
            1,
            789,
            int(sys.argv[1]),
            os.environ["NEPTUN_SESSION"],
            title="Updated GitHub Import",
            description="Updated import from GitHub repository",
            if_match=sys.argv[2] if len(sys.argv) > 2 else None,
        )
    )
    print(updated.model_dump_json(by_alias=True))
