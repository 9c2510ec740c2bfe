"""The import resource: what a client sends to create, list or change imports, and what it gets back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    field_validator,
    model_validator,
)

from domain import source_paths
from domain.import_failures import FailureCode
from domain.source_refs import SOURCE_REF_MAX_LENGTH, source_ref_problem

# JavaScript clients hold ids as numbers, so every id stays within Number.MAX_SAFE_INTEGER.
MAX_SAFE_INTEGER = 2**53 - 1
TITLE_MAX_LENGTH = 255
DESCRIPTION_MAX_LENGTH = 4000
# How long an Idempotency-Key replays its first create.
REQUEST_KEY_WINDOW_SECONDS = 24 * 3600
# The most imports one project holds: a project's context comes from a few repositories and folders,
# and every import costs its runs and its kept content. A create beyond it is refused (409).
MAX_IMPORTS_PER_PROJECT = 1000
_NO_OFFSET = timedelta(0)


class SourceType(StrEnum):
    """Where an import's content comes from."""

    GITHUB = "github"
    PUBLIC_GITHUB_REPOSITORY_URL = "public_github_repository_url"
    LOCAL_FOLDER = "local_folder"


class RunStatus(StrEnum):
    """Where an import's content stands: its `status`."""

    PENDING = "pending"
    IMPORTING = "importing"
    COMPLETED = "completed"
    FAILED = "failed"
    AWAITING_UPLOAD = "awaiting_upload"


def first_status(source_type: SourceType) -> RunStatus:
    """A new import's status (and a new source's): a folder waits for its upload, a repository for its run."""
    return RunStatus.AWAITING_UPLOAD if source_type is SourceType.LOCAL_FOLDER else RunStatus.PENDING


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
# Bidi embeddings, overrides and isolates: they make text display as other text (Trojan Source).
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# A description may run over lines; a title is one line.
_DESCRIPTION_WHITESPACE = frozenset("\t\n\r")


def _refuses_controls(allowed: frozenset[str]) -> AfterValidator:
    def check(text: str) -> str:
        for character in text:
            control = ord(character) < 0x20 or 0x7F <= ord(character) <= 0x9F  # C0, DEL and C1
            if (control and character not in allowed) or character in _BIDI_CONTROLS:
                raise ValueError(
                    "must not contain NUL, control characters or bidirectional overrides"
                    + (" (tab and line breaks are allowed)" if allowed else "")
                )
        return text

    return AfterValidator(check)


def _git_ref(ref: str) -> str:
    problem = source_ref_problem(ref)
    if problem is not None:
        raise ValueError(problem)
    return ref


_Title = Annotated[str, Field(strict=True, max_length=TITLE_MAX_LENGTH), _refuses_controls(frozenset())]
_SourceRef = Annotated[str, Field(strict=True, max_length=SOURCE_REF_MAX_LENGTH), AfterValidator(_git_ref)]
_SOURCE_REF_DESCRIPTION = (
    "The branch, tag or full commit SHA to import, by git's ref-name rules; null: the repository's default "
    "branch. Only for github and public_github_repository_url: absent or null for local_folder."
)
_Description = Annotated[
    str, Field(strict=True, max_length=DESCRIPTION_MAX_LENGTH), _refuses_controls(_DESCRIPTION_WHITESPACE)
]


class CreateImportRequest(BaseModel):
    """The JSON body of `POST .../resources/imports`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source_type: SourceType = Field(description="Where the import comes from.")
    source_path: _RequiredText = Field(
        description=(
            "Depends on source_type. github: 'owner/repo'. public_github_repository_url: "
            "'https://github.com/owner/repo' with an optional '.git'. local_folder: a relative POSIX path "
            f"of at most {source_paths.LOCAL_FOLDER_MAX_LENGTH} characters, without '..' or empty segments, "
            "backslashes, drive letters, percent-encoding or a leading '~', '$' or '%'."
        ),
        examples=["username/repository"],
    )
    title: _Title | None = Field(
        default=None, description="Optional; null means absent.", examples=["My GitHub Import"]
    )
    description: _Description | None = Field(
        default=None,
        description="Optional; null means absent.",
        examples=["Importing from GitHub repository"],
    )
    source_ref: _SourceRef | None = Field(default=None, description=_SOURCE_REF_DESCRIPTION, examples=["main"])

    @field_validator("source_ref")
    @classmethod
    def _source_ref_fits_source_type(cls, source_ref: str | None, info: ValidationInfo) -> str | None:
        problem = source_ref_fit_problem(info.data.get("source_type"), source_ref)
        if problem is not None:
            raise ValueError(problem)
        return source_ref

    @field_validator("source_path")
    @classmethod
    def _source_path_fits_source_type(cls, source_path: str, info: ValidationInfo) -> str:
        source_type = info.data.get("source_type")
        if source_type is None:  # already reported as a source_type error
            if not source_path.strip():
                raise ValueError("must not be blank")
            return source_path
        problem = source_path_problem(source_type, source_path)
        if problem is not None:
            raise ValueError(problem)
        return source_path


class RunError(BaseModel):
    """Why the last run did not complete, or when a rate-limited one tries again."""

    model_config = ConfigDict(frozen=True)

    code: FailureCode = Field(description="One of the documented codes; a new one is a change of the contract.")
    message: str
    retry_at: UtcTimestamp | None = Field(
        default=None, description="For `rate_limited`: when the import is tried again (GitHub's reset)."
    )


class ImportContext(BaseModel):
    """What the last completed run kept."""

    model_config = ConfigDict(frozen=True)

    files: int = Field(ge=0, description="Files kept.")
    bytes: int = Field(ge=0, description="Their size, in bytes.")
    skipped_files: int = Field(ge=0, description="Files of the tree not kept (the files listing says why).")
    secrets_found: int = Field(ge=0, description="Findings of the secret scan; their files are not kept.")
    tokens: int | None = Field(
        default=None,
        ge=0,
        description=(
            "The kept files' tokens with OpenAI's `o200k_base` encoding, each file counted on its own and"
            " summed; null for an import completed before tokens were counted (a refresh counts them)."
        ),
    )


class ProjectImport(BaseModel):
    """A stored import, as every response shows it."""

    model_config = ConfigDict(frozen=True)

    id: int = Field(ge=1, le=MAX_SAFE_INTEGER)
    source_type: SourceType
    source_path: str
    source_ref: str | None = Field(default=None, description=_SOURCE_REF_DESCRIPTION)
    title: str | None
    description: str | None
    created_at: UtcTimestamp
    updated_at: UtcTimestamp
    neptun_user_id: int
    project_id: int
    status: RunStatus = Field(
        default=RunStatus.PENDING,
        description="`pending` until a run starts, `importing` while it reads, then `completed` or `failed`; "
        "a `local_folder` import is `awaiting_upload`. Runs change it; a client's change never does, unless "
        "it changes the source, which starts a new run.",
    )
    commit_sha: str | None = Field(
        default=None, description="The 40-hex commit the kept content came from; null until a run completes."
    )
    imported_at: UtcTimestamp | None = Field(default=None, description="When the last run completed.")
    error: RunError | None = Field(default=None, description="Why the last run failed; null otherwise.")
    context: ImportContext | None = Field(default=None, description="What the last completed run kept.")

    @model_validator(mode="before")
    @classmethod
    def _status_of_a_new_import(cls, values: object) -> object:
        # Written without a status (a create, an item stored before runs existed): the source decides it.
        if isinstance(values, dict) and values.get("status") is None and "source_type" in values:
            return values | {"status": first_status(SourceType(values["source_type"]))}
        return values

    def source_differs(self, other: ProjectImport) -> bool:
        """Whether the two name different sources: a change of source starts a new run."""
        mine = (self.source_type, self.source_path, self.source_ref)
        return mine != (other.source_type, other.source_path, other.source_ref)

    def with_new_run(self) -> ProjectImport:
        """This import as a new source leaves it: the old source's run and result are gone."""
        reset = {"commit_sha": None, "imported_at": None, "error": None, "context": None}
        return self.model_copy(update=reset | {"status": first_status(self.source_type)})


@dataclass(frozen=True)
class FilesPosition:
    """Where a files page starts: after `offset` rows of the listing `listing` names (a cursor's content).

    Here, not in domain/import_files.py: the imports list's cursors share a module with the files' ones,
    and that route should not load the files listing's models at its cold start."""

    listing: str
    offset: int


@dataclass(frozen=True, order=True)
class UploadArrival:
    """An archive that arrived in the upload bucket, as the storage tells it: when it finished storing it,
    then its key. Ordered so: the newer of two is the one stored later, and two stored in the same
    millisecond are told apart by their keys, the same way whichever is told first."""

    stored_at: datetime
    key: str


@dataclass(frozen=True)
class StoredImport:
    """An import with the version of it that is stored; every change stores the next version."""

    import_: ProjectImport
    version: int
    # False for an import stored before runs existed: it shows `pending` but no run was ever wanted.
    run_started: bool = True
    # Where the last completed run's content is (the content store's own name); None before one completed.
    content_prefix: str | None = None
    # A `local_folder` import's last upload a run was started for; None before the first.
    newest_upload: UploadArrival | None = None

    @property
    def run_in_flight(self) -> bool:
        """Whether a run is wanted or under way: a refresh then starts nothing new."""
        return self.run_started and self.import_.status in (RunStatus.PENDING, RunStatus.IMPORTING)


class ImportResponse(BaseModel):
    """The body of a 201, and of a 200 for one import: `{"import": {...}}`."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, serialize_by_alias=True)

    import_: ProjectImport = Field(alias="import")


class ImportsPage(BaseModel):
    """The body of a 200 listing: one page of a project's imports."""

    model_config = ConfigDict(frozen=True)

    imports: list[ProjectImport]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page. Opaque: bound to its project, "
        "filter and order."
    )


class ListOrder(StrEnum):
    """Imports in id (= creation) order, oldest first, or newest first."""

    ASC = "asc"
    DESC = "desc"


MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class ImportsQuery:
    """Which of a project's imports to list: a filter, an order, a page size and where the last page ended."""

    source_type: SourceType | None = None
    order: ListOrder = ListOrder.ASC
    limit: int = MAX_PAGE_SIZE
    after_id: int | None = None  # the last id of the previous page, in `order`


@dataclass(frozen=True)
class ImportsSlice:
    """What one page found: its imports, and whether more match after them."""

    imports: list[ProjectImport]
    more: bool


def source_ref_fit_problem(source_type: SourceType | None, source_ref: str | None) -> str | None:
    """What is wrong with a ref for this source type (a folder has no refs), or None."""
    if source_ref is not None and source_type is SourceType.LOCAL_FOLDER:
        return "must be absent or null for source_type 'local_folder'"
    return None


def source_path_problem(source_type: SourceType, source_path: str) -> str | None:
    """What is wrong with this path for this source type, or None: the one rule create and update share."""
    if not source_path.strip():
        return "must not be blank"
    problem = _SOURCE_PATH_RULES[source_type](source_path)
    return None if problem is None else f"{problem} (for source_type '{source_type}')"


class UpdateImportRequest(BaseModel):
    """The JSON body of `PUT .../imports/{import_id}`: only the fields given change."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        # A whole valid body: without it a form would offer every field as "string", which is a 400.
        json_schema_extra={
            "examples": [{"title": "Updated GitHub Import", "description": "Updated import from GitHub repository"}]
        },
    )

    source_type: SourceType | None = Field(default=None, description="Optional; never null.")
    source_path: _RequiredText | None = Field(
        default=None, description="Optional; never null. Must fit the resulting source_type, as on create."
    )
    title: _Title | None = Field(default=None, description="Optional; null clears it.")
    description: _Description | None = Field(default=None, description="Optional; null clears it.")
    source_ref: _SourceRef | None = Field(
        default=None, description="Optional; null: the default branch. Must fit the resulting source_type."
    )

    @field_validator("source_type", "source_path", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("must not be null; leave the field out to keep it")
        return value

    @field_validator("source_path")
    @classmethod
    def _source_path_fits_a_given_source_type(cls, source_path: str | None, info: ValidationInfo) -> str | None:
        source_type = info.data.get("source_type")
        if source_path is None or source_type is None:  # checked against the stored import later
            return source_path
        problem = source_path_problem(source_type, source_path)
        if problem is not None:
            raise ValueError(problem)
        return source_path

    @model_validator(mode="after")
    def _changes_something(self) -> UpdateImportRequest:
        if not self.model_fields_set:
            raise ValueError("give at least one of source_type, source_path, title, description, source_ref")
        return self
