"""Which upload a `local_folder` import holds, decided by when S3 stored each, not by the order told."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from domain.access import ImportKey, ProjectKey
from domain.models import ProjectImport, SourceType, StoredImport, UploadArrival
from domain.upload_arrivals import Arrival, UploadArrivals

TARGET = ImportKey(ProjectKey(1, 789), 42)
AT = datetime(2026, 12, 3, 6, 40, 1, 234000, tzinfo=UTC)


class OneImport:
    """An ArrivalStore of one folder import, which records the uploads runs were started for."""

    def __init__(self) -> None:
        created = ProjectImport(
            id=42,
            source_type=SourceType.LOCAL_FOLDER,
            source_path="my-app",
            title=None,
            description=None,
            created_at=AT,
            updated_at=AT,
            neptun_user_id=1,
            project_id=789,
        )
        self.stored = StoredImport(created, version=1)
        self.started: list[str] = []

    def read_import(self, target: ImportKey) -> StoredImport | None:
        return self.stored if target == TARGET else None

    def start_run(self, stored: StoredImport, now: datetime, upload: UploadArrival | None = None) -> StoredImport:
        assert upload is not None
        self.started.append(upload.key)
        self.stored = replace(stored, newest_upload=upload)
        return self.stored


def told(store: OneImport, *uploads: UploadArrival) -> list[Arrival]:
    arrivals = UploadArrivals(store, clock=lambda: AT)
    return [arrivals.arrived(TARGET, upload) for upload in uploads]


def test_an_upload_stored_before_the_newest_starts_nothing_whenever_it_is_told() -> None:
    store = OneImport()
    older, newer = UploadArrival(AT, "uploads/1/789/42/b"), UploadArrival(AT.replace(second=2), "uploads/1/789/42/a")

    assert told(store, newer, older) == [Arrival.STARTED, Arrival.SUPERSEDED]
    assert store.started == [newer.key]


def test_two_stored_in_one_millisecond_are_ordered_by_key_either_way_they_are_told() -> None:
    first, second = UploadArrival(AT, "uploads/1/789/42/a"), UploadArrival(AT, "uploads/1/789/42/b")
    in_order, reversed_order = OneImport(), OneImport()

    told(in_order, first, second)
    told(reversed_order, second, first)

    assert in_order.stored.newest_upload == reversed_order.stored.newest_upload == second


def test_an_upload_told_twice_starts_one_run() -> None:
    store = OneImport()
    upload = UploadArrival(AT, "uploads/1/789/42/a")

    assert told(store, upload, upload) == [Arrival.STARTED, Arrival.REPEATED]
    assert store.started == [upload.key]
