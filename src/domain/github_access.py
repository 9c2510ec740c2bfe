"""Whether GitHub still lets an import's user read its repository, checked when its content is read.

The rule is a create's: the App's installation on the repository's owner must cover the repository,
and its installer must be linked to the import's user. When GitHub takes access away (the repository
leaves the installation, the App is uninstalled or suspended, the link goes), reading ends with it.
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.create_import import require_installation_covers
from domain.errors import RepositoryNotCovered
from domain.models import ProjectImport, SourceType
from domain.ports import ImportStore
from domain.source_paths import GithubRepository, parse_github_repository


def require_github_access(store: ImportStore, stored: ProjectImport) -> None:
    """Raise RepositoryNotCovered unless the rule holds for this `github` import (two requests)."""
    repository = _repository(stored)
    installer = require_installation_covers(store.read_installation(repository), stored.source_path)
    if store.read_github_link(installer) != stored.neptun_user_id:
        raise RepositoryNotCovered(repository.full_name)


def without_github_access(store: ImportStore, imports: Sequence[ProjectImport]) -> set[int]:
    """The ids of the `github` imports among these that the rule no longer lets their user read: the
    installations in batches, however many imports share them, and one read per distinct installer."""
    github = [each for each in imports if each.source_type is SourceType.GITHUB]
    if not github:
        return set()
    installations = store.read_installations({_repository(each) for each in github})
    installers: dict[int, int] = {}
    for each in github:
        try:
            installers[each.id] = require_installation_covers(installations[_repository(each)], each.source_path)
        except RepositoryNotCovered:
            continue
    # A user's imports are covered by installations their own GitHub account made: usually one link.
    links = {installer: store.read_github_link(installer) for installer in set(installers.values())}
    return {
        each.id for each in github if each.id not in installers or links[installers[each.id]] != each.neptun_user_id
    }


def _repository(stored: ProjectImport) -> GithubRepository:
    repository = parse_github_repository(stored.source_path)
    if repository is None:  # stored only after validation
        raise ValueError(f"not an owner/repo: {stored.source_path!r}")
    return repository
