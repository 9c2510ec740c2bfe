"""A folder's archive has arrived in the upload bucket: its import's run starts, to read that archive.

The arrival is told by the storage (an S3 event), not by the client: a form used after its import was
deleted, or changed to another source type, starts nothing, and the archive is discarded. The newest
upload, the one stored last, is the one the import's wanted run reads: a run already under way for an
older one loses its claim when it tries to record its outcome, as after any new start
(domain/import_runs.py). The storage tells arrivals at least once and in no set order, so the newest is
decided by when each was stored (UploadArrival's order), not by which is told last: an older upload told
after a newer one starts nothing, and an arrival told again changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from domain.access import ImportKey
from domain.errors import ImportChanged
from domain.gate import utc_now
from domain.models import SourceType, StoredImport, UploadArrival

# A start that meets a concurrent write (a client's change, a run's outcome) reads again this often.
MAX_START_ATTEMPTS = 3


class ArrivalStore(Protocol):
    def read_import(self, target: ImportKey) -> StoredImport | None:
        """The import as stored, in one consistent read; None when there is none."""
        ...

    def start_run(self, stored: StoredImport, now: datetime, upload: UploadArrival | None = None) -> StoredImport:
        """ImportStore.start_run, recording the upload the run is to read as the import's newest in the
        same write, if the newest is still the one read (ImportChanged otherwise)."""
        ...


class Arrival(StrEnum):
    STARTED = "started"  # the import is `pending`, for a run that reads this upload
    UNWANTED = "unwanted"  # no such import now, or not a `local_folder` one: the upload is the caller's to delete
    SUPERSEDED = "superseded"  # a newer upload's run was started first: this one is the caller's to delete
    REPEATED = "repeated"  # told before, and its run started then: nothing to do


class UploadArrivals:
    def __init__(self, store: ArrivalStore, clock: Callable[[], datetime] = utc_now) -> None:
        self._store = store
        self._clock = clock

    def arrived(self, target: ImportKey, upload: UploadArrival) -> Arrival:
        for _ in range(MAX_START_ATTEMPTS):
            stored = self._store.read_import(target)
            if stored is None or stored.import_.source_type is not SourceType.LOCAL_FOLDER:
                return Arrival.UNWANTED
            newest = stored.newest_upload
            if newest is not None and newest.key == upload.key:
                return Arrival.REPEATED
            if newest is not None and upload < newest:
                return Arrival.SUPERSEDED
            try:
                self._store.start_run(stored, self._clock(), upload=upload)
            except ImportChanged:
                continue  # changed meanwhile: read again (gone by then: unwanted)
            return Arrival.STARTED
        raise ImportChanged(f"the import kept changing over {MAX_START_ATTEMPTS} attempts")
