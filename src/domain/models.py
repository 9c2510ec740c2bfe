"""The import resource: what a client sends to create one and what it gets back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, ValidationInfo, field_validator

from domain import source_paths

# JavaScript clients hold ids as numbers, so every id stays within Number.MAX_SAFE_INTEGER.
MAX_SAFE_INTEGER = 2**53 - 1
TITLE_MAX_LENGTH = 255
DESCRIPTION_MAX_LENGTH = 4000
# How long an Idempotency-Key replays its first create.
REQUEST_KEY_WINDOW_SECONDS = 24 * 3600
_NO_OFFSET = timedelta(0)


class SourceType(StrEnum):
    """Where an import's content comes from."""

    GITHUB = "github"
    PUBLIC_GITHUB_REPOSITORY_URL = "public_github_repository_url"
    LOCAL_FOLDER = "local_folder"


_SOURCE_PATH_RULES = {
    SourceType.GITHUB: source_paths.github_repository_problem,
    SourceType.PUBLIC_GITHUB_REPOSITORY_URL: source_paths.public_repository_url_problem,
    SourceType.LOCAL_FOLDER: source_paths.local_folder_problem,
}


def format_utc_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and 'Z', the format every Neptun timestamp uses."""
    utc = moment if moment.utcoffset() == _NO_OFFSET else moment.astimezone(UTC)
    # isoformat is several times faster than strftime, and this runs twice per response.
    return utc.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


UtcTimestamp = Annotated[datetime, PlainSerializer(format_utc_timestamp, return_type=str, when_used="json")]
# Strict: a number or a boolean where a string belongs is an error, never silently converted.
_RequiredText = Annotated[str, Field(strict=True, min_length=1)]


class CreateImportRequest(BaseModel):
    """The JSON body of `POST .../resources/imports`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source_type: SourceType = Field(description="Where the import comes from.")
    source_path: _RequiredText = Field(
        description=(
            "Depends on source_type. github: 'owner/repo'. public_github_repository_url: "
            "'https://github.com/owner/repo' with an optional '.git'. local_folder: a relative POSIX path "
            f"of at most {source_paths.LOCAL_FOLDER_MAX_LENGTH} characters, without '..' or empty segments."
        ),
        examples=["username/repository"],
    )
    title: Annotated[str, Field(strict=True, max_length=TITLE_MAX_LENGTH)] | None = Field(
        default=None, description="Optional; null means absent.", examples=["My GitHub Import"]
    )
    description: Annotated[str, Field(strict=True, max_length=DESCRIPTION_MAX_LENGTH)] | None = Field(
        default=None,
        description="Optional; null means absent.",
        examples=["Importing from GitHub repository"],
    )

    @field_validator("source_path")
    @classmethod
    def _source_path_fits_source_type(cls, source_path: str, info: ValidationInfo) -> str:
        if not source_path.strip():
            raise ValueError("must not be blank")
        source_type = info.data.get("source_type")
        if source_type is None:  # already reported as a source_type error
            return source_path
        problem = _SOURCE_PATH_RULES[source_type](source_path)
        if problem is not None:
            raise ValueError(f"{problem} (for source_type '{source_type}')")
        return source_path


class ProjectImport(BaseModel):
    """A stored import, as every response shows it."""

    model_config = ConfigDict(frozen=True)

    id: int = Field(ge=1, le=MAX_SAFE_INTEGER)
    source_type: SourceType
    source_path: str
    title: str | None
    description: str | None
    created_at: UtcTimestamp
    updated_at: UtcTimestamp
    neptun_user_id: int
    project_id: int


class CreatedImport(BaseModel):
    """The 201 body: `{"import": {...}}`."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, serialize_by_alias=True)

    import_: ProjectImport = Field(alias="import")
