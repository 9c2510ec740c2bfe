"""Who may ask, checked before anything about the request is reported: one gate for every route.

Authentication comes first: a request without a live session is NotAuthenticated whatever else is
wrong with it, so an anonymous caller learns nothing about paths, bodies or projects. Then, in this
order: the path (400), the session's user against the path's (403), the rest of the request (query,
body, headers: 400/413/415), the project (404). What follows is each route's own (import, 403
installation, 412 precondition).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from domain.access import AccessFacts, AccessQuery, ProjectKey, Session, session_token_hash
from domain.errors import NotAuthenticated, ProjectNotFound, RequestRejected, UserMismatch
from domain.ports import AccessReader
from domain.source_paths import GithubRepository

_Part = TypeVar("_Part")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Reads:
    """What a route reads beside the session and the project, once its request is valid."""

    github_repository: GithubRepository | None = None
    import_id: int | None = None


NOTHING_MORE = Reads()


@dataclass(frozen=True)
class Admitted:
    """A request that passed the gate: its project exists and is the session user's."""

    project: ProjectKey
    facts: AccessFacts


class Gate:
    """Reads once (the session, and for a valid request what it names) and checks in the documented order."""

    def __init__(self, store: AccessReader, clock: Callable[[], datetime] = utc_now) -> None:
        self._store = store
        self._clock = clock

    def admit(
        self,
        session_token: str | None,
        project: ProjectKey | RequestRejected,
        parts: Sequence[object | RequestRejected] = (),
        reads: Reads = NOTHING_MORE,
    ) -> Admitted:
        """Raise the first refusal, in order; else the project and everything read for the request."""
        token_hash = session_token_hash(session_token) if session_token else None
        if token_hash is None:
            raise NotAuthenticated
        valid = isinstance(project, ProjectKey) and not any(isinstance(part, RequestRejected) for part in parts)
        # Only a valid request reads its project and the rest: a refused one costs one session lookup.
        query = (
            AccessQuery(token_hash, project, reads.github_repository, reads.import_id)
            if valid and isinstance(project, ProjectKey)
            else AccessQuery(token_hash, None)
        )
        facts = self._store.read_access(query)
        session_user = self._live_session_user(facts.session)
        accepted_project = accepted(project)
        if session_user != accepted_project.user_id:
            raise UserMismatch
        for part in parts:
            accepted(part)
        if not facts.project_exists:
            raise ProjectNotFound
        return Admitted(project=accepted_project, facts=facts)

    def refuse(
        self, session_token: str | None, project: ProjectKey | RequestRejected, problem: RequestRejected
    ) -> None:
        """For a request already known to be invalid: authenticate, then raise what is wrong first."""
        self.admit(session_token, project, [problem])

    def _live_session_user(self, session: Session | None) -> int:
        if session is None or not session.is_live_at(self._clock().timestamp()):
            raise NotAuthenticated
        return session.user_id


def accepted(part: _Part | RequestRejected) -> _Part:
    if isinstance(part, RequestRejected):
        raise part
    return part
