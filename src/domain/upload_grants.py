"""The grant a client uploads a `local_folder` import's archive with: `POST …/imports/{import_id}/upload`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from domain.access import ImportKey, ProjectKey
from domain.errors import NotAnUploadImport
from domain.gate import utc_now
from domain.manage_imports import ImportCommand, ImportManager
from domain.models import SourceType, UtcTimestamp
from domain.ports import ImportStore
from domain.uploads import MAX_UPLOAD_BYTES, UPLOAD_GRANT_LIFETIME, UploadSigner


class UploadGrant(BaseModel):
    """A presigned POST for one archive of one import: the form a browser or a script sends."""

    model_config = ConfigDict(frozen=True)

    url: str = Field(description="Where to POST the form (multipart/form-data).")
    fields: dict[str, str] = Field(
        description="Every form field, as given and before the file; the archive goes last, as field `file`."
    )
    expires_at: UtcTimestamp = Field(description="After this moment the storage refuses the form.")
    max_bytes: int = Field(description="The largest archive the storage accepts, in bytes.")


class UploadGrantResponse(BaseModel):
    """The body of a 201 for an upload: `{"upload": {...}}`."""

    model_config = ConfigDict(frozen=True)

    upload: UploadGrant


class UploadGrants:
    """The use case behind `POST …/imports/{import_id}/upload`."""

    def __init__(self, store: ImportStore, signer: UploadSigner, clock: Callable[[], datetime] = utc_now) -> None:
        self._imports = ImportManager(store, clock)
        self._signer = signer
        self._clock = clock

    def grant(self, command: ImportCommand) -> UploadGrant:
        """After the same gate as every route (401, 403, 404): 409 unless the import is a `local_folder` one.

        Any status takes an upload: the newest one to arrive is what the import holds.
        """
        stored = self._imports.get_import(command).import_
        if stored.source_type is not SourceType.LOCAL_FOLDER:
            raise NotAnUploadImport
        # Taken before signing, in whole seconds as the policy states its own: the moment shown is then
        # never later than the one the storage enforces.
        expires_at = (self._clock() + UPLOAD_GRANT_LIFETIME).replace(microsecond=0)
        target = ImportKey(ProjectKey(stored.neptun_user_id, stored.project_id), stored.id)
        signed = self._signer.sign(target, UPLOAD_GRANT_LIFETIME)
        return UploadGrant(url=signed.url, fields=signed.fields, expires_at=expires_at, max_bytes=MAX_UPLOAD_BYTES)
