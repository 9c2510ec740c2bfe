"""The digest's Markdown, read back with a CommonMark parser as a chat's renderer reads it: every file
once in a block of its own that nothing inside it can close, the tree, the budget and what it left out."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from domain.import_digest import (
    ContentLocation,
    DigestBudget,
    DigestFile,
    DigestSection,
    DigestSource,
    ImportLeftOut,
    KeptEntry,
    LeftOut,
    LeftOutReason,
    ProjectDigest,
    ResponseLimit,
    code_span,
    fence_for,
    plan_digest,
    render_digest,
    render_project_digest,
    within,
)

SOURCE = DigestSource(
    import_id=42,
    title="Demo",
    source_type="github",
    source_path="octo/demo",
    source_ref=None,
    commit_sha="9" * 40,
    imported_at="2026-12-01T12:00:00.000Z",
    kept_files=3,
    kept_bytes=120,
    kept_tokens=40,
    skipped_files=2,
    secrets_found=1,
)
PARSER = MarkdownIt("commonmark")


def parsed(markdown: str) -> list[Token]:
    return PARSER.parse(markdown)


def fences(markdown: str) -> list[Token]:
    return [token for token in parsed(markdown) if token.type == "fence"]


def h2_texts(markdown: str) -> list[str]:
    tokens = parsed(markdown)
    return [
        (tokens[i + 1].children or [])[0].content
        for i, token in enumerate(tokens)
        if token.type == "heading_open" and token.tag == "h2"
    ]


def rendered(files: list[DigestFile], left_out: list[LeftOut]) -> str:
    return render_digest(DigestSection(SOURCE, files, left_out))


def file(path: str, text: str, language: str | None = "markdown", tokens: int | None = 5) -> DigestFile:
    return DigestFile(path, language, tokens, text)


def test_each_file_is_one_block_tagged_with_its_language_after_the_tree() -> None:
    files = [file("README.md", "# Demo\n"), file("package.json", '{"name": "demo"}\n', "json")]

    markdown = rendered(files, [])

    blocks = fences(markdown)
    assert [(block.info, block.content) for block in blocks] == [
        ("text", "README.md\npackage.json\n"),
        ("markdown", "# Demo\n"),
        ("json", '{"name": "demo"}\n'),
    ]
    assert h2_texts(markdown) == ["Files", "README.md", "package.json"]


def test_a_file_full_of_backtick_runs_cannot_close_its_block_early() -> None:
    hostile = "```\n# Not a heading\n````\n`````python\nstill inside\n"
    files = [file("docs/fences.md", hostile), file("after.md", "after\n")]

    blocks = fences(rendered(files, []))

    assert [block.content for block in blocks[1:]] == [hostile, "after\n"]
    assert blocks[1].markup == "``````"


def test_a_path_with_backticks_and_a_newline_stays_one_heading() -> None:
    path = "docs/`odd`\n# injected.md"

    markdown = rendered([file(path, "x\n")], [])

    assert h2_texts(markdown) == ["Files", "docs/`odd`\\x0a# injected.md"]
    assert sum(1 for token in parsed(markdown) if token.type == "heading_open" and token.tag == "h1") == 1


@given(st.text(alphabet=st.sampled_from("`~\n #ab\\"), max_size=60))
def test_any_text_comes_back_whole_from_its_block(text: str) -> None:
    blocks = fences(rendered([file("f.md", text)], []))

    expected = text if text.endswith("\n") or not text else text + "\n"
    assert blocks[1].content == expected


@pytest.mark.parametrize(("text", "fence"), [("plain", "```"), ("a ``` b", "````"), ("`````", "``````")])
def test_the_fence_outnumbers_the_longest_backtick_run(text: str, fence: str) -> None:
    assert fence_for(text) == fence


def test_a_code_span_pads_text_that_starts_with_a_backtick() -> None:
    assert code_span("`a") == "`` `a ``"


def test_the_tree_shows_each_folder_once_before_its_files() -> None:
    paths = ["src/app/main.py", "README.md", "src/app/util.py", "src/setup.cfg"]

    tree = fences(rendered([file(path, "x\n") for path in paths], []))[0].content

    assert tree == "README.md\nsrc/\n  app/\n    main.py\n    util.py\n  setup.cfg\n"


def entry(path: str, size: int, tokens: int) -> KeptEntry:
    return KeptEntry(path, size, tokens, ContentLocation(f"files/{path}"))


def paths(entries: list[KeptEntry]) -> list[str]:
    return [each.path for each in entries]


def test_the_plan_stops_before_max_tokens_and_leaves_out_the_rest_in_order() -> None:
    entries = [entry("a", 10, 40), entry("b", 10, 50), entry("c", 10, 5)]

    plan = plan_digest(entries, max_tokens=60, max_bytes=1000)

    assert paths(plan.included) == ["a"]
    assert plan.left_out == [LeftOut("b", 50, LeftOutReason.MAX_TOKENS), LeftOut("c", 5, LeftOutReason.MAX_TOKENS)]


def test_the_plan_takes_everything_that_fits_exactly() -> None:
    entries = [entry("a", 10, 40), entry("b", 10, 20)]

    assert paths(plan_digest(entries, max_tokens=60, max_bytes=20).included) == ["a", "b"]
    assert plan_digest(entries, max_tokens=None, max_bytes=15).left_out == [
        LeftOut("b", 20, LeftOutReason.RESPONSE_SIZE)
    ]


def test_the_header_and_the_left_out_list_say_what_the_document_holds() -> None:
    left_out = [LeftOut("big.md", 900, LeftOutReason.MAX_TOKENS)]

    markdown = rendered([file("README.md", "# Demo\n", tokens=7)], left_out)

    assert "- Source: `github` `octo/demo`, the default branch\n" in markdown
    assert f"- Commit: `{'9' * 40}`\n" in markdown
    assert "- Kept: 3 files, 120 bytes, 40 tokens (o200k_base); skipped: 2; secret findings: 1\n" in markdown
    assert "- In this document: 1 file, 7 tokens; left out: 1\n" in markdown
    assert markdown.endswith("## Left out\n\n- `big.md`: 900 tokens (`max_tokens`)\n")


def test_files_past_the_response_limit_move_to_the_left_out_list_from_the_end() -> None:
    files = [file(f"f{n}.md", "多" * 1000, tokens=1) for n in range(5)]  # escaped as JSON: 6 bytes each
    escaped = ResponseLimit(lambda text: len(json.dumps(text)), 15_000)

    section = DigestSection(SOURCE, list(files))
    markdown = within(escaped, [section], lambda: render_digest(section))

    assert len(json.dumps(markdown)) <= 15_000
    assert [block.content for block in fences(markdown)[1:]] == ["多" * 1000 + "\n"] * 2
    assert markdown.endswith("".join(f"- `f{n}.md`: 1 token (`response_size`)\n" for n in (2, 3, 4)))


def test_a_digest_within_its_limit_is_rendered_as_it_is() -> None:
    files = [file("a.md", "text\n")]

    section = DigestSection(SOURCE, list(files))
    assert within(ResponseLimit(len, 10_000), [section], lambda: render_digest(section)) == rendered(files, [])


def headings(markdown: str) -> list[tuple[str, str]]:
    tokens = parsed(markdown)
    return [
        (token.tag, (tokens[i + 1].children or [])[0].content)
        for i, token in enumerate(tokens)
        if token.type == "heading_open"
    ]


def test_one_budget_is_spent_across_imports_and_stays_spent() -> None:
    budget = DigestBudget(max_tokens=25, max_bytes=1000)

    first = budget.plan([entry("a", 10, 10), entry("b", 10, 10)])
    second = budget.plan([entry("c", 10, 4), entry("d", 10, 10), entry("e", 1, 1)])
    third = budget.plan([entry("f", 1, 0)])

    assert (paths(first.included), paths(second.included), paths(third.included)) == (["a", "b"], ["c"], [])
    assert second.left_out == [LeftOut("d", 10, LeftOutReason.MAX_TOKENS), LeftOut("e", 1, LeftOutReason.MAX_TOKENS)]
    assert third.left_out == [LeftOut("f", 0, LeftOutReason.MAX_TOKENS)]  # nothing after the first refusal
    assert budget.spent is LeftOutReason.MAX_TOKENS


def test_a_project_digest_puts_each_import_a_heading_level_down_and_lists_the_imports_left_out() -> None:
    hostile = "## Not a section\n```\n### Not a file\n"
    second = replace(SOURCE, import_id=43, title="Other")
    digest = ProjectDigest(
        789,
        [
            DigestSection(SOURCE, [file("README.md", hostile, tokens=7)]),
            DigestSection(second, [file("a.md", "a\n", tokens=2)], [LeftOut("b.md", 9, LeftOutReason.MAX_TOKENS)]),
        ],
        [ImportLeftOut(44, "github", "octo/gone", 3, 30, LeftOutReason.ACCESS)],
    )

    markdown = render_project_digest(digest)

    assert headings(markdown) == [
        ("h1", "Project context"),
        ("h2", "Demo"),
        ("h3", "Files"),
        ("h3", "README.md"),
        ("h2", "Other"),
        ("h3", "Files"),
        ("h3", "a.md"),
        ("h3", "Left out"),
        ("h2", "Imports left out"),
    ]
    assert [block.content for block in fences(markdown)][1] == hostile
    assert "- In this document: 2 imports, 2 files, 9 tokens; left out: 1 import, 1 file\n" in markdown
    assert markdown.endswith("## Imports left out\n\n- `44` `github` `octo/gone`: 3 files, 30 tokens (`access`)\n")


def test_past_the_response_limit_a_project_digest_drops_files_from_its_last_import_first() -> None:
    sections = [
        DigestSection(SOURCE, [file("a.md", "a" * 3000, tokens=1)]),
        DigestSection(SOURCE, [file("b.md", "b" * 3000, tokens=1), file("c.md", "c" * 3000, tokens=1)]),
    ]
    digest = ProjectDigest(789, sections)
    whole = render_project_digest(digest)

    markdown = within(ResponseLimit(len, len(whole) - 4000), sections, lambda: render_project_digest(digest), 2)

    assert len(markdown) <= len(whole) - 4000
    assert [[each.path for each in section.files] for section in sections] == [["a.md"], []]
    assert [[each.path for each in section.left_out] for section in sections] == [[], ["b.md", "c.md"]]
    assert "- `b.md`: 1 token (`response_size`)\n- `c.md`: 1 token (`response_size`)\n" in markdown
