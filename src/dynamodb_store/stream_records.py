"""The data table's stream as the import pipeline's outbox: which committed writes need work done.

The write that commits is the event, so nothing is lost between "written" and "enqueued". Of the
stream's records (NEW_AND_OLD_IMAGES), only an import's own item counts (not its copy, which changes
with it); two kinds of work follow from one:

- a run is wanted when the new image is `pending` and the old one was not that same pending start: a
  create, a change of source, a refresh, or a run deferred by a rate limit (not before its `retry_at`);
- content is released when the old image pointed at a content prefix the new one no longer points at:
  a newer run completed, the source changed, or the import was deleted;
- an upload is released, the same way, when the old image named an upload the new one does not: its
  run ended (completed or failed), a newer upload replaced it, the source changed, or the import was
  deleted. A run that is tried again keeps it.

A record read twice gives the same work twice; both kinds are idempotent where they are done.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.import_failures import FailureCode
from domain.import_runs import ImportJob
from domain.models import RunStatus
from dynamodb_store.runs import CONTENT_PREFIX, RUN_ERROR, RUN_START_ID, RUN_STATUS, UPLOAD_KEY

_IMPORT_ENTITY = "import"
Image = Mapping[str, Any]


@dataclass(frozen=True)
class RunWanted:
    job: ImportJob
    not_before: datetime | None = None


@dataclass(frozen=True)
class ContentReleased:
    prefix: str


@dataclass(frozen=True)
class UploadReleased:
    key: str


Work = RunWanted | ContentReleased | UploadReleased


def work_from_record(record: Mapping[str, Any]) -> list[Work]:
    """The work one stream record asks for; none for any item but an import's own."""
    change = record.get("dynamodb", {})
    new, old = change.get("NewImage"), change.get("OldImage")
    if not any(_is_import(image) for image in (new, old)):
        return []
    work: list[Work] = []
    if new is not None and _text(new, RUN_STATUS) == RunStatus.PENDING and _starts_a_run(old, new):
        work.append(RunWanted(_job(new), _retry_at(new)))
    released = _released(old, new, CONTENT_PREFIX)
    if released is not None:
        work.append(ContentReleased(released))
    released_upload = _released(old, new, UPLOAD_KEY)
    if released_upload is not None:
        work.append(UploadReleased(released_upload))
    return work


def _released(old: Image | None, new: Image | None, name: str) -> str | None:
    """What the old image named under `name` and the new one (if any) no longer does."""
    named = _text(old, name) if old is not None else None
    return named if named is not None and (new is None or _text(new, name) != named) else None


def _is_import(image: Image | None) -> bool:
    return image is not None and _text(image, "entity_type") == _IMPORT_ENTITY


def _starts_a_run(old: Image | None, new: Image) -> bool:
    if old is None:
        return True
    same_start = _text(old, RUN_START_ID) == _text(new, RUN_START_ID)
    return not (same_start and _text(old, RUN_STATUS) == RunStatus.PENDING)


def _job(image: Image) -> ImportJob:
    return ImportJob(
        user_id=int(image["neptun_user_id"]["N"]),
        project_id=int(image["project_id"]["N"]),
        import_id=int(image["id"]["N"]),
        start_id=image[RUN_START_ID]["S"],
    )


def _retry_at(image: Image) -> datetime | None:
    error = image.get(RUN_ERROR, {}).get("M", {})
    if error.get("code", {}).get("S") != FailureCode.RATE_LIMITED or "retry_at" not in error:
        return None
    return datetime.fromisoformat(error["retry_at"]["S"].replace("Z", "+00:00"))


def _text(image: Image, name: str) -> str | None:
    value = image.get(name, {}).get("S")
    return value if isinstance(value, str) else None
