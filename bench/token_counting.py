"""Counting tokens (o200k_base) as the worker does: loading the encoding, then a budget's worth of text.

In a fresh process per round (the encoding's load is a once-per-environment cost): how long the load
takes and how much memory it adds, then the seconds to count the import budget's 16 MiB of this
repository's own tracked text (each file counted on its own, as kept files are), and the two worst files
a kept file may be: 1 MiB of one letter (one BPE piece) and 1 MiB of spaces (the sliced path).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

from bench.archive_reading_child import peak_rss_kib
from bench.cold_start import ROOT, child_environment
from domain.context_policy import ImportBudget

ROUNDS = 3
_ONE_MIB = 1024 * 1024


@dataclass(frozen=True)
class TokenCounting:
    load_seconds: float
    load_rss_mib: float
    budget_mib: float
    budget_files: int
    budget_tokens: int
    budget_seconds: float
    one_letter_seconds: float
    spaces_seconds: float


def _repository_texts() -> list[str]:
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    texts = []
    for name in tracked:
        path = ROOT / name
        if name.startswith("src/importer/tiktoken_cache/") or not path.is_file():
            continue
        try:
            texts.append(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            continue
    return texts


def _budget_of_text() -> list[str]:
    """The repository's text files, repeated until they fill the import's byte budget."""
    texts, chosen, size = _repository_texts(), [], 0
    budget = ImportBudget().max_bytes
    while size < budget:
        for text in texts:
            if size >= budget:
                break
            chosen.append(text)
            size += len(text.encode())
    return chosen


def _child() -> None:
    from importer.token_counts import O200kTokenCounter  # noqa: PLC0415 (measured from here on)

    texts = _budget_of_text()
    before = peak_rss_kib()
    counter = O200kTokenCounter()
    started = time.perf_counter()
    counter.count("load")
    load_seconds = time.perf_counter() - started
    loaded = peak_rss_kib()
    started = time.perf_counter()
    tokens = sum(counter.count(text) for text in texts)
    budget_seconds = time.perf_counter() - started
    started = time.perf_counter()
    counter.count("x" * _ONE_MIB)
    one_letter_seconds = time.perf_counter() - started
    started = time.perf_counter()
    counter.count(" " * _ONE_MIB)
    spaces_seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "load_seconds": load_seconds,
                "load_rss_mib": (loaded - before) / 1024,
                "budget_mib": sum(len(text.encode()) for text in texts) / _ONE_MIB,
                "budget_files": len(texts),
                "budget_tokens": tokens,
                "budget_seconds": budget_seconds,
                "one_letter_seconds": one_letter_seconds,
                "spaces_seconds": spaces_seconds,
            }
        )
    )


def measure() -> TokenCounting:
    rounds = []
    for _ in range(ROUNDS):
        answer = subprocess.run(
            [sys.executable, "-m", "bench.token_counting", "--child"],
            env=child_environment(),
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        rounds.append(json.loads(answer.stdout.splitlines()[-1]))
    return TokenCounting(**{name: statistics.median(run[name] for run in rounds) for name in rounds[0]})


if __name__ == "__main__" and sys.argv[1:] == ["--child"]:
    _child()
