"""The create-import body: strict strings, optional fields, unknown fields, lengths."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from domain.models import CreateImportRequest, SourceType

VALID = {"source_type": "github", "source_path": "username/repository"}


def errors_of(body: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationError) as refused:
        CreateImportRequest.model_validate(body)
    return {".".join(str(part) for part in error["loc"]): error["msg"] for error in refused.value.errors()}


def test_minimal_body_is_valid_and_optional_fields_default_to_none() -> None:
    request = CreateImportRequest.model_validate(VALID)
    assert request.source_type is SourceType.GITHUB
    assert (request.title, request.description) == (None, None)


def test_null_optional_fields_mean_absent() -> None:
    request = CreateImportRequest.model_validate(VALID | {"title": None, "description": None})
    assert (request.title, request.description) == (None, None)


@pytest.mark.parametrize("field", ["source_type", "source_path"])
def test_required_fields_are_required(field: str) -> None:
    body = dict(VALID)
    del body[field]
    assert field in errors_of(body)


@pytest.mark.parametrize("value", [1, 1.5, True, ["a/b"], {"a": "b"}])
@pytest.mark.parametrize("field", ["source_path", "title", "description"])
def test_non_strings_are_not_coerced(field: str, value: object) -> None:
    assert field in errors_of(VALID | {field: value})


@pytest.mark.parametrize("value", [1, True, "GitHub", "gitlab", "", None])
def test_source_type_must_be_one_of_the_enum(value: object) -> None:
    assert "source_type" in errors_of(VALID | {"source_type": value})


@pytest.mark.parametrize("source_path", ["", "   ", "\t\n"])
def test_blank_source_path_is_invalid(source_path: str) -> None:
    assert "source_path" in errors_of(VALID | {"source_path": source_path})


@pytest.mark.parametrize("field", ["id", "neptun_user_id", "project_id", "created_at", "updated_at", "Title"])
def test_unknown_fields_are_rejected(field: str) -> None:
    assert field in errors_of(VALID | {field: 1})


def test_title_and_description_length_limits() -> None:
    CreateImportRequest.model_validate(VALID | {"title": "t" * 255, "description": "d" * 4000})
    assert set(errors_of(VALID | {"title": "t" * 256, "description": "d" * 4001})) == {"title", "description"}


@pytest.mark.parametrize(
    ("source_type", "source_path"),
    [
        ("github", "https://github.com/username/repository"),
        ("public_github_repository_url", "username/repository"),
        ("local_folder", "../up"),
    ],
)
def test_source_path_is_checked_against_its_source_type(source_type: str, source_path: str) -> None:
    message = errors_of({"source_type": source_type, "source_path": source_path})["source_path"]
    assert source_type in message


def test_invalid_source_type_reports_only_source_type() -> None:
    assert set(errors_of({"source_type": "svn", "source_path": "anything"})) == {"source_type"}
