"""The import jobs queue's messages: what the outbox sends and the worker reads, defined once.

`{"kind": "run", "user_id", "project_id", "import_id", "start_id", "not_before"}`: run this start of
this import, not before `not_before` (a rate limit's reset), and
`{"kind": "release", "prefix"}`: delete a run's content nothing points at any more, and
`{"kind": "release_upload", "key"}`: delete an upload nothing points at any more (read, replaced or unwanted).

The queue also carries what S3 sends it when a folder's archive arrives in the upload bucket (its own
event notification, `{"Records": [...]}`, and the test event it sends when the notification is set up):
`parse_arrival` reads those.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Literal
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes import S3Event
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from domain.import_runs import ImportJob
from s3_store.uploads import UPLOAD_KEY_PATTERN

# Only a run's prefix as s3_store.content makes it: a message can never name other content.
RUN_PREFIX_PATTERN = r"^imports/[0-9]{1,16}/[0-9]{1,16}/[0-9]{1,16}/runs/[0-9a-f]{32}/$"
# SQS delays a message by at most 15 minutes; a later reset is reached by sending it on again.
LONGEST_DELAY_SECONDS = 900


class RunMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["run"] = "run"
    user_id: int
    project_id: int
    import_id: int
    start_id: Annotated[str, Field(min_length=1, max_length=64)]
    not_before: AwareDatetime | None = None

    @classmethod
    def of(cls, job: ImportJob, not_before: datetime | None = None) -> RunMessage:
        return cls(
            user_id=job.user_id,
            project_id=job.project_id,
            import_id=job.import_id,
            start_id=job.start_id,
            not_before=not_before,
        )

    @property
    def job(self) -> ImportJob:
        return ImportJob(self.user_id, self.project_id, self.import_id, self.start_id)


class ReleaseMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["release"] = "release"
    prefix: Annotated[str, Field(pattern=RUN_PREFIX_PATTERN)]


class ReleaseUploadMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["release_upload"] = "release_upload"
    key: Annotated[str, Field(pattern=f"^{UPLOAD_KEY_PATTERN}$")]


ImportMessage = Annotated[RunMessage | ReleaseMessage | ReleaseUploadMessage, Field(discriminator="kind")]
_MESSAGES: TypeAdapter[RunMessage | ReleaseMessage | ReleaseUploadMessage] = TypeAdapter(ImportMessage)


def parse_message(body: str) -> RunMessage | ReleaseMessage | ReleaseUploadMessage:
    """The message a queue record carries (pydantic.ValidationError for anything else)."""
    return _MESSAGES.validate_json(body)


@dataclass(frozen=True)
class ArrivedObject:
    bucket: str
    key: str
    stored_at: datetime  # when S3 finished storing it (the record's eventTime, in milliseconds)


def parse_arrival(body: str) -> list[ArrivedObject] | None:
    """The objects an S3 event notification says were created ([] for S3's test event); None when the
    body is not one (then it is one of the service's own messages, or a poison record)."""
    try:
        notification = json.loads(body)
    except ValueError:
        return None
    if not isinstance(notification, dict):
        return None
    if notification.get("Event") == "s3:TestEvent":  # sent once, when the notification is set up
        return []
    if not isinstance(notification.get("Records"), list):
        return None
    try:
        return [
            # S3 sends keys URL-encoded, as a form field would be.
            ArrivedObject(record.s3.bucket.name, unquote_plus(record.s3.get_object.key), _utc_time(record.event_time))
            for record in S3Event(notification).records
            if record.event_name.startswith("ObjectCreated:")
        ]
    except (KeyError, TypeError, ValueError):  # not as S3 writes them: a poison record
        return None


def _utc_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:  # S3 writes UTC with a `Z`: a time without a zone is not S3's
        raise ValueError(f"no time zone in {text!r}")
    return moment.astimezone(UTC)


def delay_seconds(not_before: datetime | None, now: datetime) -> int:
    """How long SQS should hold a message meant for `not_before`: 0 to 15 minutes."""
    if not_before is None:
        return 0
    return max(0, min(LONGEST_DELAY_SECONDS, int((not_before - now).total_seconds()) + 1))
