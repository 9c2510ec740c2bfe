"""Reading an uploaded folder (.zip or .tar.gz): the same listing a repository of the same tree gives, and
every hostile archive refused with its code before anything of it is kept."""

from __future__ import annotations

import io
import stat
import tarfile
import zipfile
from dataclasses import replace

import pytest

from domain.context_policy import BudgetUse, ContextPolicy, KeptFile
from domain.import_failures import FailureCode, ImportFailed
from domain.uploads import UploadFormat
from importer.tar_archive import ArchiveLimits, ImportedTree, read_archive
from importer.upload_archive import UPLOAD_LIMITS, read_upload, upload_format
from tests.archives import add_file, fake_judges, github_archive, tarred, zipped

FOLDER = {
    "README.md": "# Café ☕\n\nA project.\n".encode(),
    "package.json": b'{"name": "folder"}\n',
    "docs/getting started.md": b"# Start\n",
    "docs/deploy.md": b"PLANTED secret here\n",  # the fake scanner finds it
    "assets/logo.png": b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
    "src/main.py": b"print('hi')\n",
}


def read(upload: bytes, limits: ArchiveLimits = UPLOAD_LIMITS) -> tuple[ImportedTree, list[KeptFile]]:
    kept: list[KeptFile] = []
    tree = read_upload(
        io.BytesIO(upload),
        policy=ContextPolicy(),
        budget=BudgetUse(),
        judges=fake_judges(),
        keep=kept.append,
        limits=limits,
    )
    return tree, kept


def refusal(upload: bytes, limits: ArchiveLimits = UPLOAD_LIMITS) -> ImportFailed:
    kept: list[KeptFile] = []
    with pytest.raises(ImportFailed) as raised:
        read_upload(
            io.BytesIO(upload),
            policy=ContextPolicy(),
            budget=BudgetUse(),
            judges=fake_judges(),
            keep=kept.append,
            limits=limits,
        )
    return raised.value


def github_reading(files: dict[str, bytes]) -> ImportedTree:
    return read_archive(
        io.BytesIO(github_archive(files)),
        policy=ContextPolicy(),
        budget=BudgetUse(),
        judges=fake_judges(),
        keep=lambda _: None,
    )


@pytest.mark.parametrize(
    "upload",
    [zipped(FOLDER), tarred(FOLDER), tarred(FOLDER, prefix="./")],
    ids=["zip", "tar.gz", "tar.gz-with-dot-slash"],
)
def test_an_uploaded_folder_lists_and_keeps_what_a_repository_of_the_same_tree_does(upload: bytes) -> None:
    tree, kept = read(upload)

    assert tree.files == github_reading(FOLDER).files
    assert tree.commit_sha is None
    assert {file.path: file.content for file in kept} == {
        path: FOLDER[path] for path in ("README.md", "package.json", "docs/getting started.md")
    }
    assert tree.secrets_found == 1


def test_the_format_is_told_by_the_first_bytes_not_a_name() -> None:
    assert upload_format(zipped({})[:4]) is UploadFormat.ZIP
    assert upload_format(zipped(FOLDER)[:4]) is UploadFormat.ZIP
    assert upload_format(tarred(FOLDER)[:4]) is UploadFormat.TAR_GZ
    assert upload_format(b"Rar!") is None
    assert refusal(b"just some text\n").code is FailureCode.UNSAFE_ARCHIVE
    assert "neither a .zip nor a .tar.gz" in str(refusal(b"just some text\n"))
    assert read(zipped({}))[0].files == []


@pytest.mark.parametrize(
    "name", ["../escape.md", "docs/../../escape.md", "/etc/passwd", "C:/Windows/win.ini", "docs//twice.md", "./."]
)
@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_a_path_that_leaves_the_folder_refuses_the_upload(name: str, kind: str) -> None:
    upload = zipped({"README.md": b"x\n", name: b"x"}) if kind == "zip" else tarred({"README.md": b"x\n", name: b"x"})

    refused = refusal(upload)

    assert refused.code is FailureCode.UNSAFE_ARCHIVE
    assert "path" in str(refused)


def test_a_symbolic_link_in_a_zip_refuses_the_upload() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.md", b"x\n")
        entry = zipfile.ZipInfo("docs/current.md")
        entry.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(entry, b"../../../../etc/passwd")

    refused = refusal(buffer.getvalue())

    assert (refused.code, "link" in str(refused)) == (FailureCode.UNSAFE_ARCHIVE, True)


@pytest.mark.parametrize("link_type", [tarfile.SYMTYPE, tarfile.LNKTYPE], ids=["symbolic", "hard"])
def test_a_link_in_a_tar_gz_refuses_the_upload(link_type: bytes) -> None:
    link = tarfile.TarInfo("docs/current.md")
    link.type = link_type
    link.linkname = "README.md"

    refused = refusal(tarred({"README.md": b"x\n"}, extra=(link,)))

    assert (refused.code, "link" in str(refused)) == (FailureCode.UNSAFE_ARCHIVE, True)


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_more_entries_than_the_limit_refuse_the_upload(kind: str) -> None:
    files = {f"docs/{number}.md": b"x\n" for number in range(11)}
    upload = zipped(files) if kind == "zip" else tarred(files)

    refused = refusal(upload, replace(UPLOAD_LIMITS, max_entries=10))

    assert (refused.code, "more than 10 entries" in str(refused)) == (FailureCode.UNSAFE_ARCHIVE, True)


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_a_compression_bomb_is_refused_by_its_expansion(kind: str) -> None:
    bomb = {"README.md": b"# bomb\n", "docs/zeros.md": b"\0" * (4 * 1024 * 1024)}
    upload = zipped(bomb) if kind == "zip" else tarred(bomb)
    limits = replace(UPLOAD_LIMITS, ratio_judged_after_bytes=1024 * 1024)

    refused = refusal(upload, limits)

    assert (refused.code, "compression bomb" in str(refused)) == (FailureCode.UNSAFE_ARCHIVE, True)


def test_an_upload_over_the_limit_is_too_large() -> None:
    refused = refusal(zipped(FOLDER), replace(UPLOAD_LIMITS, max_archive_bytes=100))

    assert refused.code is FailureCode.TOO_LARGE


def test_a_zip_that_expands_past_the_limit_is_too_large_before_it_is_read() -> None:
    refused = refusal(zipped(FOLDER), replace(UPLOAD_LIMITS, max_expanded_bytes=40))

    assert refused.code is FailureCode.TOO_LARGE


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_the_same_path_twice_refuses_the_upload(kind: str) -> None:
    if kind == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("README.md", b"first\n")
            with pytest.warns(UserWarning, match="Duplicate name"):
                archive.writestr("README.md", b"second\n")
        upload = buffer.getvalue()
    else:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            add_file(archive, "README.md", b"first\n")
            add_file(archive, "./README.md", b"second\n")
        upload = buffer.getvalue()

    refused = refusal(upload)

    assert (refused.code, "same path twice" in str(refused)) == (FailureCode.UNSAFE_ARCHIVE, True)


def test_a_zip_name_that_is_not_utf8_refuses_the_upload() -> None:
    # zipfile writes a non-ASCII name as UTF-8 with the flag set; the bytes are changed after, flag unset.
    upload = zipped({"README.md": b"x\n", "docs/X.md": b"x"}).replace(b"docs/X.md", b"docs/\xff.md")

    refused = refusal(upload)

    assert (refused.code, "not valid UTF-8" in str(refused)) == (FailureCode.UNSAFE_ARCHIVE, True)


def test_a_zip_name_in_utf8_without_the_flag_is_read_as_utf8() -> None:
    # macOS's Archive Utility writes UTF-8 names without the UTF-8 flag.
    upload = zipped({"docs/ABCDE.md": b"# Notes\n"}).replace(b"docs/ABCDE.md", "docs/Café.md".encode())

    tree, _ = read(upload)

    assert [listed.path for listed in tree.files] == ["docs/Café.md"]


def test_a_tar_name_that_is_not_utf8_refuses_the_upload() -> None:
    buffer = io.BytesIO()
    # GNU tar writes a name's bytes as they are; surrogateescape writes the lone 0xff byte.
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.GNU_FORMAT, errors="surrogateescape") as archive:
        add_file(archive, "README.md", b"x\n")
        add_file(archive, "docs/\udcff.md", b"x")

    refused = refusal(buffer.getvalue())

    assert (refused.code, "not valid UTF-8" in str(refused)) == (FailureCode.UNSAFE_ARCHIVE, True)


def test_an_encrypted_zip_entry_refuses_the_upload() -> None:
    upload = bytearray(zipped({"README.md": b"x\n"}))
    # Bit 0 of the general purpose flags, in the local header (offset 6) and the central directory entry.
    upload[6] |= 0x1
    central = upload.index(b"PK\x01\x02")
    upload[central + 8] |= 0x1

    refused = refusal(bytes(upload))

    assert (refused.code, "encrypted" in str(refused)) == (FailureCode.UNSAFE_ARCHIVE, True)


def test_a_corrupt_zip_is_refused_as_unreadable() -> None:
    upload = bytearray(zipped({"README.md": b"# a readme long enough to compress\n" * 20}))
    upload[40:60] = b"\0" * 20  # inside the first entry's compressed data

    refused = refusal(bytes(upload))

    assert refused.code is FailureCode.UNSAFE_ARCHIVE
