"""Reading a repository's tar.gz: what is listed and kept, and every archive that is refused."""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from domain.context_policy import (
    MAX_FILE_BYTES,
    MAX_PATTERNS,
    PATTERN_MAX_LENGTH,
    BudgetUse,
    Category,
    ContextPolicy,
    ImportBudget,
    KeptFile,
    SecretFinding,
    SkipReason,
)
from domain.import_failures import FailureCode, ImportFailed
from importer.tar_archive import ArchiveLimits, ImportedTree, git_blob_sha, read_archive
from tests.archives import COMMIT, TOP, Member, fake_judges, file_at, github_archive, link, special


def read(
    archive: bytes,
    *,
    policy: ContextPolicy | None = None,
    limits: ArchiveLimits | None = None,
    budget: ImportBudget | None = None,
) -> tuple[ImportedTree, list[KeptFile]]:
    kept: list[KeptFile] = []
    tree = read_archive(
        io.BytesIO(archive),
        policy=policy or ContextPolicy(),
        budget=BudgetUse(budget or ImportBudget()),
        judges=fake_judges(),
        keep=kept.append,
        limits=limits,
    )
    return tree, kept


def reasons(tree: ImportedTree) -> dict[str, SkipReason | None]:
    return {listed.path: listed.skipped_reason for listed in tree.files}


def refusal(archive: bytes, *, limits: ArchiveLimits | None = None) -> ImportFailed:
    with pytest.raises(ImportFailed) as raised:
        read(archive, limits=limits)
    return raised.value


DEMO = {
    "package.json": b'{"name": "demo", "scripts": {"test": "vitest"}}\n',
    "Dockerfile": b'FROM node:22-slim\nCMD ["npm", "start"]\n',
    ".github/workflows/test.yml": b"on: push\njobs: {}\n",
    "README.md": "# Démo ✨\n".encode(),
    "src/index.ts": b"export const answer = 42;\n",
    "docs/logo.md": b"\x89PNG\r\n\x1a\n\0\0\0",
    ".env": b"TOKEN=abc\n",
    "config/settings.yml": b"token: PLANTED\n",
}


def test_every_file_is_listed_with_why_it_was_kept_or_not() -> None:
    tree, _ = read(github_archive(DEMO))

    assert reasons(tree) == {
        "package.json": None,
        "Dockerfile": None,
        ".github/workflows/test.yml": None,
        "README.md": None,
        "src/index.ts": SkipReason.NOT_SELECTED,
        "docs/logo.md": SkipReason.BINARY,
        ".env": SkipReason.DENIED_NAME,
        "config/settings.yml": SkipReason.NOT_SELECTED,
    }
    assert tree.commit_sha == COMMIT
    assert (tree.kept_files, tree.skipped_files) == (4, 4)


def test_kept_files_are_byte_identical_and_their_sha_is_gits_blob_sha() -> None:
    tree, kept = read(github_archive(DEMO))

    assert {file.path: file.content for file in kept} == {
        path: DEMO[path] for path in ("package.json", "Dockerfile", ".github/workflows/test.yml", "README.md")
    }
    readme = next(listed for listed in tree.files if listed.path == "README.md")
    assert readme.sha == git_blob_sha(DEMO["README.md"])
    assert (readme.size, readme.category, readme.language) == (
        len(DEMO["README.md"]),
        Category.DOCUMENTATION,
        "markdown",
    )
    assert tree.kept_bytes == sum(len(file.content) for file in kept)


def test_the_sha_is_the_one_git_itself_computes(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(DEMO["README.md"])
    env = {**os.environ, "GIT_DIR": str(tmp_path / ".git")}

    by_git = subprocess.run(
        ["git", "hash-object", str(tmp_path / "file")], capture_output=True, text=True, check=True, env=env
    )

    assert git_blob_sha(DEMO["README.md"]) == by_git.stdout.strip()


def test_a_file_with_a_secret_is_listed_with_its_finding_and_not_kept() -> None:
    tree, kept = read(github_archive(DEMO), policy=ContextPolicy(include_patterns=("config/",)))

    settings = next(listed for listed in tree.files if listed.path == "config/settings.yml")
    assert settings.skipped_reason is SkipReason.SECRET
    assert settings.secrets == (SecretFinding(1, "Planted"),)
    assert "config/settings.yml" not in {file.path for file in kept}
    assert tree.secrets_found == 1


def test_a_file_over_the_size_limit_is_listed_as_too_large_with_its_sha() -> None:
    large = b"a" * (MAX_FILE_BYTES + 1)

    tree, kept = read(github_archive({"README.md": large}))

    assert reasons(tree) == {"README.md": SkipReason.TOO_LARGE}
    assert tree.files[0].sha == git_blob_sha(large)
    assert kept == []


def test_links_are_listed_and_never_followed() -> None:
    archive = github_archive(
        {"README.md": b"# Demo\n"},
        extra=(link(f"{TOP}/docs/secret.md", "/etc/passwd"), link(f"{TOP}/Dockerfile", f"{TOP}/README.md", hard=True)),
    )

    tree, kept = read(archive)

    assert reasons(tree) == {"README.md": None, "docs/secret.md": SkipReason.LINK, "Dockerfile": SkipReason.LINK}
    assert [file.path for file in kept] == ["README.md"]


def test_a_budget_keeps_a_partial_result_instead_of_failing() -> None:
    files = {f"docs/page{n}.md": b"# page\n" for n in range(5)}

    tree, kept = read(github_archive(files), budget=ImportBudget(max_files=3))

    assert [listed.skipped_reason for listed in tree.files] == [None, None, None, SkipReason.BUDGET, SkipReason.BUDGET]
    assert len(kept) == 3


def test_an_archive_without_githubs_pax_header_has_no_commit() -> None:
    tree, _ = read(github_archive({"README.md": b"x"}, commit=None))

    assert tree.commit_sha is None


@pytest.mark.parametrize(
    ("member", "problem"),
    [
        (file_at(f"{TOP}/../escape.md"), "'..'"),
        (file_at("../escape.md"), "'..'"),
        (file_at("/etc/cron.d/job"), "absolute"),
        (file_at("C:/Windows/win.ini"), "absolute"),
        (file_at("another-top/README.md"), "outside its top folder"),
        (file_at(f"{TOP}//README.md"), "empty"),
        (file_at(f"{TOP}/README.md"), "same path twice"),
        (special(f"{TOP}/dev/null", tarfile.CHRTYPE), "neither a file"),
        (special(f"{TOP}/pipe", tarfile.FIFOTYPE), "neither a file"),
    ],
)
def test_an_entry_that_is_not_plainly_inside_the_tree_fails_the_import(member: Member, problem: str) -> None:
    error = refusal(github_archive({"README.md": b"x"}, extra=(member,)))

    assert error.code is FailureCode.UNSAFE_ARCHIVE
    assert problem in str(error)


def test_a_name_that_is_not_utf8_fails_the_import() -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.GNU_FORMAT, encoding="latin-1") as archive:
        folder = tarfile.TarInfo(TOP)
        folder.type = tarfile.DIRTYPE
        archive.addfile(folder)
        info = tarfile.TarInfo(f"{TOP}/caf\xe9.md")
        archive.addfile(info, io.BytesIO(b""))

    assert "UTF-8" in str(refusal(buffer.getvalue()))


def test_an_archive_that_does_not_begin_with_its_top_folder_fails() -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("README.md")
        archive.addfile(info, io.BytesIO(b""))

    assert "top folder" in str(refusal(buffer.getvalue()))


def test_more_entries_than_the_limit_fail_as_unsafe() -> None:
    files = {f"f{n}.txt": b"" for n in range(10)}

    error = refusal(github_archive(files), limits=ArchiveLimits(max_entries=10))

    assert error.code is FailureCode.UNSAFE_ARCHIVE
    assert "more than 10 entries" in str(error)


def test_a_compression_bomb_fails_as_unsafe_before_it_is_read_whole() -> None:
    zeros = b"\0" * (8 * 1024 * 1024)  # gzip shrinks this about a thousand times
    limits = ArchiveLimits(max_expansion_ratio=50, ratio_judged_after_bytes=1024 * 1024)

    error = refusal(github_archive({"assets/blob.bin": zeros}), limits=limits)

    assert error.code is FailureCode.UNSAFE_ARCHIVE
    assert "50 times" in str(error)


def test_ordinary_text_is_not_taken_for_a_bomb() -> None:
    text = "".join(f"line {n}: the quick brown fox\n" for n in range(200_000)).encode()
    limits = ArchiveLimits(max_expansion_ratio=50, ratio_judged_after_bytes=1024 * 1024)

    tree, _ = read(github_archive({"data.txt": text}), limits=limits)

    assert reasons(tree) == {"data.txt": SkipReason.NOT_SELECTED}


def test_an_archive_larger_than_the_hard_limit_is_too_large() -> None:
    archive = github_archive({"data.bin": os.urandom(256 * 1024)})

    error = refusal(archive, limits=ArchiveLimits(max_archive_bytes=100 * 1024))

    assert error.code is FailureCode.TOO_LARGE


def test_an_archive_that_expands_past_the_limit_is_too_large_from_its_headers() -> None:
    error = refusal(
        github_archive({f"f{n}.txt": b"y" * 4096 for n in range(10)}),
        limits=ArchiveLimits(max_expanded_bytes=16 * 1024),
    )

    assert error.code is FailureCode.TOO_LARGE


@pytest.mark.parametrize(
    "damage",
    [
        lambda archive: archive[: len(archive) // 2],  # the connection closed half-way
        lambda archive: b"<html>Not an archive</html>",
        lambda archive: gzip.compress(b"not a tar file at all" * 100),
    ],
)
def test_an_archive_that_cannot_be_read_fails_with_a_clear_code(damage: Callable[[bytes], bytes]) -> None:
    archive = github_archive({"README.md": os.urandom(64 * 1024)})

    error = refusal(damage(archive))

    assert error.code is FailureCode.UNSAFE_ARCHIVE
    assert "not a readable tar.gz" in str(error)


def test_the_documented_limits_are_the_policys_and_the_readers() -> None:
    page = Path(__file__).resolve().parents[2].joinpath("docs", "importing.md").read_text()
    budget, limits, mib = ImportBudget(), ArchiveLimits(), 1024 * 1024

    assert f"larger than {MAX_FILE_BYTES // mib} MiB" in page
    assert f"({budget.max_files:,} files, {budget.max_bytes // mib} MiB)" in page
    assert f"at most {MAX_PATTERNS} each, each 1 to {PATTERN_MAX_LENGTH}" in page
    assert f"more than {limits.max_entries:,} entries" in page
    ratio = f"more than {limits.max_expansion_ratio} times once past {limits.ratio_judged_after_bytes // mib} MiB"
    assert ratio in page
    assert f"larger than {limits.max_archive_bytes // mib} MiB as it arrives" in page
    assert f"more than {limits.max_expanded_bytes // (1024 * mib)} GiB" in page
