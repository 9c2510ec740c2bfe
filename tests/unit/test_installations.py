"""The rules that keep an installation's coverage the same whatever order GitHub's deliveries arrive in."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.access import RepositorySelection
from domain.installations import (
    Change,
    DeliveryAlreadyApplied,
    DeliveryOutcome,
    InstallationChangedMeanwhile,
    InstallationDelivery,
    InstallationService,
    InstallationState,
    LedgerRead,
    RepositoryEntry,
    RepositoryWrite,
    Transition,
    accepts,
    entry_covers,
    next_transition,
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


@dataclass
class Stored:
    """One installation as the ledger keeps it: its state and its repository items, applied by `accepts`."""

    state: InstallationState | None = None
    version: int = 0
    items: dict[tuple[str, str], RepositoryEntry] = field(default_factory=dict)  # (login, name), lower case

    def write(self, login: str, write: RepositoryWrite, epoch: int) -> None:
        place = (login.lower(), write.name.lower())
        if accepts(self.items.get(place), write, 957387, epoch):
            self.items[place] = RepositoryEntry(957387, epoch, write.version, write.removed)

    def apply(self, delivery: InstallationDelivery) -> Transition | None:
        transition = next_transition(self.state, delivery, self.version + 1)
        if transition is None:
            return None
        self.state, self.version = transition.state, transition.version
        return transition

    def finish(self, transition: Transition, writes: list[RepositoryWrite] | None = None) -> None:
        """The transition's repository writes (or `writes`, a part of them), then its move."""
        state = transition.state
        login, epoch = state.coverage.account_login, state.repositories_epoch
        for write in transition.writes if writes is None else writes:
            self.write(login, write, epoch)
        if transition.move is not None and writes is None:
            moved = transition.move
            for (old_login, name), entry in list(self.items.items()):
                if old_login == moved.from_login.lower() and entry.repositories_epoch == moved.from_epoch:
                    self.write(login, RepositoryWrite(name, entry.removed, entry.version), epoch)

    def covers(self, name: str) -> bool:
        state = self.state
        if state is None or state.deleted:
            return False
        coverage = state.coverage
        entry = self.items.get((coverage.account_login.lower(), name.lower()))
        listed = frozenset({name}) if entry_covers(entry, 957387, state.repositories_epoch) else frozenset()
        return replace(coverage, repositories=listed).covers(name)


def applied(*deliveries: InstallationDelivery) -> Stored:
    stored = Stored()
    for each in deliveries:
        transition = stored.apply(each)
        if transition is not None:
            stored.finish(transition)
    return stored


def covered(stored: Stored, *names: str) -> list[bool]:
    return [stored.covers(name) for name in names]


def test_created_covers_its_listed_repositories_for_its_installer() -> None:
    stored = applied(delivery(Change.CREATED, added={"a", "b"}))
    assert stored.state is not None
    assert stored.state.coverage.installer_github_user_id == INSTALLER
    assert covered(stored, "a", "B", "c") == [True, True, False]


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
    stored = applied(created, deleted)
    for each in later:
        assert stored.apply(each) is None
    assert applied(deleted, created).state is not None
    assert covered(applied(deleted, created), "a") == [False]


def test_a_rename_moves_coverage_to_the_new_login() -> None:
    stored = applied(delivery(Change.CREATED, added={"a"}), delivery(Change.RENAMED, login="New-Login"))
    assert stored.state is not None
    assert stored.state.coverage.account_login == "New-Login"
    assert covered(stored, "a") == [True]
    late = applied(
        delivery(Change.CREATED, added={"a"}),
        delivery(Change.RENAMED, login="New-Login"),
        delivery(Change.REPOSITORIES_ADDED, added={"b"}, login="Codertocat"),  # sent before the rename
    )
    assert late.state is not None
    assert late.state.coverage.account_login == "New-Login"
    assert covered(late, "a", "b") == [True, True]


def test_a_rename_starts_a_new_epoch_so_the_old_logins_items_never_count_again() -> None:
    there_and_back = applied(
        delivery(Change.CREATED, added={"a"}),
        delivery(Change.RENAMED, login="Elsewhere"),
        delivery(Change.REPOSITORIES_REMOVED, removed={"a"}),
        delivery(Change.RENAMED, login="Codertocat"),
    )
    assert covered(there_and_back, "a") == [False], "the item under the first login still says covered"


def test_nothing_is_covered_before_created_names_the_installer() -> None:
    early = applied(delivery(Change.REPOSITORIES_ADDED, added={"a"}))
    assert early.state is not None
    assert early.state.coverage.installer_github_user_id is None
    assert covered(early, "a") == [False]


def test_no_repository_count_is_too_many() -> None:
    names = {f"r{number}" for number in range(50_000)}
    stored = applied(delivery(Change.CREATED, added=names))
    assert covered(stored, "r0", "r49999", "r50000") == [True, True, False]


def test_an_account_on_all_repositories_keeps_its_names_for_a_switch_back() -> None:
    names = {f"r{number}" for number in range(5000)}
    stored = applied(delivery(Change.CREATED, added=names, selection=RepositorySelection.ALL))
    assert covered(stored, "r1", "anything") == [True, True]
    transition = stored.apply(delivery(Change.REPOSITORIES_REMOVED, removed={"r1"}))
    assert transition is not None
    stored.finish(transition)
    assert covered(stored, "r1", "r2", "anything") == [False, True, False]


def test_a_delivery_writes_what_it_changes_whatever_the_installations_size() -> None:
    stored = applied(delivery(Change.CREATED, added={f"r{number}" for number in range(10_000)}))
    transition = stored.apply(delivery(Change.REPOSITORIES_ADDED, added={"new"}))
    assert transition is not None
    assert [write.name for write in transition.writes] == ["new"]
    assert stored.apply(delivery(Change.SUSPENDED)).writes == ()  # type: ignore[union-attr]


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
    reordered = applied(*data.draw(st.permutations([created, *distinct])))
    everything = sorted("abcdef")
    assert covered(reordered, *everything) == covered(in_order, *everything)
    assert reordered.state is not None
    assert reordered.state.coverage.installer_github_user_id == INSTALLER


@given(
    changes=st.lists(st.tuples(st.booleans(), repository_names), min_size=1, max_size=5),
    data=st.data(),
)
def test_writes_applied_in_parts_late_twice_or_interleaved_end_as_in_arrival_order(
    changes: list[tuple[bool, set[str]]], data: st.DataObject
) -> None:
    """Deliveries recorded in arrival order, their repository writes then applied in any order, some
    twice: every repository ends as the last-arrived delivery that names it says."""
    deliveries = [delivery(Change.CREATED, added={"a", "b"})] + [
        delivery(
            Change.REPOSITORIES_ADDED if adds else Change.REPOSITORIES_REMOVED,
            added=names if adds else None,
            removed=None if adds else names,
        )
        for adds, names in changes
    ]
    in_order = applied(*deliveries)
    parted = Stored()
    pending = []
    for each in deliveries:
        transition = parted.apply(each)
        assert transition is not None
        pending += [(transition, [write]) for write in transition.writes]
    shuffled = data.draw(st.permutations(pending))
    repeated = data.draw(st.lists(st.sampled_from(pending), max_size=3)) if pending else []
    for transition, part in [*shuffled, *repeated]:
        parted.finish(transition, part)
    everything = sorted("abcdef")
    assert covered(parted, *everything) == covered(in_order, *everything)


def test_removed_before_created_is_not_added_back_by_created() -> None:
    removed, created = delivery(Change.REPOSITORIES_REMOVED, removed={"a"}), delivery(Change.CREATED, added={"a", "b"})
    for order in itertools.permutations([removed, created]):
        assert covered(applied(*order), "a", "b") == [False, True]


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

    def write(self, delivery: InstallationDelivery, transition: Transition, expected_version: int) -> bool:
        del delivery, expected_version
        if self.failures:
            raise self.failures.pop(0)()
        self.written.append(transition.state)
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
