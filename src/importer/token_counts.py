"""Token counts with OpenAI's `o200k_base` encoding (what repomix and gitingest count with), offline.

tiktoken loads an encoding's ranks from its cache folder when the file is there (checking the SHA-256
it pins) and downloads them otherwise. The ranks ship in CACHE_FOLDER, made by `make tokenizer-data`
from npm's js-tiktoken, so nothing is downloaded at run time.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path

import tiktoken

ENCODING_NAME = "o200k_base"
CACHE_FOLDER = Path(__file__).resolve().parent / "tiktoken_cache"
_CACHE_SETTING = "TIKTOKEN_CACHE_DIR"
_NOT_RANKS = "README.md"
# tiktoken's regex engine (fancy-regex) overflows its stack, and panics, on a run of about a million
# whitespace characters, which a kept file (at most 1 MiB) can hold. A longer run than this is counted
# in slices of this many characters, so such a file's count may differ from the whole text's by a few
# tokens; every other text is counted exactly as tiktoken encodes it.
LONGEST_WHITESPACE_RUN = 100_000
_WHITESPACE = re.compile(r"\s+")


class TokenizerDataMissing(RuntimeError):
    """The encoding's ranks are not where the code ships them."""


@contextmanager
def tiktoken_cache(folder: Path) -> Iterator[None]:
    """tiktoken reads its cache folder from the environment at the moment it loads an encoding."""
    if not any(entry.name != _NOT_RANKS for entry in folder.glob("*")):
        # Else tiktoken would try to download them.
        raise TokenizerDataMissing(f"no {ENCODING_NAME} ranks in {folder}; run make tokenizer-data")
    before = os.environ.get(_CACHE_SETTING)
    os.environ[_CACHE_SETTING] = str(folder)
    try:
        yield
    finally:
        if before is None:
            del os.environ[_CACHE_SETTING]
        else:
            os.environ[_CACHE_SETTING] = before


class O200kTokenCounter:
    """domain.context_policy.TokenCounter. The encoding (about 1 s and 100 MB to load) is loaded on the
    first count and kept for the execution environment's life: only the worker ever counts."""

    def __init__(self) -> None:
        self._encoding: tiktoken.Encoding | None = None

    def count(self, text: str) -> int:
        encoding = self._loaded()
        # Ordinary: a file that contains `<|endoftext|>` is counted as the text it is.
        return sum(len(encoding.encode_ordinary(part)) for part in _parts(text))

    def _loaded(self) -> tiktoken.Encoding:
        if self._encoding is None:
            with tiktoken_cache(CACHE_FOLDER):
                self._encoding = tiktoken.get_encoding(ENCODING_NAME)
        return self._encoding


def _parts(text: str) -> list[str]:
    """The text, cut inside every whitespace run longer than LONGEST_WHITESPACE_RUN (usually whole)."""
    cuts = [
        cut
        for run in _WHITESPACE.finditer(text)
        for cut in range(run.start() + LONGEST_WHITESPACE_RUN, run.end(), LONGEST_WHITESPACE_RUN)
    ]
    bounds = [0, *cuts, len(text)]
    return [text[start:end] for start, end in pairwise(bounds)]
