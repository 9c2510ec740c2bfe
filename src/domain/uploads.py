"""What a `local_folder` import's upload may be: the one place its limits and formats are stated.

The service cannot read a user's disk: the browser uploads the folder as one archive, straight to
storage with a grant the service signs (domain/upload_grants.py), and the archive's arrival starts a run
that reads it under the same context policy, secret scan and path rules as a repository's archive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Protocol

from domain.access import ImportKey

# The most an uploaded archive may hold, compressed: what the presigned POST allows and the reader reads.
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
# How long a grant can be used: long enough to zip and send 50 MiB on a slow line, short enough that a
# leaked grant is soon worth nothing.
UPLOAD_GRANT_LIFETIME = timedelta(minutes=15)


class UploadFormat(StrEnum):
    ZIP = "zip"
    TAR_GZ = "tar.gz"


@dataclass(frozen=True)
class SignedPost:
    url: str
    fields: dict[str, str]


class UploadSigner(Protocol):
    def sign(self, target: ImportKey, lifetime: timedelta) -> SignedPost:
        """A presigned POST for one new object of the import's uploads, of 1 to MAX_UPLOAD_BYTES bytes,
        valid for `lifetime`; the signature binds the object's key, so no other object can be written."""
        ...
