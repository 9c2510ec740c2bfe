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

Whose installation it is: the Neptun user linked to the GitHub user who installed it (`created`'s
sender). The link is the login service's item; a create checks it in its own write, so an installation
becomes its installer's user's as soon as the link exists, whenever the deliveries arrived.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Protocol

from domain.access import GithubInstallation, RepositorySelection

# The repository names one installation keeps (covered ones plus, before `created`, removed ones).
# Each is written twice (state and account copy) in one DynamoDB write; 3,000 names of GitHub's
# longest (100 characters) stay under DynamoDB's 400 KB item limit. Only a `selected` installation
# over the limit is refused; under `all` the names are then not kept.
MAX_TRACKED_REPOSITORIES = 3000
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
    """Everything kept about one installation; `coverage` is what a create reads."""

    coverage: GithubInstallation
    deleted: bool = False
    # When GitHub created the installation (epoch seconds), None until a delivery says; it decides
    # which of two installations naming one login owns that login's account copy.
    created_at: int | None = None
    # Removed by deliveries that arrived before `created`, so that `created` does not add them back.
    removed_before_created: frozenset[str] = frozenset()

    @property
    def tracked_repositories(self) -> int:
        return len(self.coverage.repositories) + len(self.removed_before_created)


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


class TooManyRepositories(Exception):
    def __init__(self) -> None:
        super().__init__(
            f"The installation would cover more than {MAX_TRACKED_REPOSITORIES} individually selected "
            "repositories, more than Neptun keeps; select all repositories instead."
        )


class InstallationLedger(Protocol):
    def read(self, installation_id: int, linked_github_user_id: int | None) -> LedgerRead:
        """The installation's state and version, and whether that GitHub user is linked, in one request."""
        ...

    def write(
        self, delivery: InstallationDelivery, state: InstallationState, expected_version: int, left_login: str | None
    ) -> bool:
        """Claim the delivery id and body digest and store `state` as version `expected_version + 1`,
        atomically, in one request, with the account copy a create reads (none for a deleted
        installation) unless the login is owned by another installation (`owns_login`), removing the
        copy under `left_login` (the login a rename left) or marking it uninstalled (a deletion) while it
        is still this one's.
        Returns False when another installation owns the login (its copy was left as it is). Raises
        DeliveryAlreadyApplied or InstallationChangedMeanwhile, writing nothing."""
        ...


class InstallationService:
    def __init__(self, ledger: InstallationLedger) -> None:
        self._ledger = ledger

    def apply(self, delivery: InstallationDelivery) -> DeliveryOutcome:
        installer = delivery.sender_github_user_id if delivery.change is Change.CREATED else None
        for _ in range(MAX_APPLY_ATTEMPTS):
            read = self._ledger.read(delivery.installation_id, installer)
            state = next_state(read.state, delivery)
            if state is None:
                return DeliveryOutcome.IGNORED
            try:
                holds_login = self._ledger.write(delivery, state, read.version, _left_login(read.state, state))
            except DeliveryAlreadyApplied:
                return DeliveryOutcome.DUPLICATE
            except InstallationChangedMeanwhile:
                continue
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


def next_state(current: InstallationState | None, delivery: InstallationDelivery) -> InstallationState | None:
    """The installation after the delivery, or None when the delivery changes nothing (deleted before)."""
    if current is not None and current.deleted:
        return None
    state = current or _first_seen(delivery)
    if state.created_at is None and delivery.installation_created_at is not None:
        # An installation's creation time never changes: the first delivery that tells it is kept.
        state = replace(state, created_at=delivery.installation_created_at)
    changed = _changed(state, delivery)
    if changed.tracked_repositories <= MAX_TRACKED_REPOSITORIES:
        return changed
    if changed.coverage.repository_selection is RepositorySelection.ALL:
        # Under `all` the names matter only for a later switch back to `selected`; a large account's
        # are not kept, and such a switch then covers what it lists later (a refusal, never a grant).
        return replace(
            changed, coverage=replace(changed.coverage, repositories=frozenset()), removed_before_created=frozenset()
        )
    raise TooManyRepositories


def _left_login(before: InstallationState | None, after: InstallationState) -> str | None:
    """The login whose account copy no longer holds this installation after the change."""
    if after.deleted:
        return after.coverage.account_login
    if before is not None and before.coverage.account_login.casefold() != after.coverage.account_login.casefold():
        return before.coverage.account_login
    return None


def _first_seen(delivery: InstallationDelivery) -> InstallationState:
    return InstallationState(
        coverage=GithubInstallation(
            installation_id=delivery.installation_id,
            account_login=delivery.account_login,
            installer_github_user_id=None,
            repository_selection=delivery.repository_selection or RepositorySelection.SELECTED,
            repositories=frozenset(),
        )
    )


def _changed(state: InstallationState, delivery: InstallationDelivery) -> InstallationState:
    coverage = state.coverage
    match delivery.change:
        case Change.CREATED:
            return _created(state, delivery)
        case Change.DELETED:
            return InstallationState(
                coverage=replace(coverage, repositories=frozenset()), deleted=True, created_at=state.created_at
            )
        case Change.SUSPENDED | Change.UNSUSPENDED:
            return replace(state, coverage=replace(coverage, suspended=delivery.change is Change.SUSPENDED))
        case Change.RENAMED:
            return replace(state, coverage=replace(coverage, account_login=delivery.account_login))
        case Change.REPOSITORIES_ADDED | Change.REPOSITORIES_REMOVED:
            return _repositories_changed(state, delivery)
        case Change.PERMISSIONS_ACCEPTED:
            # Coverage does not depend on permissions; as the first delivery seen it starts the state.
            return state


def _created(state: InstallationState, delivery: InstallationDelivery) -> InstallationState:
    coverage = state.coverage
    listed = delivery.repositories_added - state.removed_before_created
    return InstallationState(
        coverage=replace(
            coverage,
            installer_github_user_id=delivery.sender_github_user_id,
            repositories=coverage.repositories | listed,
        ),
        created_at=state.created_at,
    )


def _repositories_changed(state: InstallationState, delivery: InstallationDelivery) -> InstallationState:
    coverage = state.coverage
    removed = delivery.repositories_removed
    added = delivery.repositories_added
    remembered = state.removed_before_created
    if coverage.installer_github_user_id is None:
        remembered = (remembered | removed) - added
    return replace(
        state,
        coverage=replace(
            coverage,
            repository_selection=delivery.repository_selection or coverage.repository_selection,
            repositories=(coverage.repositories - removed) | added,
        ),
        removed_before_created=remembered,
    )
