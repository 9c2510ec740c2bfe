"""A folder's archive has arrived in the upload bucket: its import's run starts, to read that archive.

The arrival is told by the storage (an S3 event), not by the client: a form used after its import was
deleted, or changed to another source type, starts nothing, and the archive is discarded. The newest
upload to arrive is the one the import's wanted run reads: a run already under way for an older one
loses its claim when it tries to record its outcome, as after any new start (domain/import_runs.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from domain.access import ImportKey
from domain.errors import ImportChanged
from domain.gate import utc_now
from domain.models import SourceType, StoredImport

# A start that meets a concurrent write (a client's change, a run's outcome) reads again this often.
MAX_START_ATTEMPTS = 3


class ArrivalStore(Protocol):
    def read_import(self, target: ImportKey) -> StoredImport | None:
        """The import as stored, in one consistent read; None when there is none."""
        ...

    def start_run(self, stored: StoredImport, now: datetime, upload_key: str | None = None) -> StoredImport:
        """ImportStore.start_run, recording the upload the run is to read in the same write."""
        ...


class Arrival(StrEnum):
    STARTED = "started"  # the import is `pending`, for a run that reads this upload
    UNWANTED = "unwanted"  # no such import now, or not a `local_folder` one: the upload is the caller's to delete


class UploadArrivals:
    def __init__(self, store: ArrivalStore, clock: Callable[[], datetime] = utc_now) -> None:
        self._store = store
        self._clock = clock

    def arrived(self, target: ImportKey, upload_key: str) -> Arrival:
        for _ in range(MAX_START_ATTEMPTS):
            stored = self._store.read_import(target)
            if stored is None or stored.import_.source_type is not SourceType.LOCAL_FOLDER:
                return Arrival.UNWANTED
            try:
                self._store.start_run(stored, self._clock(), upload_key=upload_key)
            except ImportChanged:
                continue  # changed meanwhile: read again (gone by then: unwanted)
            return Arrival.STARTED
        raise ImportChanged(f"the import kept changing over {MAX_START_ATTEMPTS} attempts")
