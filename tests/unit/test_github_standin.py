"""make run's GitHub stand-in without its servers: which repositories it serves and how it lays out archives."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from local.github_standin import DEMO_REPOSITORY, Commit, ShippedRepository, github_layout_archive, served_repositories


def members(archive: bytes) -> tuple[str, list[str]]:
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        return tar.pax_headers["comment"], [member.name for member in tar.getmembers()]


def test_an_archive_has_githubs_layout_the_commit_in_the_pax_header_and_one_top_folder() -> None:
    commit = "ab" * 20

    comment, names = members(github_layout_archive("Octo/App", commit, {"README.md": b"# x\n", "src/a.py": b""}))

    assert comment == commit
    assert names == ["Octo-App-abababa", "Octo-App-abababa/README.md", "Octo-App-abababa/src/a.py"]


def test_a_shipped_folder_is_one_commit_whose_sha_follows_its_content(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_bytes(b"# one\n")
    repository = ShippedRepository("me/app", tmp_path)
    first = repository.resolve(None)
    assert first is not None
    assert {repository.resolve(ref) for ref in ("main", "HEAD", "refs/heads/main")} == {first}
    assert repository.resolve(first.sha) == Commit(first.sha, first.sha)
    assert repository.resolve("other-branch") is None

    (tmp_path / "README.md").write_bytes(b"# two\n")
    second = repository.resolve(None)

    assert second is not None
    assert second.sha != first.sha
    assert members(repository.archive(second)) == (
        second.sha,
        [f"me-app-{second.sha[:7]}", f"me-app-{second.sha[:7]}/README.md"],
    )


def test_the_demo_repository_is_always_served_and_others_only_as_owner_slash_name_equals_a_git_path(
    tmp_path: Path,
) -> None:
    assert list(served_repositories("")) == [DEMO_REPOSITORY]
    (tmp_path / ".git").mkdir()
    served = served_repositories(f" Me/App={tmp_path} , ")
    assert served["me/app"].full_name == "Me/App"
    for wrong, says in (
        ("me/app", "is not owner/name=PATH"),
        (f"not a repository={tmp_path}", "is not owner/name=PATH"),
        (f"me/app={tmp_path / 'missing'}", "is not a git repository"),
    ):
        with pytest.raises(SystemExit, match=says):
            served_repositories(wrong)
