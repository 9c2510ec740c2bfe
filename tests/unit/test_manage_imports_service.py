"""List, read, change and delete without AWS: the order of checks, versions, storage calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.access import GithubInstallation, ImportKey, ProjectKey, RepositorySelection, Session, session_token_hash
from domain.errors import (
    ImportChanged,
    ImportNotFound,
    NotAuthenticated,
    NothingToRefresh,
    PreconditionFailed,
    ProjectNotFound,
    RepositoryNotCovered,
    RequestProblem,
    RequestRejected,
    UserMismatch,
)
from domain.import_failures import FailureCode
from domain.manage_imports import (
    ImportCommand,
    ImportManager,
    ListImportsCommand,
    Precondition,
    UpdateImportCommand,
)
from domain.models import (
    ImportContext,
    ImportsQuery,
    ListOrder,
    ProjectImport,
    RunError,
    RunStatus,
    SourceType,
    StoredImport,
    UpdateImportRequest,
)
from local.memory_store import InMemoryImportStore

NOW = datetime(2026, 11, 27, 12, 30, 15, 123456, tzinfo=UTC)
TOKEN = "token-of-user-1"
PROJECT = ProjectKey(user_id=1, project_id=789)
BAD_PATH = RequestRejected(RequestProblem.INVALID_PATH, "bad path")
BAD_QUERY = RequestRejected(RequestProblem.INVALID_QUERY, "bad query")


def an_import(import_id: int, source_type: SourceType = SourceType.LOCAL_FOLDER, path: str = "src") -> ProjectImport:
    moment = NOW - timedelta(days=1)
    return ProjectImport(
        id=import_id,
        source_type=source_type,
        source_path=path,
        title="t",
        description=None,
        created_at=moment,
        updated_at=moment,
        neptun_user_id=1,
        project_id=789,
    )


def store_with(
    *imports: ProjectImport, session_user: int = 1, store: InMemoryImportStore | None = None
) -> InMemoryImportStore:
    store = store or InMemoryImportStore()
    hashed = session_token_hash(TOKEN)
    assert hashed is not None
    store.sessions[hashed] = Session(user_id=session_user, expires_at=int(NOW.timestamp()) + 60)
    store.projects.add(PROJECT)
    store.installations["username"] = GithubInstallation(
        7, "username", 583231, RepositorySelection.SELECTED, frozenset({"a"})
    )
    store.github_links[583231] = 1
    for stored in imports:
        store.add_import(stored, None, None)
    store.reads = store.writes = 0
    return store


def manager(store: InMemoryImportStore) -> ImportManager:
    return ImportManager(store, clock=lambda: NOW)


def update(store: InMemoryImportStore, body: dict[str, object], if_match: Precondition | None = None) -> ProjectImport:
    command = UpdateImportCommand(TOKEN, ImportKey(PROJECT, 5), UpdateImportRequest.model_validate(body), if_match)
    return manager(store).update_import(command).import_


def test_listing_pages_follow_the_order_and_filter() -> None:
    store = store_with(*(an_import(number) for number in range(1, 8)), an_import(9, SourceType.GITHUB, "username/a"))
    query = ImportsQuery(source_type=SourceType.LOCAL_FOLDER, order=ListOrder.DESC, limit=3, after_id=6)
    page = manager(store).list_imports(ListImportsCommand(TOKEN, PROJECT, query))
    assert [entry.id for entry in page.imports] == [5, 4, 3]
    assert page.more


def test_refusals_come_in_the_gates_order_for_every_use_case() -> None:
    store = store_with(an_import(5))
    with pytest.raises(NotAuthenticated):
        manager(store).list_imports(ListImportsCommand(None, BAD_PATH, BAD_QUERY))
    with pytest.raises(RequestRejected) as path_error:
        manager(store).list_imports(ListImportsCommand(TOKEN, BAD_PATH, BAD_QUERY))
    assert path_error.value is BAD_PATH
    with pytest.raises(UserMismatch):
        manager(store).get_import(ImportCommand(TOKEN, ImportKey(ProjectKey(2, 789), 5), envelope=BAD_QUERY))
    with pytest.raises(RequestRejected) as query_error:
        manager(store).get_import(ImportCommand(TOKEN, ImportKey(PROJECT, 5), envelope=BAD_QUERY))
    assert query_error.value is BAD_QUERY
    with pytest.raises(ProjectNotFound):
        manager(store).delete_import(ImportCommand(TOKEN, ImportKey(ProjectKey(1, 790), 5)))
    with pytest.raises(ImportNotFound):
        manager(store).delete_import(ImportCommand(TOKEN, ImportKey(PROJECT, 6)))
    assert store.writes == 0


def test_an_update_changes_only_what_is_given_and_moves_the_version() -> None:
    store = store_with(an_import(5))
    changed = update(store, {"title": None, "description": "d"})
    assert (changed.title, changed.description, changed.source_path) == (None, "d", "src")
    assert changed.updated_at == NOW.replace(microsecond=123000)
    assert store.versions[5] == 2
    assert (store.reads, store.writes) == (1, 1)


def test_the_installation_is_checked_only_when_the_source_changes() -> None:
    store = store_with(an_import(5, SourceType.GITHUB, "username/b"))  # not covered any more
    assert update(store, {"title": "still editable"}).title == "still editable"
    with pytest.raises(RepositoryNotCovered):
        update(store, {"source_path": "username/c"})
    assert update(store, {"source_path": "username/a"}).source_path == "username/a"


def test_a_type_change_to_github_reads_the_stored_paths_installation() -> None:
    store = store_with(an_import(5, SourceType.LOCAL_FOLDER, "username/b"))
    with pytest.raises(RepositoryNotCovered):
        update(store, {"source_type": "github"})
    assert store.reads == 2  # the access read, then the installation the stored path names
    assert store.writes == 0


def test_a_type_the_stored_path_does_not_fit_is_a_source_type_error() -> None:
    store = store_with(an_import(5, SourceType.LOCAL_FOLDER, "a/../b/.."))
    with pytest.raises(RequestRejected) as rejected:
        update(store, {"source_type": "public_github_repository_url"})
    assert [error.field for error in rejected.value.errors] == ["source_type"]


@pytest.mark.parametrize(("versions", "holds"), [(None, True), (frozenset({1}), True), (frozenset({2}), False)])
def test_if_match_is_checked_last_and_only_changes_a_matching_version(
    versions: frozenset[int] | None, holds: bool
) -> None:
    store = store_with(an_import(5))
    if holds:
        assert update(store, {"title": "x"}, Precondition(versions)).title == "x"
    else:
        with pytest.raises(PreconditionFailed):
            update(store, {"title": "x"}, Precondition(versions))
        assert store.imports[5].title == "t"
        with pytest.raises(PreconditionFailed):
            manager(store).delete_import(ImportCommand(TOKEN, ImportKey(PROJECT, 5), Precondition(versions)))
        assert 5 in store.imports


def refresh(store: InMemoryImportStore, import_id: int = 5) -> StoredImport:
    return manager(store).refresh_import(ImportCommand(TOKEN, ImportKey(PROJECT, import_id)))


def a_github_import(status: RunStatus, **run: object) -> ProjectImport:
    return an_import(5, SourceType.GITHUB, "username/a").model_copy(update={"status": status, **run})


def test_a_refresh_of_a_finished_run_wants_a_new_one_and_keeps_the_last_result_and_the_version() -> None:
    kept = ImportContext(files=3, bytes=120, skipped_files=1, secrets_found=0)
    failure = RunError(code=FailureCode.SOURCE_UNAVAILABLE, message="GitHub answered 502")
    for finished in (
        a_github_import(RunStatus.COMPLETED, commit_sha="a" * 40, context=kept),
        a_github_import(RunStatus.FAILED, commit_sha="a" * 40, context=kept, error=failure),
    ):
        store = store_with(finished)
        refreshed = refresh(store)
        assert refreshed.import_.status is RunStatus.PENDING
        result = refreshed.import_
        assert (result.error, result.commit_sha, result.context) == (None, "a" * 40, kept)
        assert refreshed.version == 1  # a client's ETag stays valid
        assert store.imports[5] == refreshed.import_
        assert (store.reads, store.writes) == (1, 1)


def test_a_refresh_while_a_run_is_pending_or_importing_starts_nothing_new() -> None:
    for in_flight in (RunStatus.PENDING, RunStatus.IMPORTING):
        store = store_with(a_github_import(in_flight))
        assert refresh(store).import_.status is in_flight
        assert (store.reads, store.writes) == (1, 0)


def test_a_local_folder_has_nothing_to_refresh() -> None:
    store = store_with(an_import(5, SourceType.LOCAL_FOLDER))
    with pytest.raises(NothingToRefresh):
        refresh(store)
    assert store.writes == 0


def test_of_two_racing_refreshes_the_one_that_lost_reads_again_and_starts_nothing() -> None:
    class RefreshedMeanwhile(InMemoryImportStore):
        def start_run(self, stored: StoredImport, now: datetime) -> StoredImport:
            super().start_run(stored, now)  # the other refresh, between this one's read and its write
            raise ImportChanged

    store = store_with(a_github_import(RunStatus.COMPLETED), store=RefreshedMeanwhile())
    assert refresh(store).import_.status is RunStatus.PENDING
    assert (store.reads, store.writes) == (2, 1)


def test_a_refresh_is_refused_like_any_read_before_anything_is_written() -> None:
    store = store_with(a_github_import(RunStatus.COMPLETED))
    with pytest.raises(NotAuthenticated):
        manager(store).refresh_import(ImportCommand(None, ImportKey(PROJECT, 5)))
    with pytest.raises(UserMismatch):
        manager(store).refresh_import(ImportCommand(TOKEN, ImportKey(ProjectKey(2, 789), 5)))
    with pytest.raises(ImportNotFound):
        refresh(store, import_id=6)
    with pytest.raises(RequestRejected):
        manager(store).refresh_import(ImportCommand(TOKEN, ImportKey(PROJECT, 5), envelope=BAD_QUERY))
    assert store.writes == 0
