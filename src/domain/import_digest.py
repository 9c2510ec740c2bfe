"""An import's kept content as one Markdown document for the chat: a header, the tree, every file fenced.

The format (docs/importing.md, *The digest*):

    # <title, or the source path>

    - Import: `<id>`
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

A project's digest is `# Project context`, a header, then each import's digest one heading level down
(`## <title>`, `### Files`, `### <path>`), then the imports left out whole:

    # Project context

    - Project: `<id>`; imports with a completed run, in the order they were created: <n>
    - In this document: <n> imports, <n> files, <tokens> tokens; left out: <n> imports, <n> files

    ## Imports left out

    - `<id>` `<source_path>`: <n> files, <tokens> tokens (`max_tokens`) | (`response_size`) | (`access`)

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
DIGEST_FORMAT = 2
_BACKTICKS = re.compile(r"`+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MIN_FENCE = 3


class LeftOutReason(StrEnum):
    MAX_TOKENS = "max_tokens"  # including it would pass the client's max_tokens
    RESPONSE_SIZE = "response_size"  # including it would pass what one response can carry
    ACCESS = "access"  # a whole import: GitHub no longer lets its user read the repository


@dataclass(frozen=True)
class DigestSource:
    """What the header says of the import."""

    import_id: int
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

    included: list[KeptEntry] = field(default_factory=list)
    left_out: list[LeftOut] = field(default_factory=list)


@dataclass(frozen=True)
class ResponseLimit:
    """What one response can carry, measured as the edge carries it (Lambda's: escaped as JSON)."""

    size_of: Callable[[str], int]
    most: int


@dataclass
class DigestSection:
    """One import's part of a digest: its header's facts, the files it shows and those it leaves out."""

    source: DigestSource
    files: list[DigestFile] = field(default_factory=list)
    left_out: list[LeftOut] = field(default_factory=list)


@dataclass(frozen=True)
class ImportLeftOut:
    """An import a project's digest shows nothing of, with what it kept."""

    import_id: int
    source_type: str
    source_path: str
    kept_files: int
    kept_tokens: int | None
    reason: LeftOutReason


@dataclass
class ProjectDigest:
    """A project's digest before it is rendered: its imports' sections in order, then those left out whole."""

    project_id: int
    sections: list[DigestSection] = field(default_factory=list)
    imports_left_out: list[ImportLeftOut] = field(default_factory=list)


@dataclass(frozen=True)
class ContentLocation:
    """Where the content store holds a kept file's bytes: `length` bytes from `start` of one object, or
    the whole object (`length` None)."""

    key: str
    start: int = 0
    length: int | None = None


@dataclass(frozen=True)
class KeptEntry:
    """A kept file as the run recorded it: enough to plan a digest without reading the file, and to read it."""

    path: str
    size: int | None  # None: recorded before sizes were
    tokens: int | None
    location: ContentLocation


@dataclass
class DigestBudget:
    """What the files of one digest may add up to, spent file by file across one or more imports.

    Files are taken in order until the next would pass `max_tokens` (the sum of the listed counts) or
    `max_bytes` (the files' own bytes); it and every file after it, in any later import too, are left
    out for that reason."""

    max_tokens: int | None
    max_bytes: int
    tokens: int = 0
    size: int = 0
    spent: LeftOutReason | None = None  # set once a file did not fit: nothing after it is taken

    def plan(self, entries: Sequence[KeptEntry]) -> DigestPlan:
        plan = DigestPlan()
        for entry in entries:
            if self.spent is None:
                self.spent = self._refusal(entry)
            if self.spent is not None:
                plan.left_out.append(LeftOut(entry.path, entry.tokens, self.spent))
                continue
            plan.included.append(entry)
            self.tokens += entry.tokens or 0
            self.size += entry.size or 0
        return plan

    def _refusal(self, entry: KeptEntry) -> LeftOutReason | None:
        if self.max_tokens is not None and self.tokens + (entry.tokens or 0) > self.max_tokens:
            return LeftOutReason.MAX_TOKENS
        if self.size + (entry.size or 0) > self.max_bytes:
            return LeftOutReason.RESPONSE_SIZE
        return None


def plan_digest(entries: Sequence[KeptEntry], max_tokens: int | None, max_bytes: int) -> DigestPlan:
    """One import's plan: its files in order until the next would pass either bound (DigestBudget)."""
    return DigestBudget(max_tokens, max_bytes).plan(entries)


def within(limit: ResponseLimit, sections: Sequence[DigestSection], render: Callable[[], str], level: int = 1) -> str:
    """What `render` gives once the last files of `sections` have moved to their `left_out`
    (`response_size`) until it fits the limit; `level` is the sections' heading level.

    A file's share of the measure is its section's (a measure like JSON escaping adds up over parts),
    so the digest is rendered again only once enough has been dropped, usually once."""
    markdown = render()
    excess = limit.size_of(markdown) - limit.most
    while excess > 0 and any(section.files for section in sections):
        for section in reversed(sections):
            while section.files and excess > 0:
                dropped = section.files.pop()
                section.left_out.insert(0, LeftOut(dropped.path, dropped.tokens, LeftOutReason.RESPONSE_SIZE))
                excess -= limit.size_of(file_section(dropped, level + 1))
            if excess <= 0:
                break
        markdown = render()  # the trees and the lists of what is left out changed a little too
        excess = limit.size_of(markdown) - limit.most
    return markdown


def render_digest(section: DigestSection) -> str:
    """One import's digest."""
    return _section_text(section, level=1)


def render_project_digest(digest: ProjectDigest) -> str:
    """A project's digest: its header, each import's section a level down, then the imports left out."""
    parts = [_project_header(digest)]
    parts += [_section_text(section, level=2) for section in digest.sections]
    if digest.imports_left_out:
        parts.append(_imports_left_out_section(digest.imports_left_out))
    return "\n".join(parts)


def _section_text(section: DigestSection, level: int) -> str:
    below = level + 1
    parts = [_header(section, level), _tree_section([file.path for file in section.files], below)]
    parts += [file_section(file, below) for file in section.files]
    if section.left_out:
        parts.append(_left_out_section(section.left_out, below))
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


def _header(section: DigestSection, level: int) -> str:
    source, files = section.source, section.files
    ref = f"ref {code_span(source.source_ref)}" if source.source_ref else "the default branch"
    commit = code_span(source.commit_sha) if source.commit_sha else "none (an upload)"
    included_tokens = sum(file.tokens or 0 for file in files)
    kept_files, included_files = _counted(source.kept_files, "file"), _counted(len(files), "file")
    lines = [
        f"{_heading(level)} {_one_line(source.title)}",
        "",
        f"- Import: {code_span(str(source.import_id))}",
        f"- Source: {code_span(source.source_type)} {code_span(source.source_path)}, {ref}",
        f"- Commit: {commit}",
        f"- Imported: {source.imported_at}",
        f"- Kept: {kept_files}, {source.kept_bytes:,} bytes, {_tokens(source.kept_tokens)} (o200k_base); "
        f"skipped: {source.skipped_files:,}; secret findings: {source.secrets_found:,}",
        f"- In this document: {included_files}, {included_tokens:,} tokens; left out: {len(section.left_out):,}",
        "",
    ]
    return "\n".join(lines)


def _project_header(digest: ProjectDigest) -> str:
    sections = digest.sections
    readable = len(sections) + len(digest.imports_left_out)
    files = sum(len(section.files) for section in sections)
    tokens = sum(file.tokens or 0 for section in sections for file in section.files)
    files_left_out = sum(len(section.left_out) for section in sections)
    lines = [
        "# Project context",
        "",
        f"- Project: {code_span(str(digest.project_id))}; "
        f"imports with a completed run, in the order they were created: {readable:,}",
        f"- In this document: {_counted(len(sections), 'import')}, {_counted(files, 'file')}, {tokens:,} tokens; "
        f"left out: {_counted(len(digest.imports_left_out), 'import')}, {_counted(files_left_out, 'file')}",
        "",
    ]
    return "\n".join(lines)


def _tree_section(paths: Sequence[str], level: int) -> str:
    tree = "\n".join(_tree_lines(paths)) or "(no files)"
    fence = fence_for(tree)
    return f"{_heading(level)} Files\n\n{fence}text\n{tree}\n{fence}\n"


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


def file_section(file: DigestFile, level: int = 2) -> str:
    """A file's part of the digest: its heading (at `level`) and its fenced block."""
    fence = fence_for(file.text)
    body = file.text if file.text.endswith("\n") or not file.text else file.text + "\n"
    return f"{_heading(level)} {code_span(file.path)}\n\n{fence}{file.language or ''}\n{body}{fence}\n"


def _left_out_section(left_out: Sequence[LeftOut], level: int) -> str:
    lines = [f"{_heading(level)} Left out", ""]
    lines += [f"- {code_span(each.path)}: {_tokens(each.tokens)} ({code_span(each.reason.value)})" for each in left_out]
    return "\n".join(lines) + "\n"


def _imports_left_out_section(imports: Sequence[ImportLeftOut]) -> str:
    lines = ["## Imports left out", ""]
    lines += [
        f"- {code_span(str(each.import_id))} {code_span(each.source_type)} {code_span(each.source_path)}: "
        f"{_counted(each.kept_files, 'file')}, {_tokens(each.kept_tokens)} ({code_span(each.reason.value)})"
        for each in imports
    ]
    return "\n".join(lines) + "\n"


def _heading(level: int) -> str:
    return "#" * level


def _tokens(count: int | None) -> str:
    return _counted(count, "token") if count is not None else "uncounted tokens"


def _counted(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def _escaped(text: str) -> str:
    return _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", text)


def _one_line(text: str) -> str:
    return _escaped(text.replace("\r\n", " ").replace("\n", " "))
