"""An import's kept content as one Markdown document for the chat: a header, the tree, every file fenced.

The format (docs/importing.md, *The digest*):

    # <title, or the source path>

    - Source: `github` `octo/app`, ref `main` (or: the default branch)
    - Commit: `<40 hex>` (or: none, for an upload)
    - Imported: <imported_at>
    - Kept: <n> files, <bytes> bytes, <tokens> tokens (o200k_base); skipped: <n>; secret findings: <n>
    - In this document: <n> files, <tokens> tokens; left out: <n> (listed at the end)

    ## Files

    ```text
    <the kept files as a tree, folders first>
    ```

    ## `<path>`

    ````<language>
    <the file's text>
    ````

    ## Left out

    - `<path>`: <tokens> tokens (`max_tokens`) | (`response_size`)

A fence is longer than every run of backticks in what it fences, so no file can close its block early,
and a path is shown in a code span as long as it needs, control characters escaped: no name can start a
heading or a list of its own. Files come in the archive's order, each once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

# What a chat is given comes from the files, not from this format: when the format changes, so does
# every digest's ETag.
DIGEST_FORMAT = 1
_BACKTICKS = re.compile(r"`+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MIN_FENCE = 3


class LeftOutReason(StrEnum):
    MAX_TOKENS = "max_tokens"  # including it would pass the client's max_tokens
    RESPONSE_SIZE = "response_size"  # including it would pass what one response can carry


@dataclass(frozen=True)
class DigestSource:
    """What the header says of the import."""

    title: str
    source_type: str
    source_path: str
    source_ref: str | None
    commit_sha: str | None
    imported_at: str
    kept_files: int
    kept_bytes: int
    kept_tokens: int | None
    skipped_files: int
    secrets_found: int


@dataclass(frozen=True)
class DigestFile:
    path: str
    language: str | None
    tokens: int | None  # None: kept by a run completed before tokens were counted
    text: str


@dataclass(frozen=True)
class LeftOut:
    path: str
    tokens: int | None
    reason: LeftOutReason


@dataclass(frozen=True)
class DigestPlan:
    """Which kept files a digest includes, decided from their counts and sizes before any is read."""

    included: list[str] = field(default_factory=list)
    left_out: list[LeftOut] = field(default_factory=list)


@dataclass(frozen=True)
class ResponseLimit:
    """What one response can carry, measured as the edge carries it (Lambda's: escaped as JSON)."""

    size_of: Callable[[str], int]
    most: int


def within(limit: ResponseLimit, source: DigestSource, files: list[DigestFile], left_out: list[LeftOut]) -> str:
    """The digest, its last files moved to `left_out` (`response_size`) until it fits the limit.

    A file's share of the measure is its section's (a measure like JSON escaping adds up over parts),
    so the digest is rendered again only once enough has been dropped, usually once."""
    markdown = render_digest(source, files, left_out)
    excess = limit.size_of(markdown) - limit.most
    while excess > 0 and files:
        dropped = files.pop()
        left_out.insert(0, LeftOut(dropped.path, dropped.tokens, LeftOutReason.RESPONSE_SIZE))
        excess -= limit.size_of(file_section(dropped))
        if excess <= 0 or not files:  # the tree and the list of what is left out changed a little too
            markdown = render_digest(source, files, left_out)
            excess = limit.size_of(markdown) - limit.most
    return markdown


@dataclass(frozen=True)
class KeptEntry:
    """A kept file as the run recorded it: enough to plan a digest without reading the file."""

    path: str
    size: int | None  # None: recorded before sizes were
    tokens: int | None


def plan_digest(entries: Sequence[KeptEntry], max_tokens: int | None, max_bytes: int) -> DigestPlan:
    """The files in order until the next would pass `max_tokens` (the sum of the listed counts) or
    `max_bytes` (the files' own bytes); it and every file after it are left out, with the reason."""
    plan = DigestPlan()
    tokens = size = 0
    reason: LeftOutReason | None = None
    for entry in entries:
        if reason is None:
            if max_tokens is not None and tokens + (entry.tokens or 0) > max_tokens:
                reason = LeftOutReason.MAX_TOKENS
            elif size + (entry.size or 0) > max_bytes:
                reason = LeftOutReason.RESPONSE_SIZE
        if reason is not None:
            plan.left_out.append(LeftOut(entry.path, entry.tokens, reason))
            continue
        plan.included.append(entry.path)
        tokens += entry.tokens or 0
        size += entry.size or 0
    return plan


def render_digest(source: DigestSource, files: Sequence[DigestFile], left_out: Sequence[LeftOut]) -> str:
    parts = [_header(source, files, left_out), _tree_section([file.path for file in files])]
    parts += [file_section(file) for file in files]
    if left_out:
        parts.append(_left_out_section(left_out))
    return "\n".join(parts)


def fence_for(text: str) -> str:
    """Backticks longer than any run of them in the text (at least three)."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    return "`" * max(_MIN_FENCE, longest + 1)


def code_span(text: str) -> str:
    """Inline code holding the text whatever it contains: control characters escaped, the span's
    backticks outnumbering the text's, padded where the text starts or ends with one."""
    shown = _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", text)
    longest = max((len(run) for run in _BACKTICKS.findall(shown)), default=0)
    ticks = "`" * (longest + 1)
    padded = f" {shown} " if shown.startswith("`") or shown.endswith("`") else shown
    return f"{ticks}{padded}{ticks}"


def _header(source: DigestSource, files: Sequence[DigestFile], left_out: Sequence[LeftOut]) -> str:
    ref = f"ref {code_span(source.source_ref)}" if source.source_ref else "the default branch"
    commit = code_span(source.commit_sha) if source.commit_sha else "none (an upload)"
    kept_tokens = f"{source.kept_tokens:,}" if source.kept_tokens is not None else "uncounted"
    included_tokens = sum(file.tokens or 0 for file in files)
    kept_files, included_files = _counted(source.kept_files, "file"), _counted(len(files), "file")
    lines = [
        f"# {_one_line(source.title)}",
        "",
        f"- Source: {code_span(source.source_type)} {code_span(source.source_path)}, {ref}",
        f"- Commit: {commit}",
        f"- Imported: {source.imported_at}",
        f"- Kept: {kept_files}, {source.kept_bytes:,} bytes, {kept_tokens} tokens (o200k_base); "
        f"skipped: {source.skipped_files:,}; secret findings: {source.secrets_found:,}",
        f"- In this document: {included_files}, {included_tokens:,} tokens; left out: {len(left_out):,}",
        "",
    ]
    return "\n".join(lines)


def _tree_section(paths: Sequence[str]) -> str:
    tree = "\n".join(_tree_lines(paths)) or "(no files)"
    fence = fence_for(tree)
    return f"## Files\n\n{fence}text\n{tree}\n{fence}\n"


def _tree_lines(paths: Sequence[str]) -> list[str]:
    """The paths as an indented tree: each folder once, before what it holds; names escaped."""
    lines: list[str] = []
    shown_folders: set[tuple[str, ...]] = set()
    for path in sorted(paths, key=lambda each: each.split("/")):
        *folders, name = path.split("/")
        for depth in range(len(folders)):
            folder = tuple(folders[: depth + 1])
            if folder not in shown_folders:
                shown_folders.add(folder)
                lines.append("  " * depth + _escaped(folders[depth]) + "/")
        lines.append("  " * len(folders) + _escaped(name))
    return lines


def file_section(file: DigestFile) -> str:
    """A file's part of the digest: its heading and its fenced block."""
    fence = fence_for(file.text)
    body = file.text if file.text.endswith("\n") or not file.text else file.text + "\n"
    return f"## {code_span(file.path)}\n\n{fence}{file.language or ''}\n{body}{fence}\n"


def _left_out_section(left_out: Sequence[LeftOut]) -> str:
    lines = ["## Left out", ""]
    for each in left_out:
        tokens = _counted(each.tokens, "token") if each.tokens is not None else "uncounted"
        lines.append(f"- {code_span(each.path)}: {tokens} ({code_span(each.reason.value)})")
    return "\n".join(lines) + "\n"


def _counted(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def _escaped(text: str) -> str:
    return _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", text)


def _one_line(text: str) -> str:
    return _escaped(text.replace("\r\n", " ").replace("\n", " "))
