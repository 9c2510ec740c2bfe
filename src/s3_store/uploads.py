"""Uploaded archives in S3: the only code that knows the upload bucket's layout and signs its POSTs.

One object per upload, `uploads/<user id>/<project id>/<import id>/<upload id>`, the upload id random
and drawn by the service: a grant binds its one key, so a client can neither choose a key nor write
over another upload. The bucket's lifecycle deletes what is left after a day (template.yaml).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from domain.access import ImportKey, ProjectKey
from domain.import_failures import FailureCode, ImportFailed
from domain.import_runs import ArchiveStream, ClaimedRun
from domain.uploads import MAX_UPLOAD_BYTES, SignedPost

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

UPLOADS_PREFIX = "uploads/"
# The one type the form may give: the archive's format is told by its first bytes, never by a name or type.
UPLOAD_CONTENT_TYPE = "application/octet-stream"
# Ids as the API takes them (1 to 2**53 - 1, no leading zero), then the upload id new_upload_id draws.
_ID = r"([1-9][0-9]{0,15})"
UPLOAD_KEY_PATTERN = rf"uploads/{_ID}/{_ID}/{_ID}/([0-9a-f]{{32}})"
_UPLOAD_KEY = re.compile(UPLOAD_KEY_PATTERN)


def upload_key(target: ImportKey, upload_id: str) -> str:
    project = target.project
    return f"{UPLOADS_PREFIX}{project.user_id}/{project.project_id}/{target.import_id}/{upload_id}"


def new_upload_id() -> str:
    return secrets.token_hex(16)


@dataclass(frozen=True)
class UploadedObject:
    """An object of the upload bucket, by its key: which import it is for."""

    key: str
    target: ImportKey


def uploaded_object(key: str) -> UploadedObject | None:
    """The import an object's key names; None for a key the service never signs."""
    match = _UPLOAD_KEY.fullmatch(key)
    if match is None:
        return None
    user_id, project_id, import_id, _ = match.groups()
    return UploadedObject(key, ImportKey(ProjectKey(int(user_id), int(project_id)), int(import_id)))


class S3UploadSigner:
    """domain.upload_grants.UploadSigner on one bucket; signs with the function's own credentials."""

    def __init__(self, client: S3Client, bucket: str, draw_id: Callable[[], str] = new_upload_id) -> None:
        self._client = client
        self._bucket = bucket
        self._draw_id = draw_id

    def sign(self, target: ImportKey, lifetime: timedelta) -> SignedPost:
        # botocore adds the conditions on the bucket, the exact key and the signature's own fields.
        conditions: list[Any] = [
            {"Content-Type": UPLOAD_CONTENT_TYPE},
            ["content-length-range", 1, MAX_UPLOAD_BYTES],
        ]
        post = self._client.generate_presigned_post(
            Bucket=self._bucket,
            Key=upload_key(target, self._draw_id()),
            Fields={"Content-Type": UPLOAD_CONTENT_TYPE},
            Conditions=conditions,
            ExpiresIn=int(lifetime.total_seconds()),
        )
        return SignedPost(url=post["url"], fields=dict(post["fields"]))


class S3Uploads:
    """The upload bucket as the worker sees it: domain.import_runs.ArchiveSource for a folder's run, and
    the deletion of uploads nothing points at any more."""

    def __init__(self, client: S3Client, bucket: str) -> None:
        self._client = client
        self.bucket = bucket

    @contextmanager
    def open(self, run: ClaimedRun) -> Iterator[ArchiveStream]:
        if run.upload_key is None or uploaded_object(run.upload_key) is None:
            raise ImportFailed(FailureCode.INTERNAL, "The folder's run names no upload the service signed.")
        try:
            body = self._client.get_object(Bucket=self.bucket, Key=run.upload_key)["Body"]
        except self._client.exceptions.NoSuchKey:
            raise ImportFailed(
                FailureCode.NOT_FOUND_OR_NO_ACCESS,
                "The uploaded archive is gone (an upload is kept for a day); upload the folder again.",
            ) from None
        with closing(body):
            yield body

    def remove(self, key: str) -> None:
        """Deletes the upload; nothing refers to it any more (deleting one already gone is no error)."""
        self._client.delete_object(Bucket=self.bucket, Key=key)
