"""An import's kept content in S3: the only code that knows the content bucket's layout.

Under one prefix per import and per run, `imports/<user id>/<project id>/<import id>/runs/<run id>/`:

| key                       | what it holds                                                       |
| ------------------------- | ------------------------------------------------------------------- |
| `packs/<n>`               | kept files' bytes as the archive held them, in order, `PACK_BYTES` at most |
| `kept.json`               | `{path: {"pack": n, "offset", "size", "sha", "tokens"}}` per kept file, in order |
| `listing/<page>.json`     | the files listing, `LISTING_PAGE` rows a page, in the archive's order |
| `manifest.json`           | the commit, the counts and the numbers of listing pages and packs; written last |

A file is read with a ranged GET of its pack; a digest, which shows files in order, reads each pack it
needs once. Runs completed before packs (2026-12-03) hold `files/<n>`, the n-th kept file alone, and
`{"object": n, ...}` entries; they are read as they are.

Keys are made from ids and counters only, never from an archive's paths (a path is data inside
`kept.json` and the listing). A run writes under its own prefix, which nothing refers to until the
import's item records it: a reader never sees a half-written run. A discarded prefix is deleted whole.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import ClientError

from domain.context_policy import KeptFile, ListedFile
from domain.errors import ContentReplaced
from domain.import_digest import ContentLocation, KeptEntry
from domain.import_runs import ImportedListing, ImportJob

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_s3.type_defs import ObjectIdentifierTypeDef

LISTING_PAGE = 1000
# A run's kept files go to S3 in packs of up to this many bytes (a file is at most 1 MiB: it never
# spans two): one PUT for most runs instead of one per file, and one GET for a digest of most imports.
PACK_BYTES = 4 * 1024 * 1024
# A digest reads its files side by side: a project's digest may read thousands, which one after another
# would take longer than the function's 12 s. The S3 client's connection pool holds as many
# (handlers/composition.py), so that no connection is opened and dropped for each GET.
PARALLEL_GETS = 32
_DELETE_BATCH = 1000  # DeleteObjects takes at most 1,000 keys
_JSON = "application/json"
_GONE = frozenset({"NoSuchKey", "AccessDenied"})
_Wanted = TypeVar("_Wanted")
_Read = TypeVar("_Read")


def listed_row(listed: ListedFile) -> dict[str, Any]:
    """One row of the files listing, as the files route returns it."""
    return {
        "path": listed.path,
        "size": listed.size,
        "sha": listed.sha,
        "category": listed.category.value,
        "language": listed.language,
        "included": listed.included,
        "skipped_reason": listed.skipped_reason.value if listed.skipped_reason else None,
        "secrets": [{"line": finding.line, "kind": finding.kind} for finding in listed.secrets],
        "tokens": listed.tokens,
    }


class S3ContentStore:
    """domain.import_runs.ContentStore on one bucket."""

    def __init__(self, client: S3Client, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def prefix_for(self, job: ImportJob, run_id: str) -> str:
        return f"imports/{job.user_id}/{job.project_id}/{job.import_id}/runs/{run_id}/"

    def writer(self, prefix: str) -> S3ContentWriter:
        return S3ContentWriter(self._client, self._bucket, prefix)

    def discard(self, prefix: str) -> None:
        paginator = self._client.get_paginator("list_objects_v2")
        for page in paginator.paginate(
            Bucket=self._bucket, Prefix=prefix, PaginationConfig={"PageSize": _DELETE_BATCH}
        ):
            objects: list[ObjectIdentifierTypeDef] = [{"Key": entry["Key"]} for entry in page.get("Contents", [])]
            if objects:
                self._client.delete_objects(Bucket=self._bucket, Delete={"Objects": objects, "Quiet": True})


class S3ContentReader:
    """domain.import_files.KeptContentReader on one bucket: a page costs 1 GET (2 across a stored
    page's end), a file 2 (`kept.json`, then a ranged GET of its pack; 1 when `kept.json` is still held),
    a digest 1 per import (`kept.json`) and 1 per pack of the files it shows."""

    def __init__(self, client: S3Client, bucket: str) -> None:
        self._client = client
        self._bucket = bucket
        # The last prefix's `kept.json`: a run's content never changes under its prefix, so it never goes stale.
        self._kept: tuple[str, dict[str, dict[str, Any]]] | None = None

    def listing_rows(self, prefix: str, offset: int, limit: int) -> list[dict[str, Any]]:
        first, last = offset // LISTING_PAGE, (offset + limit - 1) // LISTING_PAGE
        rows: list[dict[str, Any]] = []
        for number in range(first, last + 1):
            rows.extend(self._json(f"{prefix}listing/{number}.json"))
        start = offset - first * LISTING_PAGE
        return rows[start : start + limit]

    def kept_sha(self, prefix: str, path: str) -> str | None:
        entry = self._kept_files(prefix).get(path)
        return str(entry["sha"]) if entry is not None else None

    def kept_bytes(self, prefix: str, path: str) -> bytes:
        [text] = self.kept_texts([_entry(prefix, path, self._kept_files(prefix)[path])])
        return text

    def kept_entries(self, prefixes: Sequence[str]) -> list[list[KeptEntry]]:
        return _side_by_side(self._entries_of, prefixes)

    def kept_texts(self, entries: Sequence[KeptEntry]) -> list[bytes]:
        """One GET per object, of the bytes from its first wanted file's start to its last one's end."""
        by_object: dict[str, list[ContentLocation]] = {}
        for entry in entries:
            by_object.setdefault(entry.location.key, []).append(entry.location)
        spans = list(by_object.items())
        read = dict(zip(by_object, _side_by_side(lambda span: self._span(*span), spans), strict=True))
        return [_cut(read[entry.location.key], entry.location) for entry in entries]

    def _span(self, key: str, locations: Sequence[ContentLocation]) -> tuple[int, bytes]:
        """Where the bytes read start in the object, and the bytes: the whole object when one wants it."""
        if any(location.length is None for location in locations):
            return 0, self._object(key)
        start = min(location.start for location in locations)
        end = max(location.start + (location.length or 0) for location in locations)
        return start, self._object(key, start, end) if end > start else b""

    def _entries_of(self, prefix: str) -> list[KeptEntry]:
        return [_entry(prefix, path, entry) for path, entry in self._kept_files(prefix).items()]

    def _kept_files(self, prefix: str) -> dict[str, dict[str, Any]]:
        # self._kept is read once: a thread beside this one may replace it with another prefix's meanwhile.
        held = self._kept
        if held is None or held[0] != prefix:
            held = (prefix, self._json(f"{prefix}kept.json"))
            self._kept = held
        return held[1]

    def _json(self, key: str) -> Any:
        return json.loads(self._object(key))

    def _object(self, key: str, start: int = 0, end: int | None = None) -> bytes:
        """The object's bytes, or those from `start` to before `end`."""
        # Only keys a completed run wrote are asked for: one that is missing was deleted since, its run
        # replaced (without s3:ListBucket S3 answers a missing key 403, not 404 NoSuchKey).
        try:
            if end is None:
                return self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read()
            span = f"bytes={start}-{end - 1}"  # HTTP's ranges name their last byte
            return self._client.get_object(Bucket=self._bucket, Key=key, Range=span)["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _GONE:
                raise ContentReplaced(key) from error
            raise


def _entry(prefix: str, path: str, kept: dict[str, Any]) -> KeptEntry:
    # Runs completed before sizes and token counts were recorded have neither; before packs, each file
    # was an object of its own.
    if "pack" in kept:
        location = ContentLocation(f"{prefix}packs/{kept['pack']}", int(kept["offset"]), int(kept["size"]))
    else:
        location = ContentLocation(f"{prefix}files/{kept['object']}")
    return KeptEntry(path, kept.get("size"), kept.get("tokens"), location)


def _cut(span: tuple[int, bytes], location: ContentLocation) -> bytes:
    start, read = span
    if location.length is None:
        return read
    return read[location.start - start : location.start - start + location.length]


def _side_by_side(read: Callable[[_Wanted], _Read], wanted: Sequence[_Wanted]) -> list[_Read]:
    """`read` of each, in order, PARALLEL_GETS at a time; the first failure is raised."""
    if len(wanted) <= 1:
        return [read(each) for each in wanted]
    with ThreadPoolExecutor(max_workers=min(PARALLEL_GETS, len(wanted))) as pool:
        return list(pool.map(read, wanted))


@dataclass
class S3ContentWriter:
    client: S3Client
    bucket: str
    prefix: str
    kept: dict[str, dict[str, Any]] = field(default_factory=dict)
    packs: int = 0  # written so far
    pack: bytearray = field(default_factory=bytearray)  # the next one's bytes

    def keep(self, file: KeptFile) -> None:
        if self.pack and len(self.pack) + len(file.content) > PACK_BYTES:
            self._write_pack()
        self.kept[file.path] = {
            "pack": self.packs,
            "offset": len(self.pack),
            "size": len(file.content),
            "sha": file.sha,
            "tokens": file.tokens,
        }
        self.pack += file.content

    def finish(self, listing: ImportedListing) -> None:
        if self.pack:
            self._write_pack()
        rows = [listed_row(listed) for listed in listing.files]
        pages = [rows[start : start + LISTING_PAGE] for start in range(0, len(rows), LISTING_PAGE)] or [[]]
        for number, page in enumerate(pages):
            self._put(f"listing/{number}.json", json.dumps(page).encode(), _JSON)
        self._put("kept.json", json.dumps(self.kept).encode(), _JSON)
        manifest = {
            "commit_sha": listing.commit_sha,
            "files": len(rows),
            "kept_files": listing.kept_files,
            "kept_bytes": listing.kept_bytes,
            "kept_tokens": listing.kept_tokens,
            "listing_pages": len(pages),
            "listing_page_size": LISTING_PAGE,
            "packs": self.packs,
        }
        self._put("manifest.json", json.dumps(manifest).encode(), _JSON)

    def _write_pack(self) -> None:
        # The files' own encodings, one after another: only kept.json says where one ends.
        self._put(f"packs/{self.packs}", bytes(self.pack), "application/octet-stream")
        self.packs += 1
        self.pack.clear()

    def _put(self, name: str, body: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.prefix + name, Body=body, ContentType=content_type)
