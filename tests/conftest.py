"""Shared fixtures: moto's in-process DynamoDB with the template's tables, demo data, and a client
that calls the real Lambda handler with API Gateway HTTP API 2.0 events."""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from local.template import every_function_environment, function_environment

# The handler reads its settings and creates its DynamoDB client when imported, so the environment
# (the template's own variables, fake credentials, no endpoint override) is set before that.
for _variable in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
    os.environ.pop(_variable, None)
os.environ.update(
    every_function_environment()
    | {"AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
)

import boto3  # noqa: E402
import botocore.endpoint  # noqa: E402
import moto  # noqa: E402 - moto must be imported before any boto3 client exists to intercept it
import pytest  # noqa: E402

from handlers import create_import  # noqa: E402
from local import records  # noqa: E402
from local.demo import DEMO_SESSION_TOKEN, seed_demo_data  # noqa: E402
from local.settings import DEMO_WEBHOOK_SECRET  # noqa: E402
from local.tables import create_tables  # noqa: E402
from tests.dynamodb_faults import FaultInjector  # noqa: E402
from tests.iam_policy import IamGuard  # noqa: E402

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


@dataclass
class RequestCounter:
    """Counts the HTTP requests the handler's DynamoDB client sends, retries included."""

    operations: list[str] = field(default_factory=list)

    def __call__(self, event_name: str, **_: Any) -> None:
        self.operations.append(event_name.rsplit(".", 1)[-1])

    @property
    def count(self) -> int:
        return len(self.operations)


# One client for the whole run (making one loads botocore's service model, about 0.1 s): moto
# intercepts every client made after it is imported, whichever mock_aws() is active.
_parameter_store = boto3.client("ssm")


@pytest.fixture
def dynamodb() -> Iterator[DynamoDBClient]:
    """moto's DynamoDB with every table of template.yaml; the handler's own client talks to it. Also
    the webhook secret in moto's Parameter Store, where the template says the function reads it."""
    with moto.mock_aws():
        client = create_import.dynamodb
        create_tables(client)
        _parameter_store.put_parameter(
            Name=function_environment("GithubWebhookFunction")["GITHUB_WEBHOOK_SECRET_PARAMETER"],
            Value=DEMO_WEBHOOK_SECRET,
            Type="SecureString",
        )
        yield client


@pytest.fixture(autouse=True)
def iam_allows_every_request() -> Iterator[IamGuard]:
    """Every DynamoDB request a handler sends in a test must be one its function's IAM policy in
    template.yaml allows (tests/iam_policy.py): moto does not enforce IAM, AWS does."""
    from handlers import edge, github_webhook  # noqa: PLC0415 - the handlers' own clients, made on import

    guard = IamGuard()
    clients = [edge.dynamodb, github_webhook.dynamodb]
    for client in clients:
        client.meta.events.register("before-parameter-build.dynamodb", guard)
    yield guard
    for client in clients:
        client.meta.events.unregister("before-parameter-build.dynamodb", guard)
    assert not guard.refused, "IAM would refuse:\n" + "\n".join(guard.refused)


@dataclass
class RetryBackoff:
    """The pauses botocore's retries took between attempts, in seconds, in the order it took them."""

    waits: list[float] = field(default_factory=list)


@pytest.fixture(autouse=True)
def retry_backoff(monkeypatch: pytest.MonkeyPatch) -> RetryBackoff:
    """botocore's retry backoff (standard mode, between the 3 attempts: a random part of 1 s then 2 s
    after throttling, of 25 then 50 ms after other DynamoDB errors) is recorded instead of slept: the
    attempts and their outcome are what the tests check, and sleeping them cost the suite about a
    minute of its work. endpoint.py is the only botocore module that sleeps for a retry, and
    `time.sleep` is all it uses of `time`."""
    backoff = RetryBackoff()
    monkeypatch.setattr(botocore.endpoint, "time", SimpleNamespace(sleep=backoff.waits.append))
    return backoff


@pytest.fixture
def demo_token(dynamodb: DynamoDBClient) -> str:
    """User 1 with project 789, an installation on `username` covering all repositories, a live session."""
    return seed_demo_data(dynamodb)


@pytest.fixture
def dynamodb_requests(dynamodb: DynamoDBClient) -> Iterator[RequestCounter]:
    counter = RequestCounter()
    events = create_import.dynamodb.meta.events
    events.register("request-created.dynamodb", counter)
    yield counter
    events.unregister("request-created.dynamodb", counter)


@pytest.fixture
def webhook_requests(dynamodb: DynamoDBClient) -> Iterator[RequestCounter]:
    """The DynamoDB requests of the webhook function's own client."""
    from handlers import github_webhook  # noqa: PLC0415 - only the tests that count the webhook's requests

    counter = RequestCounter()
    github_webhook.dynamodb.meta.events.register("request-created.dynamodb", counter)
    yield counter
    github_webhook.dynamodb.meta.events.unregister("request-created.dynamodb", counter)


@dataclass
class JsonLogs:
    """What the handler's Powertools logger wrote, one JSON object a line."""

    stream: io.StringIO

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]


@pytest.fixture
def handler_logs() -> Iterator[JsonLogs]:
    # The logger's handler kept the stdout of the moment it was made, which capsys cannot see.
    handler = create_import.logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    logs = JsonLogs(io.StringIO())
    previous = handler.setStream(logs.stream)
    yield logs
    handler.setStream(previous)


@pytest.fixture(scope="session", autouse=True)
def no_session_token_is_ever_logged() -> Iterator[None]:
    """Every line the handler logs during the whole suite, checked for every token the suite issued."""
    suite_log = io.StringIO()
    handler = logging.StreamHandler(suite_log)
    handler.setFormatter(create_import.logger.registered_formatter)
    service_logger = logging.getLogger(create_import.logger.service)  # the logger Powertools writes through
    service_logger.addHandler(handler)
    issued = {DEMO_SESSION_TOKEN}
    put_session = records.put_session

    def recording_put_session(*arguments: Any, **keywords: Any) -> str:
        token = put_session(*arguments, **keywords)
        issued.add(token)
        return token

    records.put_session = recording_put_session
    yield
    records.put_session = put_session
    service_logger.removeHandler(handler)
    logged = suite_log.getvalue()
    leaked = sorted(token for token in issued if token in logged)
    assert not leaked, f"{len(leaked)} session tokens appear in the handler's logs"
    assert "neptun-session=" not in logged


@pytest.fixture
def faults(dynamodb: DynamoDBClient) -> Iterator[FaultInjector]:
    """Fails chosen attempts of one DynamoDB operation of the handlers' client (tests/dynamodb_faults.py)."""
    injector = FaultInjector()
    yield injector
    if injector.operation:
        create_import.dynamodb.meta.events.unregister(f"before-send.dynamodb.{injector.operation}", injector)  # type: ignore[arg-type]
