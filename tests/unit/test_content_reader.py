"""The content reader's batches: read side by side (a digest of many imports waits in rounds, not one
GET after another), in order, and a deleted object still told as ContentReplaced."""

from __future__ import annotations

import io
import json
import threading
from typing import TYPE_CHECKING, Any, cast

import pytest
from botocore.exceptions import ClientError

from domain.errors import ContentReplaced
from domain.import_digest import KeptEntry
from s3_store.content import PARALLEL_GETS, S3ContentReader

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

PREFIX = "imports/1/789/1/runs/r/"


class WaitingBucket:
    """Answers a GET only once `together` GETs are waiting: GETs made one after another never get there."""

    def __init__(self, objects: dict[str, bytes], together: int) -> None:
        self._objects = objects
        self._all_waiting = threading.Barrier(together, timeout=10)

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:  # noqa: N803 - boto3's names
        self._all_waiting.wait()
        if Key not in self._objects:
            raise ClientError({"Error": {"Code": "NoSuchKey", "Message": "gone"}}, "GetObject")
        return {"Body": io.BytesIO(self._objects[Key])}


def reader_of(bucket: WaitingBucket) -> S3ContentReader:
    return S3ContentReader(cast("S3Client", bucket), "content")


def test_files_are_read_side_by_side_in_their_order() -> None:
    entries = [KeptEntry(f"f{n}.md", 1, 1, f"{PREFIX}files/{n}") for n in range(PARALLEL_GETS)]
    bucket = WaitingBucket({entry.location: entry.path.encode() for entry in entries}, together=PARALLEL_GETS)

    texts = reader_of(bucket).kept_texts(entries)

    assert texts == [entry.path.encode() for entry in entries]


def test_the_lists_of_several_imports_are_read_side_by_side() -> None:
    prefixes = [f"imports/1/789/{n}/runs/r/" for n in range(3)]
    kept = {
        f"{prefix}kept.json": {"README.md": {"object": 0, "sha": "s", "size": 5, "tokens": 2}} for prefix in prefixes
    }
    bucket = WaitingBucket({key: json.dumps(value).encode() for key, value in kept.items()}, together=3)

    entries = reader_of(bucket).kept_entries(prefixes)

    assert entries == [[KeptEntry("README.md", 5, 2, f"{prefix}files/0")] for prefix in prefixes]


def test_a_file_deleted_under_a_batch_is_told_as_replaced() -> None:
    entries = [KeptEntry("a.md", 1, 1, f"{PREFIX}files/0"), KeptEntry("b.md", 1, 1, f"{PREFIX}files/1")]
    bucket = WaitingBucket({entries[0].location: b"a"}, together=2)

    with pytest.raises(ContentReplaced):
        reader_of(bucket).kept_texts(entries)
