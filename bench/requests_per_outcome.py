"""DynamoDB requests per outcome, counted with botocore's `request-created` event (retries included)."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from typing import Any

from bench.events import BODY, create_event
from local.lambda_context import LocalLambdaContext


@dataclass(frozen=True)
class Outcome:
    name: str
    status: int
    requests: list[str]


def _cases(token: str) -> list[tuple[str, dict[str, Any]]]:
    uncovered = {"source_type": "github", "source_path": "stranger/repository"}
    return [
        ("create", create_event(token)),
        ("no session", create_event("never-issued")),
        ("another user's path", create_event(token, user_id=2)),
        ("project not found", create_event(token, project_id=790)),
        ("repository not covered", create_event(token, body=uncovered)),
        ("invalid body", create_event(token, body=BODY | {"source_type": "svn"})),
        ("create, Idempotency-Key", _with_key(create_event(token), "bench-key")),
        ("replay, same key", _with_key(create_event(token), "bench-key")),
    ]


def _with_key(event: dict[str, Any], key: str) -> dict[str, Any]:
    event["headers"]["idempotency-key"] = key
    return event


def measure() -> list[Outcome]:
    import moto  # noqa: PLC0415 - before the handler creates its client, so that moto intercepts it

    from handlers import create_import  # noqa: PLC0415
    from local.demo import seed_demo_data  # noqa: PLC0415
    from local.tables import create_tables  # noqa: PLC0415

    outcomes = []
    with moto.mock_aws(), contextlib.redirect_stdout(io.StringIO()):
        create_tables(create_import.dynamodb)
        token = seed_demo_data(create_import.dynamodb)
        for name, event in _cases(token):
            sent: list[str] = []

            def count(event_name: str, _sent: list[str] = sent, **_: Any) -> None:
                _sent.append(event_name.rsplit(".", 1)[-1])

            create_import.dynamodb.meta.events.register("request-created.dynamodb", count)
            response = create_import.lambda_handler(event, LocalLambdaContext())  # type: ignore[arg-type]
            create_import.dynamodb.meta.events.unregister("request-created.dynamodb", count)
            outcomes.append(Outcome(name, response["statusCode"], sent))
    if outcomes[0].status != 201:
        raise RuntimeError(f"the create case did not succeed: {json.dumps(outcomes[0].__dict__)}")
    return outcomes
