"""The import jobs queue's messages: what the outbox sends and the worker reads, defined once.

`{"kind": "run", "user_id", "project_id", "import_id", "start_id", "not_before"}`: run this start of
this import, not before `not_before` (a rate limit's reset), and
`{"kind": "release", "prefix"}`: delete a run's content nothing points at any more.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from domain.import_runs import ImportJob

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


ImportMessage = Annotated[RunMessage | ReleaseMessage, Field(discriminator="kind")]
_MESSAGES: TypeAdapter[RunMessage | ReleaseMessage] = TypeAdapter(ImportMessage)


def parse_message(body: str) -> RunMessage | ReleaseMessage:
    """The message a queue record carries (pydantic.ValidationError for anything else)."""
    return _MESSAGES.validate_json(body)


def delay_seconds(not_before: datetime | None, now: datetime) -> int:
    """How long SQS should hold a message meant for `not_before`: 0 to 15 minutes."""
    if not_before is None:
        return 0
    return max(0, min(LONGEST_DELAY_SECONDS, int((not_before - now).total_seconds()) + 1))
