"""The rules that keep an installation's coverage the same whatever order GitHub's deliveries arrive in."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.access import RepositorySelection
from domain.installations import (
    MAX_TRACKED_REPOSITORIES,
    Change,
    DeliveryAlreadyApplied,
    DeliveryOutcome,
    InstallationChangedMeanwhile,
    InstallationDelivery,
    InstallationService,
    InstallationState,
    LedgerRead,
    TooManyRepositories,
    next_state,
    owns_login,
)

INSTALLER = 21031067


def delivery(
    change: Change,
    added: set[str] | None = None,
    removed: set[str] | None = None,
    selection: RepositorySelection | None = RepositorySelection.SELECTED,
    login: str = "Codertocat",
    delivery_id: str = "d",
) -> InstallationDelivery:
    return InstallationDelivery(
        delivery_id=delivery_id,
        body_digest=f"digest-of-{delivery_id}",
        change=change,
        installation_id=957387,
        account_login=login,
        sender_github_user_id=INSTALLER,
        repository_selection=selection,
        repositories_added=frozenset(added or ()),
        repositories_removed=frozenset(removed or ()),
    )


def applied(*deliveries: InstallationDelivery) -> InstallationState | None:
    state = None
    for each in deliveries:
        state = next_state(state, each) or state
    return state


def covered(state: InstallationState | None, *names: str) -> list[bool]:
    return [state is not None and not state.deleted and state.coverage.covers(name) for name in names]


def test_created_covers_its_listed_repositories_for_its_installer() -> None:
    state = applied(delivery(Change.CREATED, added={"a", "b"}))
    assert state is not None
    assert state.coverage.installer_github_user_id == INSTALLER
    assert covered(state, "a", "B", "c") == [True, True, False]


def test_suspend_and_unsuspend() -> None:
    created = delivery(Change.CREATED, added={"a"})
    assert covered(applied(created, delivery(Change.SUSPENDED)), "a") == [False]
    assert covered(applied(created, delivery(Change.SUSPENDED), delivery(Change.UNSUSPENDED)), "a") == [True]


def test_deleted_is_final_whatever_arrives_later() -> None:
    created, deleted = delivery(Change.CREATED, added={"a"}), delivery(Change.DELETED)
    later = [
        delivery(Change.REPOSITORIES_ADDED, added={"b"}),
        delivery(Change.UNSUSPENDED),
        delivery(Change.CREATED, added={"a"}),
        delivery(Change.RENAMED, login="New"),
    ]
    state = applied(created, deleted)
    for each in later:
        assert next_state(state, each) is None
    assert applied(deleted, created) is not None
    assert covered(applied(deleted, created), "a") == [False]


def test_a_rename_moves_coverage_to_the_new_login() -> None:
    state = applied(delivery(Change.CREATED, added={"a"}), delivery(Change.RENAMED, login="New-Login"))
    assert state is not None
    assert state.coverage.account_login == "New-Login"
    late = applied(
        delivery(Change.CREATED, added={"a"}),
        delivery(Change.RENAMED, login="New-Login"),
        delivery(Change.REPOSITORIES_ADDED, added={"b"}, login="Codertocat"),  # sent before the rename
    )
    assert late is not None
    assert late.coverage.account_login == "New-Login"
    assert covered(late, "b") == [True]


def test_nothing_is_covered_before_created_names_the_installer() -> None:
    early = applied(delivery(Change.REPOSITORIES_ADDED, added={"a"}))
    assert early is not None
    assert early.coverage.installer_github_user_id is None
    assert covered(early, "a") == [False]


def test_too_many_selected_repositories_are_refused() -> None:
    names = {f"r{number}" for number in range(MAX_TRACKED_REPOSITORIES + 1)}
    with pytest.raises(TooManyRepositories):
        next_state(None, delivery(Change.CREATED, added=names))
    assert next_state(None, delivery(Change.CREATED, added=set(list(names)[:MAX_TRACKED_REPOSITORIES])))


def test_a_large_account_on_all_repositories_is_kept_without_its_names() -> None:
    names = {f"r{number}" for number in range(MAX_TRACKED_REPOSITORIES + 1)}
    state = next_state(None, delivery(Change.CREATED, added=names, selection=RepositorySelection.ALL))
    assert state is not None
    assert state.coverage.repositories == frozenset()
    assert covered(state, "r1", "anything") == [True, True]
    switched = next_state(state, delivery(Change.REPOSITORIES_REMOVED, removed={"r1"}))
    assert covered(switched, "r2") == [False], "after a switch to selected, unknown names are refused"


repository_names = st.sets(st.sampled_from(["a", "b", "c", "d", "e", "f"]), max_size=3)


@given(
    listed=repository_names,
    changes=st.lists(st.tuples(st.booleans(), repository_names), max_size=4),
    data=st.data(),
)
def test_created_and_changes_of_distinct_repositories_commute(
    listed: set[str], changes: list[tuple[bool, set[str]]], data: st.DataObject
) -> None:
    """When no repository is changed twice, every arrival order ends with the same coverage."""
    touched: set[str] = set()
    distinct = []
    for adds, names in changes:
        fresh = names - touched - listed
        touched |= fresh
        if fresh:
            change = Change.REPOSITORIES_ADDED if adds else Change.REPOSITORIES_REMOVED
            distinct.append(delivery(change, added=fresh if adds else None, removed=None if adds else fresh))
    created = delivery(Change.CREATED, added=listed)
    in_order = applied(created, *distinct)
    arrival = data.draw(st.permutations([created, *distinct]))
    reordered = applied(*arrival)
    assert in_order is not None
    assert reordered is not None
    assert reordered.coverage.repositories == in_order.coverage.repositories
    assert reordered.coverage.installer_github_user_id == INSTALLER


def test_removed_before_created_is_not_added_back_by_created() -> None:
    removed, created = delivery(Change.REPOSITORIES_REMOVED, removed={"a"}), delivery(Change.CREATED, added={"a", "b"})
    for order in itertools.permutations([removed, created]):
        state = applied(*order)
        assert covered(state, "a", "b") == [False, True]


@dataclass
class ScriptedLedger:
    """A ledger whose writes fail as scripted, recording what was written."""

    failures: list[type[Exception]] = field(default_factory=list)
    written: list[InstallationState] = field(default_factory=list)
    linked: bool = True

    def read(self, installation_id: int, linked_github_user_id: int | None) -> LedgerRead:
        del installation_id
        state = self.written[-1] if self.written else None
        return LedgerRead(state, len(self.written), self.linked if linked_github_user_id is not None else None)

    def write(
        self, delivery: InstallationDelivery, state: InstallationState, expected_version: int, left_login: str | None
    ) -> bool:
        del delivery, expected_version, left_login
        if self.failures:
            raise self.failures.pop(0)()
        self.written.append(state)
        return True


def test_a_concurrent_change_is_read_again_and_applied_on_top() -> None:
    ledger = ScriptedLedger(failures=[InstallationChangedMeanwhile, InstallationChangedMeanwhile])
    assert InstallationService(ledger).apply(delivery(Change.CREATED, added={"a"})) is DeliveryOutcome.APPLIED
    assert len(ledger.written) == 1


def test_a_claimed_delivery_is_a_duplicate_and_an_unlinked_installer_awaits_its_link() -> None:
    assert InstallationService(ScriptedLedger([DeliveryAlreadyApplied])).apply(delivery(Change.CREATED)) is (
        DeliveryOutcome.DUPLICATE
    )
    unlinked = ScriptedLedger(linked=False)
    assert InstallationService(unlinked).apply(delivery(Change.CREATED)) is DeliveryOutcome.AWAITING_LINK
    assert len(unlinked.written) == 1, "kept all the same"


def test_an_installation_that_keeps_changing_gives_up() -> None:
    ledger = ScriptedLedger(failures=[InstallationChangedMeanwhile] * 10)
    with pytest.raises(InstallationChangedMeanwhile):
        InstallationService(ledger).apply(delivery(Change.CREATED))


@pytest.mark.parametrize(
    ("created_at", "holder_id", "holder_created_at", "owns"),
    [
        (None, None, None, True),  # nobody holds the login
        (None, 957387, 5, True),  # it is this installation's own copy
        (10, 1, 5, True),  # created after the holder: the live one
        (5, 1, 10, False),  # created before the holder: replaced on GitHub
        (5, 1, 5, False),  # the same second: the holder keeps it
        (None, 1, 5, False),  # creation time not told yet
        (10, 1, None, False),  # a holder stored before creation times were kept
    ],
)
def test_the_installation_created_last_owns_the_login(
    created_at: int | None, holder_id: int | None, holder_created_at: int | None, owns: bool
) -> None:
    assert owns_login(957387, created_at, holder_id, holder_created_at) is owns
