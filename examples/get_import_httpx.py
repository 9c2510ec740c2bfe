"""Reading one import with Python (httpx), runnable against `make run` or a deployed stack.

NEPTUN_SESSION=<cookie value> python examples/get_import_httpx.py <import id>
NEPTUN_API (default http://127.0.0.1:3000) is the base URL. Prints the import and its ETag.
"""

from __future__ import annotations

import asyncio
import json
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


async def get_project_import(
    user_id: int, project_id: int, import_id: int, session_cookie: str
) -> tuple[ApiResponse, str]:
    url = f"{BASE_URL}/api/users/{user_id}/projects/{project_id}/resources/imports/{import_id}"

    async with httpx.AsyncClient() as client:
        response = await client.get(
            url, headers={"Accept": "application/json", "Cookie": f"neptun-session={session_cookie}"}
        )
        response.raise_for_status()
        return ApiResponse(**response.json()), response.headers["ETag"]


if __name__ == "__main__":
    found, etag = asyncio.run(get_project_import(1, 789, int(sys.argv[1]), os.environ["NEPTUN_SESSION"]))
    print(json.dumps({"import": found.import_.model_dump(mode="json"), "etag": etag}))
