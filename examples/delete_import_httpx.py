"""The delete document's Python (httpx) example, runnable against `make run` or a deployed stack.

NEPTUN_SESSION=<cookie value> python examples/delete_import_httpx.py <import id>
NEPTUN_API (default http://127.0.0.1:3000) is the base URL. Prints the status (204).
"""

from __future__ import annotations

import asyncio
import os
import sys

import httpx

BASE_URL = os.environ.get("NEPTUN_API", "http://127.0.0.1:3000")


async def delete_project_import(user_id: int, project_id: int, import_id: int, session_cookie: str) -> int:
    url = f"{BASE_URL}/api/users/{user_id}/projects/{project_id}/resources/imports/{import_id}"

    async with httpx.AsyncClient() as client:
        response = await client.delete(
            url, headers={"Accept": "application/json", "Cookie": f"neptun-session={session_cookie}"}
        )
        response.raise_for_status()
        return response.status_code


if __name__ == "__main__":
    print(asyncio.run(delete_project_import(1, 789, int(sys.argv[1]), os.environ["NEPTUN_SESSION"])))
