"""The use case without AWS: the order in which problems are reported, ids, storage calls."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from domain.access import GithubInstallation, ProjectKey, RepositorySelection, Session, session_token_hash
from domain.create_import import ApprovedImport, CreateImportCommand, ImportService, request_fingerprint
from domain.errors import (
    ImportIdsExhausted,
    NotAuthenticated,
    ProjectNotFound,
    RepositoryNotCovered,
    RequestKeyReused,
    RequestProblem,
    RequestRejected,
    UserMismatch,
)
from domain.models import CreateImportRequest
from local.memory_store import InMemoryImportStore

NOW = datetime(2026, 11, 27, 12, 30, 15, 123456, tzinfo=UTC)
TOKEN = "token-of-user-1"
PROJECT = ProjectKey(user_id=1, project_id=789)
GITHUB = CreateImportRequest(source_type="github", source_path="username/repository")
BAD_PATH = RequestRejected(RequestProblem.INVALID_PATH, "bad path")
BAD_BODY = RequestRejected(RequestProblem.INVALID_BODY, "bad body")
TOO_LARGE = RequestRejected(RequestProblem.BODY_TOO_LARGE, "too large")
INSTALLER = 583231  # the GitHub user who installed the app, linked to user 1
LIVE_SESSION = Session(user_id=1, expires_at=int(NOW.timestamp()) + 60)


def store_with(
    session: Session | None = LIVE_SESSION,
    project: bool = True,
    selection: RepositorySelection | None = RepositorySelection.ALL,
    repositories: frozenset[str] = frozenset(),
) -> InMemoryImportStore:
    store = InMemoryImportStore()
    hashed = session_token_hash(TOKEN)
    assert hashed is not None
    if session is not None:
        store.sessions[hashed] = session
    if project:
        store.projects.add(PROJECT)
    if selection is not None:
        store.installations["username"] = GithubInstallation(7, "UserName", INSTALLER, selection, repositories)
        store.github_links[INSTALLER] = 1
    return store


def create(
    store: InMemoryImportStore,
    token: str | None = TOKEN,
    project: ProjectKey | RequestRejected = PROJECT,
    body: CreateImportRequest | RequestRejected = GITHUB,
    id_bits: int = 7,
) -> object:
    service = ImportService(store, clock=lambda: NOW, id_bits=lambda: id_bits)
    return service.create_import(CreateImportCommand(session_token=token, project=project, body=body))


def test_a_valid_request_creates_the_import_with_one_read_and_one_write() -> None:
    store = store_with()
    created = create(store)
    assert store.imports == {created.id: created}  # type: ignore[attr-defined]
    assert (store.reads, store.writes) == (1, 1)


def test_timestamps_are_the_clock_truncated_to_milliseconds() -> None:
    created = create(store_with())
    assert created.created_at == created.updated_at == NOW.replace(microsecond=123000)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "store",
    [
        store_with(session=None),
        store_with(session=Session(user_id=1, expires_at=int(NOW.timestamp()))),
    ],
    ids=["unknown", "expired"],
)
def test_unknown_or_expired_session_is_not_authenticated_whatever_else_is_wrong(store: InMemoryImportStore) -> None:
    with pytest.raises(NotAuthenticated):
        create(store, project=BAD_PATH, body=BAD_BODY)


@pytest.mark.parametrize("into_the_second", [0, 1, 999_999])
def test_a_session_expiring_in_the_current_second_is_not_authenticated(into_the_second: int) -> None:
    now = datetime(2026, 11, 27, 12, 30, 15, into_the_second, tzinfo=UTC)
    store = store_with(session=Session(user_id=1, expires_at=int(now.timestamp())))
    service = ImportService(store, clock=lambda: now, id_bits=lambda: 7)
    with pytest.raises(NotAuthenticated):
        service.create_import(CreateImportCommand(session_token=TOKEN, project=PROJECT, body=GITHUB))


def test_a_session_expiring_in_the_next_second_is_still_live() -> None:
    now = datetime(2026, 11, 27, 12, 30, 15, 999_999, tzinfo=UTC)
    store = store_with(session=Session(user_id=1, expires_at=int(now.timestamp()) + 1))
    service = ImportService(store, clock=lambda: now, id_bits=lambda: 7)
    assert service.create_import(CreateImportCommand(session_token=TOKEN, project=PROJECT, body=GITHUB))


@pytest.mark.parametrize("token", [None, "", "not a cookie value"])
def test_missing_or_malformed_token_is_refused_without_reading_storage(token: str | None) -> None:
    store = store_with()
    with pytest.raises(NotAuthenticated):
        create(store, token=token)
    assert store.reads == 0


def test_invalid_path_comes_after_authentication_and_before_the_user_check() -> None:
    with pytest.raises(RequestRejected) as refused:
        create(store_with(session=Session(user_id=2, expires_at=2**40)), project=BAD_PATH, body=BAD_BODY)
    assert refused.value.problem is RequestProblem.INVALID_PATH


def test_another_users_session_comes_before_body_problems() -> None:
    with pytest.raises(UserMismatch):
        create(store_with(session=Session(user_id=2, expires_at=2**40)), body=TOO_LARGE)


def test_body_problems_come_before_a_missing_project() -> None:
    with pytest.raises(RequestRejected) as refused:
        create(store_with(project=False), body=TOO_LARGE)
    assert refused.value.problem is RequestProblem.BODY_TOO_LARGE


def test_missing_project_comes_before_the_installation_check() -> None:
    with pytest.raises(ProjectNotFound):
        create(store_with(project=False, selection=None))


def test_a_rejected_request_reads_once_and_writes_nothing() -> None:
    store = store_with(project=False)
    with pytest.raises(ProjectNotFound):
        create(store)
    assert (store.reads, store.writes, store.imports) == (1, 0, {})


@pytest.mark.parametrize(
    ("selection", "repositories", "covered"),
    [
        (None, frozenset(), False),
        (RepositorySelection.ALL, frozenset(), True),
        (RepositorySelection.SELECTED, frozenset({"Repository"}), True),
        (RepositorySelection.SELECTED, frozenset({"other"}), False),
        (RepositorySelection.SELECTED, frozenset(), False),
    ],
)
def test_github_imports_need_an_installation_covering_the_repository(
    selection: RepositorySelection | None, repositories: frozenset[str], covered: bool
) -> None:
    store = store_with(selection=selection, repositories=repositories)
    if covered:
        create(store)
    else:
        with pytest.raises(RepositoryNotCovered, match="username/repository"):
            create(store)


def test_other_source_types_need_no_installation() -> None:
    body = CreateImportRequest(source_type="local_folder", source_path="src")
    create(store_with(selection=None), body=body)


def test_an_id_collision_draws_a_new_id() -> None:
    store = store_with()
    bits = iter([5, 5, 6])
    service = ImportService(store, clock=lambda: NOW, id_bits=lambda: next(bits))
    first = service.create_import(CreateImportCommand(TOKEN, PROJECT, GITHUB))
    second = service.create_import(CreateImportCommand(TOKEN, PROJECT, GITHUB))
    assert first.id != second.id
    assert len(store.imports) == 2


def test_endless_collisions_give_up_instead_of_looping() -> None:
    store = store_with()
    create(store, id_bits=1)
    with pytest.raises(ImportIdsExhausted):
        create(store, id_bits=1)
    assert len(store.imports) == 1


def test_a_request_key_stores_one_import_and_returns_it_again() -> None:
    store = store_with()
    service = ImportService(store, clock=lambda: NOW)
    approved = service.approve(CreateImportCommand(TOKEN, PROJECT, GITHUB))
    first = service.store(approved, request_key="1:key")
    again = service.store(approved, request_key="1:key")
    assert (first.replayed, again.replayed) == (False, True)
    assert again.import_ == first.import_
    assert len(store.imports) == 1


def test_a_request_key_used_for_another_request_is_refused() -> None:
    store = store_with()
    service = ImportService(store, clock=lambda: NOW)
    service.store(service.approve(CreateImportCommand(TOKEN, PROJECT, GITHUB)), request_key="1:key")
    other = CreateImportRequest(source_type="local_folder", source_path="src")
    with pytest.raises(RequestKeyReused):
        service.store(service.approve(CreateImportCommand(TOKEN, PROJECT, other)), request_key="1:key")
    assert len(store.imports) == 1


def test_a_github_import_needs_the_installer_linked_to_the_user() -> None:
    store = store_with()
    del store.github_links[INSTALLER]
    with pytest.raises(RepositoryNotCovered, match="username/repository"):
        create(store)
    store.github_links[INSTALLER] = 2  # linked, but to another Neptun user
    with pytest.raises(RepositoryNotCovered):
        create(store)
    assert store.imports == {}


def test_a_suspended_installation_covers_nothing() -> None:
    store = store_with()
    store.installations["username"] = replace(store.installations["username"], suspended=True)
    with pytest.raises(RepositoryNotCovered):
        create(store)


def test_a_body_without_a_ref_fingerprints_as_before_refs_existed() -> None:
    """A request key claimed before `source_ref` existed still replays: its fingerprint is unchanged."""
    body = {"source_type": "local_folder", "source_path": "src", "title": None, "description": None}
    before = hashlib.sha256(json.dumps([1, 789, body], sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    approved = ApprovedImport(project=ProjectKey(1, 789), request=CreateImportRequest.model_validate(body))
    assert request_fingerprint(approved) == before
    with_ref = ApprovedImport(
        project=ProjectKey(1, 789),
        request=CreateImportRequest.model_validate(
            body | {"source_type": "github", "source_path": "a/b", "source_ref": "main"}
        ),
    )
    assert request_fingerprint(with_ref) != request_fingerprint(
        ApprovedImport(
            project=ProjectKey(1, 789),
            request=CreateImportRequest.model_validate(body | {"source_type": "github", "source_path": "a/b"}),
        )
    )
