"""`make upload ARGS='IMPORT_ID FOLDER'`: upload a folder to a `local_folder` import, as the web UI does.

Zips the folder (its `.git` left out, as the web UI leaves it out), asks the running service for the
import's upload form (`POST …/imports/{import_id}/upload`), posts the form with the zip as its file to
the storage it names (make run's embedded S3, which checks the form as S3 does), then waits for the
import's run to end and prints the import. The session is NEPTUN_SESSION's (default: the demo user's),
the API NEPTUN_API's (default: make run's address), the project --project's (default: the demo project).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx

from local.demo import DEMO_PROJECT_ID, DEMO_SESSION_TOKEN, DEMO_USER_ID
from local.settings import DEFAULT_API_PORT

WAIT_SECONDS = 120
_OPEN_STATUSES = {"awaiting_upload", "pending", "importing"}
_LEFT_OUT = {".git"}


def zipped_folder(folder: Path) -> bytes:
    """The folder's files at the archive's root, their paths relative to it (links are not followed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if _LEFT_OUT.intersection(relative.parts) or path.is_symlink() or not path.is_file():
                continue
            archive.write(path, relative.as_posix())
    return buffer.getvalue()


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="make upload ARGS=", description=__doc__.splitlines()[0])
    root.add_argument("import_id", type=int, help="a local_folder import's id")
    root.add_argument("folder", type=Path, help="the folder to upload")
    root.add_argument("--project", type=int, default=DEMO_PROJECT_ID)
    root.add_argument("--user", type=int, default=DEMO_USER_ID)
    return root


def main(arguments: list[str]) -> int:
    options = parser().parse_args(arguments)
    if not options.folder.is_dir():
        print(f"error: {options.folder} is not a folder", file=sys.stderr)
        return 2
    api = os.environ.get("NEPTUN_API", f"http://127.0.0.1:{os.environ.get('PORT', DEFAULT_API_PORT)}")
    session = os.environ.get("NEPTUN_SESSION", DEMO_SESSION_TOKEN)
    path = f"{api}/api/users/{options.user}/projects/{options.project}/resources/imports/{options.import_id}"
    try:
        return _upload(path, session, options.folder)
    except httpx.TransportError as error:
        print(
            f"error: cannot reach {error.request.url.host}:{error.request.url.port} ({error}); is make run running?",
            file=sys.stderr,
        )
        return 1


def _upload(path: str, session: str, folder: Path) -> int:
    with httpx.Client(cookies={"neptun-session": session}, timeout=60) as client:
        before = client.get(path, headers={"Accept": "application/json"}).json().get("import")
        asked = client.post(f"{path}/upload", headers={"Accept": "application/json"})
        if asked.status_code != 201:
            print(f"error: the service answered {asked.status_code}: {asked.text}", file=sys.stderr)
            return 1
        upload: dict[str, Any] = asked.json()["upload"]
        # The form's fields as given, then the file last (S3 ignores fields after it).
        archive = {"file": ("folder.zip", zipped_folder(folder))}
        posted = httpx.post(upload["url"], data=upload["fields"], files=archive)
        if posted.status_code not in (200, 201, 204):
            print(f"error: the storage refused the upload ({posted.status_code}): {posted.text}", file=sys.stderr)
            return 1
        shown = _wait_for_the_run(client, path, before)
    print(json.dumps(shown, indent=2))
    return 0 if shown["status"] == "completed" else 1


def _wait_for_the_run(client: httpx.Client, path: str, before: dict[str, Any] | None) -> dict[str, Any]:
    """The import once this upload's run has ended (or as it stands after WAIT_SECONDS): an earlier
    upload's outcome, as it was `before`, is not this one's."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        shown: dict[str, Any] = client.get(path, headers={"Accept": "application/json"}).json()["import"]
        ended = shown["status"] not in _OPEN_STATUSES and shown != before
        if ended or time.monotonic() > deadline:
            return shown
        time.sleep(0.5)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
