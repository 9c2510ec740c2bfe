"""`source_ref` on create, read, list and change: stored as given, `null` for the default branch, refused
where it cannot apply (a folder has no refs) or where git would refuse it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api_client import FOLDER_IMPORT, GITHUB_IMPORT, assert_error, call, import_path, imports_path, post_imports

pytestmark = pytest.mark.usefixtures("demo_token")
URL_IMPORT = {"source_type": "public_github_repository_url", "source_path": "https://github.com/octo/hello"}


def created(body: dict[str, Any]) -> dict[str, Any]:
    response = post_imports(body)
    assert response.status == 201, response.text
    made: dict[str, Any] = response.json()["import"]
    return made


@pytest.mark.parametrize("body", [GITHUB_IMPORT, URL_IMPORT])
@pytest.mark.parametrize("ref", ["main", "v1.2.3", "feature/x", "2c9a6f8d0e6b4c1f9a7e3d5b8c0a1e2f3d4c5b6a", None])
def test_a_ref_is_stored_as_given_and_shown_everywhere(body: dict[str, Any], ref: str | None) -> None:
    made = created(body | {"source_ref": ref})
    assert made["source_ref"] == ref
    assert call("GET", import_path(made["id"])).json()["import"] == made
    assert call("GET", imports_path()).json()["imports"] == [made]


def test_without_a_ref_an_import_follows_the_default_branch() -> None:
    assert created(GITHUB_IMPORT)["source_ref"] is None
    assert created(FOLDER_IMPORT | {"source_ref": None})["source_ref"] is None


@pytest.mark.parametrize("ref", ["has space", "a..b", "x.lock", "@", "trailing/", "a" * 256, 5, True, ["main"]])
def test_a_ref_git_would_refuse_is_400_naming_source_ref(ref: object) -> None:
    body = assert_error(post_imports(GITHUB_IMPORT | {"source_ref": ref}), 400)
    assert [error["field"] for error in body["errors"]] == ["source_ref"]
    assert call("GET", imports_path()).json()["imports"] == []


def test_a_folder_has_no_ref() -> None:
    body = assert_error(post_imports(FOLDER_IMPORT | {"source_ref": "main"}), 400)
    assert body["errors"] == [
        {"field": "source_ref", "message": "must be absent or null for source_type 'local_folder'"}
    ]


def test_a_change_sets_and_clears_the_ref_and_a_title_change_keeps_it() -> None:
    made = created(GITHUB_IMPORT)
    changed = call("PUT", import_path(made["id"]), {"source_ref": "release/2"}).json()["import"]
    assert changed["source_ref"] == "release/2"
    assert call("PUT", import_path(made["id"]), {"title": "t"}).json()["import"]["source_ref"] == "release/2"
    assert call("PUT", import_path(made["id"]), {"source_ref": None}).json()["import"]["source_ref"] is None


def test_a_change_to_a_folder_must_clear_the_ref() -> None:
    made = created(GITHUB_IMPORT | {"source_ref": "main"})
    to_folder = {"source_type": "local_folder", "source_path": "src"}
    body = assert_error(call("PUT", import_path(made["id"]), to_folder), 400)
    assert [error["field"] for error in body["errors"]] == ["source_type"]
    assert "source_ref null" in body["errors"][0]["message"]
    moved = call("PUT", import_path(made["id"]), to_folder | {"source_ref": None})
    assert moved.status == 200, moved.text
    assert moved.json()["import"]["source_ref"] is None
    refused = assert_error(call("PUT", import_path(made["id"]), {"source_ref": "main"}), 400)
    assert [error["field"] for error in refused["errors"]] == ["source_ref"]


def test_a_filtered_page_shows_the_ref_too() -> None:
    made = created(GITHUB_IMPORT | {"source_ref": "main"})
    assert call("GET", imports_path(), query="source_type=github").json()["imports"] == [made]
