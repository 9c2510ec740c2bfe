"""The API document's Python (httpx) example, runnable against `make run` or a deployed stack.

NEPTUN_SESSION=<cookie value> python examples/create_import_httpx.py
NEPTUN_API (default http://127.0.0.1:3000) is the base URL.
"""

from __future__ import annotations

import asyncio
import os
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


async def create_project_import(
    user_id: int,
    project_id: int,
    source_type: str,
    source_path: str,
    session_cookie: str,
    title: str | None = None,
    description: str | None = None,
) -> ApiResponse:
    url = f"{BASE_URL}/api/users/{user_id}/projects/{project_id}/resources/imports"
    data = {"source_type": source_type, "source_path": source_path}
    if title:
        data["title"] = title
    if description:
        data["description"] = description

    async with httpx.AsyncClient() as client:
        response = await client.post(
            url,
            json=data,
            headers={
                "Accept": "application/json",
                "Content-Type": "application/json",
                "Cookie": f"neptun-session={session_cookie}",
            },
        )
        response.raise_for_status()
        return ApiResponse(**response.json())


if __name__ == "__main__":
    created = asyncio.run(
        create_project_import(
            1,
            789,
            "github",
            "username/repository",
            session_cookie=os.environ["NEPTUN_SESSION"],
            title="My GitHub Import",
            description="Importing from GitHub repository",
        )
    )
    print(created.model_dump_json(by_alias=True))
