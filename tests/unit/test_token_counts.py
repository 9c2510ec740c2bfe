"""o200k_base token counts: the ranks the code ships are js-tiktoken's, and tiktoken counts with them
as js-tiktoken does, on a corpus of real files (code, prose, non-ASCII text, emoji), offline."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from functools import cache
from itertools import groupby
from pathlib import Path

import pytest
import tiktoken

from importer.token_counts import (
    CACHE_FOLDER,
    ENCODING_NAME,
    LONGEST_WHITESPACE_RUN,
    O200kTokenCounter,
    tiktoken_cache,
)
from local.tokenizer_data import JS_TIKTOKEN_RANKS, cache_file_name, tiktoken_file, tiktoken_source

ROOT = Path(__file__).resolve().parents[2]
COUNTER = Path(__file__).resolve().parents[1] / "js_tiktoken_counts.cjs"
NODE_MODULES = ROOT / "tools" / "node" / "node_modules"
# The CJK sample texts CPython's own tests decode (real prose in Chinese, Japanese and Korean).
CJK_TEXTS = (
    Path(sys.base_prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "test" / "cjkencodings"
)
_TEXT_SUFFIXES = {".py", ".md", ".json", ".yaml", ".yml", ".toml", ".ts", ".js", ".cjs", ".txt", ".html", ".css"}
_EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")
_MOST_BYTES = 256 * 1024
# js-tiktoken merges a piece in quadratic time: a run of one character thousands long (events/413-*.json
# hold 70,000 spaces) would take it minutes. tiktoken's own count of such runs is tested below.
_LONGEST_RUN = 2000


def _utf8_text(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return None


@cache
def corpus() -> dict[Path, str]:
    """This repository's tracked text, the pinned npm packages' documentation and types, CPython's CJK samples."""
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    candidates = [ROOT / name for name in tracked if not name.startswith("src/importer/tiktoken_cache/")]
    candidates += sorted(NODE_MODULES.glob("*/**/*.md")) + sorted(NODE_MODULES.glob("*/**/*.d.ts"))
    candidates += sorted(CJK_TEXTS.glob("*-utf8.txt"))
    files: dict[Path, str] = {}
    for path in candidates:
        if path.suffix in _TEXT_SUFFIXES and path.is_file() and path.stat().st_size <= _MOST_BYTES:
            text = _utf8_text(path)
            if text is not None and _longest_run(text) <= _LONGEST_RUN:
                files[path] = text
    return files


def _longest_run(text: str) -> int:
    return max((sum(1 for _ in run) for _, run in groupby(text)), default=0)


def js_tiktoken_counts(texts: list[str]) -> list[int]:
    answer = subprocess.run(
        ["node", str(COUNTER)],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    counts: list[int] = json.loads(answer.stdout)
    return counts


def test_the_corpus_is_large_and_varied() -> None:
    texts = list(corpus().values())
    assert len(texts) >= 200
    assert sum(1 for text in texts if any(ord(character) > 127 for character in text)) >= 40
    assert sum(1 for text in texts if _EMOJI.search(text)) >= 5
    assert sum(1 for path in corpus() if path.suffix in {".py", ".js", ".ts", ".cjs"}) >= 100
    assert sum(1 for path in corpus() if path.suffix in {".md", ".txt"}) >= 50
    assert sum(1 for path in corpus() if path.parent == CJK_TEXTS) >= 5


def test_tiktoken_counts_every_file_of_the_corpus_as_js_tiktoken_does() -> None:
    files = corpus()
    counter = O200kTokenCounter()

    ours = [counter.count(text) for text in files.values()]
    theirs = js_tiktoken_counts(list(files.values()))

    differing = [(str(path), a, b) for path, a, b in zip(files, ours, theirs, strict=True) if a != b]
    assert differing == []
    assert sum(ours) > 100_000


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("hello world", 2),  # OpenAI's tokenizer page shows [24912, 2375]
        ("", 0),
    ],
)
def test_known_counts(text: str, tokens: int) -> None:
    assert O200kTokenCounter().count(text) == tokens


def test_a_special_tokens_text_in_a_file_is_counted_as_text_not_refused() -> None:
    text = "A model's output ends with <|endoftext|> and a prompt with <|endofprompt|>.\n"

    counted = O200kTokenCounter().count(text)

    assert counted == js_tiktoken_counts([text])[0]
    assert counted > 2  # each is several ordinary tokens, not the one special token


def test_the_shipped_ranks_are_js_tiktokens_converted_and_hash_as_tiktoken_pins() -> None:
    blobpath, expected_hash = tiktoken_source()
    shipped = (CACHE_FOLDER / cache_file_name(blobpath)).read_bytes()

    assert shipped == tiktoken_file(JS_TIKTOKEN_RANKS.read_text(encoding="utf-8"))
    assert hashlib.sha256(shipped).hexdigest() == expected_hash
    assert sorted(entry.name for entry in CACHE_FOLDER.iterdir()) == sorted(["README.md", cache_file_name(blobpath)])


def test_a_run_of_a_million_spaces_is_counted_not_a_crash() -> None:
    # tiktoken alone panics on it (fancy-regex's stack); a kept file of at most 1 MiB can hold it.
    counter = O200kTokenCounter()
    slice_tokens = counter.count(" " * LONGEST_WHITESPACE_RUN)

    counted = counter.count(" " * 1_040_000 + "end")

    assert counted == pytest.approx(10.4 * slice_tokens, rel=0.01)


def test_whitespace_runs_up_to_the_slice_are_counted_whole() -> None:
    text = "start" + " " * LONGEST_WHITESPACE_RUN + "end\n" + "\n" * 5000

    with tiktoken_cache(CACHE_FOLDER):
        whole = tiktoken.get_encoding(ENCODING_NAME).encode_ordinary(text)

    assert O200kTokenCounter().count(text) == len(whole)
