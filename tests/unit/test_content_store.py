"""The content bucket's packs and batches: kept files written a pack at a time and read back whole; the
reader's batches read side by side (a digest of many imports waits in rounds, not one GET after
another), in order, each pack once with a ranged GET, runs from before packs as they were written,
and a deleted object still told as ContentReplaced."""

from __future__ import annotations

import io
import json
import threading
from typing import TYPE_CHECKING, Any, cast

import pytest
from botocore.exceptions import ClientError

from domain.context_policy import KeptFile
from domain.errors import ContentReplaced
from domain.import_digest import ContentLocation, KeptEntry
from importer.tar_archive import ImportedTree
from s3_store import content
from s3_store.content import PARALLEL_GETS, S3ContentReader, S3ContentStore

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

PREFIX = "imports/1/789/1/runs/r/"


class Bucket:
    """Answers GETs as S3 does (a `Range` of `bytes=first-last`, inclusive), and records them; with
    `together`, only once that many GETs wait at once, which GETs made one after another never do."""

    def __init__(self, objects: dict[str, bytes], together: int = 1) -> None:
        self._objects = objects
        self._all_waiting = threading.Barrier(together, timeout=10)
        self.gets: list[tuple[str, str | None]] = []

    def put_object(self, Bucket: str, Key: str, Body: bytes, ContentType: str) -> None:  # noqa: N803 - boto3's
        self._objects[Key] = Body

    def get_object(self, Bucket: str, Key: str, Range: str | None = None) -> dict[str, Any]:  # noqa: N803 - boto3's
        self._all_waiting.wait()
        self.gets.append((Key, Range))
        if Key not in self._objects:
            raise ClientError({"Error": {"Code": "NoSuchKey", "Message": "gone"}}, "GetObject")
        body = self._objects[Key]
        if Range is not None:
            first, last = (int(bound) for bound in Range.removeprefix("bytes=").split("-"))
            body = body[first : last + 1]
        return {"Body": io.BytesIO(body)}


def reader_of(bucket: Bucket) -> S3ContentReader:
    return S3ContentReader(cast("S3Client", bucket), "content")


def kept_json(entries: dict[str, dict[str, Any]]) -> bytes:
    return json.dumps(entries).encode()


def test_objects_are_read_side_by_side_in_their_order() -> None:
    entries = [KeptEntry(f"f{n}.md", None, 1, ContentLocation(f"{PREFIX}files/{n}")) for n in range(PARALLEL_GETS)]
    bucket = Bucket({entry.location.key: entry.path.encode() for entry in entries}, together=PARALLEL_GETS)

    texts = reader_of(bucket).kept_texts(entries)

    assert texts == [entry.path.encode() for entry in entries]


def test_the_lists_of_several_imports_are_read_side_by_side() -> None:
    prefixes = [f"imports/1/789/{n}/runs/r/" for n in range(3)]
    readme = {"README.md": {"pack": 0, "offset": 0, "size": 5, "sha": "s", "tokens": 2}}
    bucket = Bucket({f"{prefix}kept.json": kept_json(readme) for prefix in prefixes}, together=3)

    entries = reader_of(bucket).kept_entries(prefixes)

    assert entries == [[KeptEntry("README.md", 5, 2, ContentLocation(f"{prefix}packs/0", 0, 5))] for prefix in prefixes]


def test_the_files_of_one_pack_are_cut_from_one_ranged_get_of_what_is_wanted() -> None:
    kept = {
        "README.md": {"pack": 0, "offset": 0, "size": 7, "sha": "a", "tokens": 2},
        "empty.md": {"pack": 0, "offset": 7, "size": 0, "sha": "b", "tokens": 0},
        "docs/a.md": {"pack": 0, "offset": 7, "size": 3, "sha": "c", "tokens": 1},
        "docs/b.md": {"pack": 0, "offset": 10, "size": 4, "sha": "d", "tokens": 1},
    }
    bucket = Bucket({f"{PREFIX}kept.json": kept_json(kept), f"{PREFIX}packs/0": b"# Demo\naaabbbb"})
    reader = reader_of(bucket)
    [entries] = reader.kept_entries([PREFIX])

    texts = reader.kept_texts(entries[:3])

    assert texts == [b"# Demo\n", b"", b"aaa"]
    assert bucket.gets[1:] == [(f"{PREFIX}packs/0", "bytes=0-9")]  # not the last file's bytes
    assert reader.kept_bytes(PREFIX, "docs/b.md") == b"bbbb"
    assert reader.kept_bytes(PREFIX, "empty.md") == b""
    assert bucket.gets[-1] == (f"{PREFIX}packs/0", "bytes=10-13")  # the empty file cost no GET


def test_a_run_written_before_packs_is_read_a_file_an_object() -> None:
    kept = {"README.md": {"object": 0, "sha": "a"}, "docs/a.md": {"object": 1, "sha": "b", "size": 3, "tokens": 1}}
    objects = {f"{PREFIX}kept.json": kept_json(kept), f"{PREFIX}files/0": b"# Old\n", f"{PREFIX}files/1": b"aaa"}
    reader = reader_of(Bucket(objects))

    [entries] = reader.kept_entries([PREFIX])

    recorded = [(entry.path, entry.size, entry.tokens) for entry in entries]
    assert recorded == [("README.md", None, None), ("docs/a.md", 3, 1)]
    assert reader.kept_texts(entries) == [b"# Old\n", b"aaa"]
    assert reader.kept_bytes(PREFIX, "docs/a.md") == b"aaa"


def test_a_file_deleted_under_a_batch_is_told_as_replaced() -> None:
    entries = [
        KeptEntry("a.md", 1, 1, ContentLocation(f"{PREFIX}files/0")),
        KeptEntry("b.md", 1, 1, ContentLocation(f"{PREFIX}files/1")),
    ]
    bucket = Bucket({entries[0].location.key: b"a"}, together=2)

    with pytest.raises(ContentReplaced):
        reader_of(bucket).kept_texts(entries)


def test_kept_files_are_written_a_pack_at_a_time_and_read_back_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(content, "PACK_BYTES", 10)
    files = [KeptFile(path, f"sha-{path}", text, 1) for path, text in FILES.items()]
    objects: dict[str, bytes] = {}
    bucket = Bucket(objects)
    writer = S3ContentStore(cast("S3Client", bucket), "content").writer(PREFIX)

    for file in files:
        writer.keep(file)
    writer.finish(ImportedTree(kept_files=len(files), kept_bytes=sum(len(file.content) for file in files)))

    # The third file would pass 10 bytes: a second pack; an empty file takes no room.
    assert sorted(key.removeprefix(PREFIX) for key in objects if "/packs/" in key) == ["packs/0", "packs/1"]
    assert json.loads(objects[f"{PREFIX}manifest.json"])["packs"] == 2
    reader = reader_of(bucket)
    [entries] = reader.kept_entries([PREFIX])
    assert [entry.path for entry in entries] == list(FILES)
    assert reader.kept_texts(entries) == list(FILES.values())
    assert [reader.kept_bytes(PREFIX, path) for path in FILES] == list(FILES.values())


FILES = {"README.md": b"# Demo\n", "a.md": b"aaa", "b.md": b"bbbbbb", "empty.md": b"", "c.md": b"cc"}
