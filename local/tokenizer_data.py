"""Makes src/importer/tiktoken_cache from the o200k_base ranks npm's js-tiktoken ships (`make tokenizer-data`).

tiktoken downloads an encoding's ranks on first use unless its cache already holds them; Lambda has no
reason to reach the internet, so the ranks ship with the code, in tiktoken's own file format, under
the name tiktoken's cache gives them. tiktoken pins the file's SHA-256 and checks it on every load;
this refuses to write a file that fails that check.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any
from unittest import mock

import tiktoken
from tiktoken_ext import openai_public

from importer.token_counts import CACHE_FOLDER, ENCODING_NAME, tiktoken_cache

ROOT = Path(__file__).resolve().parent.parent
JS_TIKTOKEN_RANKS = ROOT / "tools" / "node" / "node_modules" / "js-tiktoken" / "dist" / "ranks" / f"{ENCODING_NAME}.cjs"
_EXPORT = "module.exports = "
_HELLO_WORLD = [24912, 2375]  # o200k_base's tokens for "hello world", as OpenAI's tokenizer shows them


def tiktoken_source() -> tuple[str, str]:
    """The URL tiktoken loads o200k_base from and the SHA-256 it pins, asked of tiktoken itself."""
    asked: dict[str, str] = {}

    def record(blobpath: str, expected_hash: str) -> dict[bytes, int]:
        asked.update(blobpath=blobpath, expected_hash=expected_hash)
        return {}

    with mock.patch.object(openai_public, "load_tiktoken_bpe", record):
        openai_public.o200k_base()
    return asked["blobpath"], asked["expected_hash"]


def cache_file_name(blobpath: str) -> str:
    """The name tiktoken's cache gives the file it loads from `blobpath` (tiktoken/load.py)."""
    return hashlib.sha1(blobpath.encode()).hexdigest()  # noqa: S324 (tiktoken's cache key, not a digest of trust)


def tiktoken_file(js_ranks: str) -> bytes:
    """js-tiktoken's compressed ranks (lines of `<prefix> <first rank> <token> <token> ...`, each token
    base64) as tiktoken's file: one `<token> <rank>` line per token, in rank order."""
    source = js_ranks.strip()
    if not source.startswith(_EXPORT):
        raise ValueError(f"{JS_TIKTOKEN_RANKS.name} is not the module js-tiktoken ships")
    ranks: dict[str, Any] = json.loads(source.removeprefix(_EXPORT).rstrip(";"))
    ranked: dict[int, str] = {}
    for line in filter(None, ranks["bpe_ranks"].split("\n")):
        _, first, *tokens = line.split(" ")
        for offset, token in enumerate(tokens):
            base64.b64decode(token, validate=True)  # a token that is not base64 is not the ranks file
            ranked[int(first) + offset] = token
    return b"".join(f"{ranked[rank]} {rank}\n".encode() for rank in sorted(ranked))


def main() -> None:
    blobpath, expected_hash = tiktoken_source()
    contents = tiktoken_file(JS_TIKTOKEN_RANKS.read_text(encoding="utf-8"))
    actual = hashlib.sha256(contents).hexdigest()
    if actual != expected_hash:
        sys.exit(f"error: the converted ranks hash to {actual}, tiktoken pins {expected_hash}")
    with tempfile.TemporaryDirectory() as folder:  # tiktoken's own load, before anything is replaced
        (Path(folder) / cache_file_name(blobpath)).write_bytes(contents)
        with tiktoken_cache(Path(folder)):
            encoding = tiktoken.Encoding(**openai_public.o200k_base())
        if encoding.encode_ordinary("hello world") != _HELLO_WORLD:
            sys.exit("error: tiktoken does not encode with the converted ranks as o200k_base does")
    CACHE_FOLDER.mkdir(exist_ok=True)
    for stale in CACHE_FOLDER.iterdir():
        if stale.name != "README.md":
            stale.unlink()
    (CACHE_FOLDER / cache_file_name(blobpath)).write_bytes(contents)
    print(f"wrote {CACHE_FOLDER / cache_file_name(blobpath)} ({len(contents):,} bytes, sha256 {actual})")


if __name__ == "__main__":
    main()
