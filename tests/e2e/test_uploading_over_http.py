"""Folders uploaded over HTTP on `make run` (on moto and on DynamoDB Local): the form the service signs,
posted as multipart/form-data to make run's S3 (which checks it as S3 does: local/post_policy.py), the
arrival, the run, and what the import then serves; and `make upload`, which does all of that."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from domain.uploads import MAX_UPLOAD_BYTES
from local.demo import DEMO_IMPORT
from local.upload import zipped_folder
from tests.archives import hostile_uploads, zipped
from tests.e2e.local_server import ROOT, LocalServer, run_in_repository, start_local_server

DEMO_REPOSITORY = ROOT / "local" / "demo_repository"  # what make run's GitHub stand-in serves the demo import


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    running = start_local_server()
    yield running
    assert running.stop() == 0


def api(server: LocalServer) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, cookies={"neptun-session": server.session_token}, timeout=30)


def folder_import(server: LocalServer) -> int:
    with api(server) as client:
        answer = client.post(
            "/api/users/1/projects/789/resources/imports",
            json={"source_type": "local_folder", "source_path": "demo", "title": "Uploaded"},
        )
    assert answer.status_code == 201, answer.text
    shown: dict[str, Any] = answer.json()["import"]
    assert shown["status"] == "awaiting_upload"
    import_id: int = shown["id"]
    return import_id


def upload_form(server: LocalServer, import_id: int) -> dict[str, Any]:
    with api(server) as client:
        answer = client.post(f"{server.import_path(import_id)}/upload")
    assert answer.status_code == 201, answer.text
    form: dict[str, Any] = answer.json()["upload"]
    return form


def post_form(form: dict[str, Any], archive: bytes, **changed: str) -> httpx.Response:
    """As a browser posts it: every field as given (or changed), then the file."""
    return httpx.post(form["url"], data=form["fields"] | changed, files={"file": ("folder.zip", archive)}, timeout=60)


def files_of(server: LocalServer, import_id: int) -> list[dict[str, Any]]:
    files: list[dict[str, Any]] = server.get_json(f"{server.import_path(import_id)}/files")["files"]
    return files


def test_a_folder_posted_with_the_form_lists_what_a_github_import_of_the_same_tree_lists(server: LocalServer) -> None:
    import_id = folder_import(server)
    assert server.import_when_done(DEMO_IMPORT.id)["status"] == "completed"

    posted = post_form(upload_form(server, import_id), zipped_folder(DEMO_REPOSITORY))

    assert posted.status_code == 204, posted.text
    shown = server.import_when_done(import_id)
    assert (shown["status"], shown["commit_sha"], shown["error"]) == ("completed", None, None)
    assert files_of(server, import_id) == files_of(server, DEMO_IMPORT.id)
    demo = server.get_json(server.import_path(DEMO_IMPORT.id))["import"]
    assert shown["context"] == demo["context"]


# The two kinds that cost seconds of CPU to read (an 80 MiB bomb, 100,001 entries) are imported in
# process only (tests/integration/test_upload_arrival.py): here they would run twice more, beside the
# suite's other end-to-end tests on two cores.
OVER_HTTP = ["parent", "absolute", "drive_letter", "symbolic_link", "hard_link", "same_path_twice", "name_not_utf8"]


@pytest.mark.parametrize("kind", OVER_HTTP)
def test_a_hostile_archive_ends_failed_with_its_code_and_keeps_nothing(server: LocalServer, kind: str) -> None:
    import_id = folder_import(server)

    assert post_form(upload_form(server, import_id), hostile_uploads()[kind]).status_code == 204

    shown = server.import_when_done(import_id)
    assert (shown["status"], shown["error"]["code"], shown["context"]) == ("failed", "unsafe_archive", None)
    with api(server) as client:
        assert client.get(f"{server.import_path(import_id)}/files").status_code == 409  # nothing to read


def test_the_storage_refuses_a_larger_archive_another_key_and_an_unlisted_field(server: LocalServer) -> None:
    import_id = folder_import(server)
    form = upload_form(server, import_id)
    another_key = form["fields"]["key"].rsplit("/", 1)[0] + "/" + "0" * 32

    too_large = post_form(form, bytes(MAX_UPLOAD_BYTES + 1))
    elsewhere = post_form(form, zipped({"README.md": b"# x\n"}), key=another_key)
    unlisted = post_form(form, zipped({"README.md": b"# x\n"}), acl="public-read")

    assert (too_large.status_code, "<Code>EntityTooLarge</Code>" in too_large.text) == (400, True)
    assert (elsewhere.status_code, "<Code>AccessDenied</Code>" in elsewhere.text) == (403, True)
    assert (unlisted.status_code, "<Code>AccessDenied</Code>" in unlisted.text) == (403, True)
    assert server.get_json(server.import_path(import_id))["import"]["status"] == "awaiting_upload"
    # The form still works as given, once: nothing above used it up.
    assert post_form(form, zipped({"README.md": b"# x\n"})).status_code == 204
    assert server.import_when_done(import_id)["status"] == "completed"


def test_make_upload_zips_a_folder_posts_it_and_prints_the_completed_import(server: LocalServer) -> None:
    import_id = folder_import(server)

    result = run_in_repository(
        [sys.executable, "-m", "local.upload", str(import_id), str(DEMO_REPOSITORY)], NEPTUN_API=server.base_url
    )

    assert result.returncode == 0, result.stderr
    assert '"status": "completed"' in result.stdout
    assert [row["path"] for row in files_of(server, import_id)] == [
        row["path"] for row in files_of(server, DEMO_IMPORT.id)
    ]
