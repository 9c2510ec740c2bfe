"""One archive read by the importer's core, in a fresh process: `python -m bench.archive_reading_child PATH`.

Prints one JSON line: the seconds the read took (imports excluded), the process's peak RSS after its
imports and at the end (VmHWM), and what was listed and kept.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from domain.context_policy import BudgetUse, ContentJudges, ContextPolicy, KeptFile
from importer.secret_scan import DetectSecretsScanner
from importer.tar_archive import read_archive
from importer.token_counts import O200kTokenCounter


def peak_rss_kib() -> int:
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:", 1)[1].split()[0])


def main(path: str) -> None:
    kept_bytes = 0

    def keep(file: KeptFile) -> None:
        nonlocal kept_bytes
        kept_bytes += len(file.content)

    with DetectSecretsScanner() as scanner:
        scanner.findings("warm-up.txt", "detect-secrets loads its plugins on the first scan\n")
        tokens = O200kTokenCounter()
        tokens.count("tiktoken loads o200k_base's ranks on the first count")
        before = peak_rss_kib()
        started = time.perf_counter()
        with open(path, "rb") as archive:
            tree = read_archive(
                archive, policy=ContextPolicy(), budget=BudgetUse(), judges=ContentJudges(scanner, tokens), keep=keep
            )
        seconds = time.perf_counter() - started
    figures = {"seconds": seconds, "rss_before_kib": before, "peak_rss_kib": peak_rss_kib()}
    print(json.dumps(figures | {"files": len(tree.files), "kept": tree.kept_files, "kept_bytes": kept_bytes}))


if __name__ == "__main__":
    main(sys.argv[1])
