"""Keeping the Neptun GitHub App's installations current from GitHub's webhook deliveries.

GitHub redelivers (the same delivery id) and does not promise order, so each delivery is applied once
(its id is claimed in the same write as its change) and the rules below give the same coverage
whatever order the deliveries of one installation arrive in, as far as the deliveries allow:

- `deleted` is final: GitHub never reuses an installation id, so no later-arriving delivery revives it.
- A delivery that arrives before `created` starts the installation without an installer; it covers
  nothing for anyone until `created` names the installer. `created` then adds its repositories to what
  the earlier deliveries added, except those they removed.
- `suspend` makes the installation cover nothing until `unsuspend`.
- A rename moves the installation to the new login; the old login covers nothing.
- One login, one installation: GitHub allows one installation of an App per account, so when two
  installation ids name the same login, the one created last (the payloads' `installation.created_at`)
  is the live one and owns the login's account copy, the item a create reads. A delivery of any other
  installation id still changes that installation's own state, but never overwrites or removes the copy
  (`DeliveryOutcome.SUPERSEDED`). Equal creation times keep the holder; an installation whose creation
  time no delivery has told yet (a rename delivered first) takes only a login nobody holds. An
  uninstall leaves the copy as a marker covering nothing, with its creation time, so that older
  installations stay out once the live one is gone too; a rename frees the old login.
- Identical signed bytes count once: the signature does not cover `X-GitHub-Delivery`, so a captured
  body replayed under a new delivery id is a duplicate too (its SHA-256 is claimed with the delivery id).

What the deliveries do not allow: two changes of the same repository (or two suspensions, or two
renames) delivered in the opposite order end as the later-delivered one says. GitHub's payloads carry
no sequence number to order them by (docs/github-app.md).

Repositories are kept one item each, under the login (`RepositoryWrite`), so that a delivery costs
what it changes and a create reads one small item, whatever the installation's size. Each item carries
the version of the delivery that wrote it (the installation's state version once that delivery is
applied: its place in the order deliveries arrived in) and the installation's *repositories epoch*
(the version at which it took its current login): `accepts` lets a write replace an item only when it
is newer, so a delivery's writes may be applied in parts, late, repeated or interleaved with other
deliveries' and still end as if applied in arrival order. While a large delivery is incomplete, a
repository it adds may be refused a moment longer; one it removes is never granted again by an older
write. A rename carries the items to the new login under a new epoch (`RepositoryMove`); items of an
older epoch or another installation count for nothing.

Whose installation it is: the Neptun user linked to the GitHub user who installed it (`created`'s
sender). The link is the login service's item; a create checks it in its own write, so an installation
becomes its installer's user's as soon as the link exists, whenever the deliveries arrived.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Protocol

from domain.access import GithubInstallation, RepositorySelection

# Attempts at a delivery whose installation another delivery changed between read and write.
MAX_APPLY_ATTEMPTS = 5


class Change(StrEnum):
    """The event/action pairs that change an installation, named as GitHub names them."""

    CREATED = "installation.created"
    DELETED = "installation.deleted"
    SUSPENDED = "installation.suspend"
    UNSUSPENDED = "installation.unsuspend"
    PERMISSIONS_ACCEPTED = "installation.new_permissions_accepted"
    REPOSITORIES_ADDED = "installation_repositories.added"
    REPOSITORIES_REMOVED = "installation_repositories.removed"
    RENAMED = "installation_target.renamed"


# The changes whose repository lists change repositories (the other `installation` events list them too).
_CHANGES_REPOSITORIES = frozenset({Change.CREATED, Change.REPOSITORIES_ADDED, Change.REPOSITORIES_REMOVED})


@dataclass(frozen=True)
class InstallationDelivery:
    """One delivery, as much of it as its change needs."""

    delivery_id: str
    # The SHA-256 (hex) of the signed body: a body claimed once is a duplicate under any delivery id.
    body_digest: str
    change: Change
    installation_id: int
    account_login: str  # as the delivery names the account; for RENAMED, the new login
    sender_github_user_id: int  # for CREATED: the installer
    repository_selection: RepositorySelection | None = None  # None: the delivery does not say
    repositories_added: frozenset[str] = frozenset()  # for CREATED: the repositories it lists
    repositories_removed: frozenset[str] = frozenset()
    # `installation.created_at` in epoch seconds; None when the payload does not carry it (a rename).
    installation_created_at: int | None = None


@dataclass(frozen=True)
class InstallationState:
    """What is kept about one installation beside its repositories; `coverage` is what a create reads
    (its `repositories` are empty here: each repository is an item of its own, `RepositoryWrite`)."""

    coverage: GithubInstallation
    deleted: bool = False
    # When GitHub created the installation (epoch seconds), None until a delivery says; it decides
    # which of two installations naming one login owns that login's account copy.
    created_at: int | None = None
    # The version at which the installation took its current login; only repository items of this
    # epoch count (a rename starts a new one).
    repositories_epoch: int = 0


@dataclass(frozen=True)
class RepositoryWrite:
    """One repository's item as a delivery writes it, under the installation's login."""

    name: str
    removed: bool
    version: int  # the writing delivery's version
    # `created`: a removal an earlier-arrived delivery recorded stays (GitHub's list may predate it).
    keeps_removal: bool = False


@dataclass(frozen=True)
class RepositoryEntry:
    """A repository's item as stored."""

    installation_id: int
    repositories_epoch: int
    version: int
    removed: bool


def accepts(existing: RepositoryEntry | None, write: RepositoryWrite, installation_id: int, epoch: int) -> bool:
    """Whether `write` (by `installation_id`, at `epoch`) replaces `existing`: the rule the ledger's
    conditional writes enforce. An item of another installation or epoch counts for nothing and goes."""
    if existing is None or existing.installation_id != installation_id or existing.repositories_epoch != epoch:
        return True
    if write.keeps_removal and existing.removed:
        return False
    return existing.version < write.version


def entry_covers(entry: RepositoryEntry | None, installation_id: int, epoch: int) -> bool:
    """Whether a repository item says the installation (at its current epoch) covers the repository."""
    return (
        entry is not None
        and not entry.removed
        and entry.installation_id == installation_id
        and entry.repositories_epoch == epoch
    )


@dataclass(frozen=True)
class RepositoryMove:
    """After a rename: the items under the login the installation left, carried to its new login."""

    from_login: str
    from_epoch: int


@dataclass(frozen=True)
class Transition:
    """What one delivery changes: the state to store as `version`, and the repository items to write."""

    state: InstallationState
    version: int
    writes: tuple[RepositoryWrite, ...] = ()
    move: RepositoryMove | None = None
    left_login: str | None = None  # the login whose account copy this installation no longer holds


class DeliveryOutcome(StrEnum):
    APPLIED = "applied"
    # Applied, but nobody can use the installation yet: its installer is not linked to a Neptun user
    # (or, before `created` arrives, not known).
    AWAITING_LINK = "awaiting_link"
    DUPLICATE = "duplicate"  # this delivery id (or these exact bytes) was applied before: nothing changed now
    # Applied to the installation's own state, but a newer installation owns the account's login, so
    # what creates read was left as it is.
    SUPERSEDED = "superseded"
    IGNORED = "ignored"  # the installation was deleted before: nothing changes it any more


@dataclass(frozen=True)
class LedgerRead:
    state: InstallationState | None
    version: int  # 0: nothing stored yet
    installer_linked: bool | None  # None: the link was not asked for


class DeliveryAlreadyApplied(Exception):
    """The delivery's id was claimed by an earlier write (raised by the ledger)."""


class InstallationChangedMeanwhile(Exception):
    """The installation is no longer at the version read (raised by the ledger); read again."""


class InstallationLedger(Protocol):
    def read(self, installation_id: int, linked_github_user_id: int | None) -> LedgerRead:
        """The installation's state and version, and whether that GitHub user is linked, in one request."""
        ...

    def write(self, delivery: InstallationDelivery, transition: Transition, expected_version: int) -> bool:
        """Claim the delivery id and body digest and store `transition.state` as `transition.version`
        (the state read at `expected_version`), atomically, with the account copy a create reads (none
        for a deleted installation) unless the login is owned by another installation (`owns_login`),
        removing the copy under `transition.left_login` or marking it uninstalled (a deletion) while it
        is still this one's; then, while the installation holds its login, its repository writes and
        move, each item only where `accepts` allows, in parts when they do not fit that one write.
        Returns False when another installation owns the login (its copy and items were left as they
        are). Raises DeliveryAlreadyApplied (after finishing the parts an interrupted first attempt
        left) or InstallationChangedMeanwhile, writing nothing of this attempt's state."""
        ...


class InstallationService:
    def __init__(self, ledger: InstallationLedger) -> None:
        self._ledger = ledger

    def apply(self, delivery: InstallationDelivery) -> DeliveryOutcome:
        installer = delivery.sender_github_user_id if delivery.change is Change.CREATED else None
        for _ in range(MAX_APPLY_ATTEMPTS):
            read = self._ledger.read(delivery.installation_id, installer)
            transition = next_transition(read.state, delivery, read.version + 1)
            if transition is None:
                return DeliveryOutcome.IGNORED
            try:
                holds_login = self._ledger.write(delivery, transition, read.version)
            except DeliveryAlreadyApplied:
                return DeliveryOutcome.DUPLICATE
            except InstallationChangedMeanwhile:
                continue
            state = transition.state
            if not holds_login and not state.deleted:
                return DeliveryOutcome.SUPERSEDED
            usable = state.coverage.installer_github_user_id is not None and read.installer_linked is not False
            return DeliveryOutcome.APPLIED if usable else DeliveryOutcome.AWAITING_LINK
        raise InstallationChangedMeanwhile(f"installation kept changing over {MAX_APPLY_ATTEMPTS} attempts")


def owns_login(
    installation_id: int, created_at: int | None, holder_id: int | None, holder_created_at: int | None
) -> bool:
    """Whether an installation may write the account copy of a login that `holder_id` holds (None: nobody).

    The rule the ledger enforces in its conditional write (module docstring, "One login, one installation").
    A holder whose creation time is not known (stored before this rule) is kept until one of its own
    deliveries tells it: a refusal for a while, never a grant."""
    if holder_id is None or holder_id == installation_id:
        return True
    return created_at is not None and holder_created_at is not None and created_at > holder_created_at


def next_transition(
    current: InstallationState | None, delivery: InstallationDelivery, version: int
) -> Transition | None:
    """What the delivery changes when stored as `version`, or None when it changes nothing (deleted before)."""
    state = next_state(current, delivery, version)
    if state is None:
        return None
    move = None
    if current is not None and state.repositories_epoch != current.repositories_epoch:
        move = RepositoryMove(from_login=current.coverage.account_login, from_epoch=current.repositories_epoch)
    writes = () if state.deleted else repository_writes(delivery, version)
    return Transition(state=state, version=version, writes=writes, move=move, left_login=_left_login(current, state))


def next_state(
    current: InstallationState | None, delivery: InstallationDelivery, version: int
) -> InstallationState | None:
    """The installation after the delivery, or None when the delivery changes nothing (deleted before)."""
    if current is not None and current.deleted:
        return None
    state = current or _first_seen(delivery, version)
    if state.created_at is None and delivery.installation_created_at is not None:
        # An installation's creation time never changes: the first delivery that tells it is kept.
        state = replace(state, created_at=delivery.installation_created_at)
    changed = _changed(state, delivery)
    if changed.coverage.account_login.casefold() != state.coverage.account_login.casefold():
        changed = replace(changed, repositories_epoch=version)  # a new login: its items start anew
    return changed


def repository_writes(delivery: InstallationDelivery, version: int) -> tuple[RepositoryWrite, ...]:
    """The repository items a delivery writes as `version`, in name order (a deterministic split into parts)."""
    if delivery.change not in _CHANGES_REPOSITORIES:
        return ()  # other installation events list repositories too, but change none of them
    created = delivery.change is Change.CREATED
    added = delivery.repositories_added
    removed = delivery.repositories_removed - added  # a name in both lists ends added, as GitHub reports it
    writes = [RepositoryWrite(name, removed=False, version=version, keeps_removal=created) for name in added]
    writes += [RepositoryWrite(name, removed=True, version=version) for name in removed]
    return tuple(sorted(writes, key=lambda write: write.name.casefold()))


def _left_login(before: InstallationState | None, after: InstallationState) -> str | None:
    """The login whose account copy no longer holds this installation after the change."""
    if after.deleted:
        return after.coverage.account_login
    if before is not None and before.coverage.account_login.casefold() != after.coverage.account_login.casefold():
        return before.coverage.account_login
    return None


def _first_seen(delivery: InstallationDelivery, version: int) -> InstallationState:
    return InstallationState(
        coverage=GithubInstallation(
            installation_id=delivery.installation_id,
            account_login=delivery.account_login,
            installer_github_user_id=None,
            repository_selection=delivery.repository_selection or RepositorySelection.SELECTED,
            repositories=frozenset(),
        ),
        repositories_epoch=version,
    )


def _changed(state: InstallationState, delivery: InstallationDelivery) -> InstallationState:
    coverage = state.coverage
    match delivery.change:
        case Change.CREATED:
            return replace(state, coverage=replace(coverage, installer_github_user_id=delivery.sender_github_user_id))
        case Change.DELETED:
            return replace(state, deleted=True)
        case Change.SUSPENDED | Change.UNSUSPENDED:
            return replace(state, coverage=replace(coverage, suspended=delivery.change is Change.SUSPENDED))
        case Change.RENAMED:
            return replace(state, coverage=replace(coverage, account_login=delivery.account_login))
        case Change.REPOSITORIES_ADDED | Change.REPOSITORIES_REMOVED:
            selection = delivery.repository_selection or coverage.repository_selection
            return replace(state, coverage=replace(coverage, repository_selection=selection))
        case Change.PERMISSIONS_ACCEPTED:
            # Coverage does not depend on permissions; as the first delivery seen it starts the state.
            return state
