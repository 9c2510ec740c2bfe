"""Which installation a login's `github` creates follow, whatever order and however often deliveries arrive.

Black-box: everything goes in as signed deliveries and comes out as the answers of creates, so these
tests hold whatever the installation items look like.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from local import records
from local.demo import DEMO_USER_ID
from tests.api_client import assert_error, imports_path, post_imports
from tests.webhooks import INSTALLER, deliver, payload, repositories

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

pytestmark = pytest.mark.usefixtures("demo_token")

ORG = "octo-org"
OTHER_USER = 2
OTHER_INSTALLER = 583231  # GitHub user linked to OTHER_USER
OTHER_PROJECT = 55


@dataclass(frozen=True)
class Installation:
    installation_id: int
    created_at: int | str
    installer: int
    covered: list[str] | None  # None: all repositories


# A, installed by user 2's GitHub user on all repositories, then uninstalled; B, installed later by the
# demo user's GitHub user on `docs` only. B is the live installation of `octo-org`.
OLD = Installation(101, 1_600_000_000, OTHER_INSTALLER, None)
LIVE = Installation(202, "2024-03-01T10:00:00.000+01:00", INSTALLER, ["docs"])


def installation_payload(fixture: str, installation: Installation) -> dict[str, Any]:
    body = payload(fixture)
    body["installation"].update(
        id=installation.installation_id,
        created_at=installation.created_at,
        repository_selection="all" if installation.covered is None else "selected",
    )
    body["installation"]["account"]["login"] = ORG
    body["sender"]["id"] = installation.installer
    if "repositories" in body:
        body["repositories"] = repositories(*(installation.covered or []))
    return body


def late_added(installation: Installation) -> dict[str, Any]:
    body = installation_payload("installation_repositories.added", installation)
    body["repositories_added"] = repositories("secret")
    return body


DELIVERED = ["old created", "old deleted", "live created", "late old event"]
LATE_OLD_EVENTS = ["installation.new_permissions_accepted", "installation.unsuspend", "installation_repositories.added"]


def delivery_of(name: str, late: str) -> tuple[str, dict[str, Any]]:
    """One of the four deliveries by name, as (event, payload); `late` is the late event of the old one."""
    if name == "late old event":
        body = late_added(OLD) if late == "installation_repositories.added" else installation_payload(late, OLD)
        return late.split(".", 1)[0], body
    fixture = "installation.deleted" if name == "old deleted" else "installation.created"
    return "installation", installation_payload(fixture, LIVE if name == "live created" else OLD)


@pytest.fixture
def other_user(dynamodb: DynamoDBClient) -> str:
    records.put_project(dynamodb, OTHER_USER, OTHER_PROJECT)
    records.put_github_link(dynamodb, OTHER_USER, OTHER_INSTALLER)
    return records.put_session(dynamodb, OTHER_USER)


def answers(other_token: str) -> dict[str, int]:
    """What each user's `github` create of each octo-org repository answers."""

    def create(repository: str, token: str | None = None, user: int = DEMO_USER_ID, project: int = 789) -> int:
        body = {"source_type": "github", "source_path": f"{ORG}/{repository}"}
        if token is None:
            return post_imports(body).status
        return post_imports(body, token=token, path=imports_path(user, project)).status

    return {
        "demo user, docs": create("docs"),
        "demo user, secret": create("secret"),
        "user 2, docs": create("docs", other_token, OTHER_USER, OTHER_PROJECT),
        "user 2, secret": create("secret", other_token, OTHER_USER, OTHER_PROJECT),
    }


LIVE_ONLY = {"demo user, docs": 201, "demo user, secret": 403, "user 2, docs": 403, "user 2, secret": 403}


@pytest.mark.parametrize("late", LATE_OLD_EVENTS)
@pytest.mark.parametrize("order", list(itertools.permutations(DELIVERED)), ids=" > ".join)
def test_in_any_order_the_live_installation_owns_the_login(other_user: str, order: tuple[str, ...], late: str) -> None:
    delivered_live = False
    for name in order:
        event, body = delivery_of(name, late)
        answer = deliver(body, event=event)
        assert answer.status in {200, 202}, answer.text
        delivered_live = delivered_live or name == "live created"
        if delivered_live:
            assert answers(other_user) == LIVE_ONLY, f"after {name}"


def test_an_older_installation_is_answered_superseded_and_changes_nothing_a_create_reads(other_user: str) -> None:
    deliver(installation_payload("installation.created", LIVE))
    answer = deliver(installation_payload("installation.created", OLD))
    assert (answer.status, answer.json()["outcome"]) == (200, "superseded")
    assert deliver(late_added(OLD), event="installation_repositories").json()["outcome"] == "superseded"
    assert answers(other_user) == LIVE_ONLY


def test_a_newer_installation_takes_the_login_even_before_the_old_ones_deletion_arrives(other_user: str) -> None:
    deliver(installation_payload("installation.created", OLD))
    assert answers(other_user)["user 2, secret"] == 201
    deliver(installation_payload("installation.created", LIVE))
    assert answers(other_user) == LIVE_ONLY


@pytest.mark.parametrize("late", LATE_OLD_EVENTS)
def test_once_the_live_one_is_uninstalled_too_a_late_old_event_takes_nothing_back(other_user: str, late: str) -> None:
    deliver(installation_payload("installation.created", OLD))
    deliver(installation_payload("installation.created", LIVE))
    assert deliver(installation_payload("installation.deleted", LIVE)).status == 200
    event, body = delivery_of("late old event", late)
    assert deliver(body, event=event).json()["outcome"] == "superseded"
    assert set(answers(other_user).values()) == {403}, "nobody's: the account has no installation now"
    newer = Installation(404, "2025-01-01T00:00:00Z", OTHER_INSTALLER, None)
    assert deliver(installation_payload("installation.created", newer)).json()["outcome"] == "applied"
    assert answers(other_user)["user 2, secret"] == 201, "a newer installation takes the login"


def test_an_unknown_installation_first_seen_by_a_rename_takes_no_held_login(other_user: str) -> None:
    deliver(installation_payload("installation.created", LIVE))
    renamed = payload("installation_target.renamed")  # carries no created_at
    renamed["installation"]["id"] = 303
    renamed["account"]["login"] = ORG
    answer = deliver(renamed, event="installation_target")
    assert answer.status == 200, answer.text
    assert answer.json()["outcome"] == "superseded"
    assert answers(other_user) == LIVE_ONLY


def test_equal_creation_times_keep_the_holder(other_user: str) -> None:
    deliver(installation_payload("installation.created", LIVE))
    same_time = Installation(303, LIVE.created_at, OTHER_INSTALLER, None)
    assert deliver(installation_payload("installation.created", same_time)).json()["outcome"] == "superseded"
    assert answers(other_user) == LIVE_ONLY


def test_a_replayed_body_under_a_new_delivery_id_is_a_duplicate() -> None:
    deliver("installation.created")
    added = json.dumps(payload("installation_repositories.added")).encode()
    assert deliver(added, event="installation_repositories", delivery_id="first").status == 200
    removed = payload("installation_repositories.removed")
    removed["repositories_removed"] = repositories("Space")
    deliver(removed, event="installation_repositories")
    assert post_imports({"source_type": "github", "source_path": "Codertocat/Space"}).status == 403
    replayed = deliver(added, event="installation_repositories", delivery_id="captured-and-replayed")
    assert (replayed.status, replayed.json()["outcome"]) == (200, "duplicate")
    assert post_imports({"source_type": "github", "source_path": "Codertocat/Space"}).status == 403


def _with(path: tuple[str | int, ...], value: object) -> dict[str, Any]:
    body = payload("installation.created")
    target: Any = body
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return body


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("installation", "account", "login"), "\u212aelvin-co"),  # KELVIN SIGN, lower() gives "kelvin-co"
        (("installation", "account", "login"), "octo\u00e9"),
        (("installation", "account", "login"), "-octo"),
        (("installation", "account", "login"), "octo-"),
        (("installation", "account", "login"), "oc--to"),
        (("installation", "account", "login"), "a" * 40),
        (("installation", "account", "login"), "octo org"),
        (("repositories", 0, "name"), "."),
        (("repositories", 0, "name"), ".."),
        (("repositories", 0, "name"), "r" * 101),
        (("repositories", 0, "name"), "caf\u00e9"),
        (("repositories", 0, "name"), "a/b"),
        (("installation", "id"), "957387"),
        (("installation", "id"), 957387.0),
        (("installation", "id"), True),
        (("sender", "id"), "21031067"),
        (("sender", "id"), True),
        (("installation", "created_at"), "yesterday"),
        (("installation", "created_at"), "2024-03-01T10:00:00"),  # no time zone
        (("installation", "created_at"), 1.5e9),
    ],
)
def test_what_github_never_sends_is_400_storing_nothing(path: tuple[str | int, ...], value: object) -> None:
    answer = assert_error(deliver(_with(path, value)), 400)
    assert answer["errors"]
    assert post_imports({"source_type": "github", "source_path": "kelvin-co/Hello-World"}).status == 403
    assert post_imports({"source_type": "github", "source_path": "Codertocat/Hello-World"}).status == 403


def test_a_kelvin_sign_login_never_aliases_the_ascii_account() -> None:
    kelvin = _with(("installation", "account", "login"), "\u212aelvin-co")
    kelvin["repository_selection"] = "all"
    assert_error(deliver(kelvin), 400)
    assert post_imports({"source_type": "github", "source_path": "kelvin-co/anything"}).status == 403


def test_names_that_would_outgrow_an_item_are_refused_not_a_500() -> None:
    created = payload("installation.created")
    # 3,000 names of 100 four-byte characters would be 1.2 MB an item: never a GitHub name.
    created["repositories"] = repositories(*(f"{number:04d}" + "\U0001f600" * 96 for number in range(3000)))
    assert_error(deliver(json.dumps(created, ensure_ascii=False).encode()), 400)
