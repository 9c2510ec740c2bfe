"""Lambda SnapStart: the hook that primes a function before its snapshot is taken.

With SnapStart on (template parameter SnapStart), Lambda initialises each published version once,
snapshots the execution environment and starts every cold environment from a copy of it. Before
the snapshot, each function answers one request that never reaches AWS: no session cookie (or, for
the webhook, no signature), so it is refused with 401 before any DynamoDB or SSM call. That runs
Powertools' routing, pydantic's validation and the JSON encoding once, so that the snapshot holds
them imported and compiled.

Nothing random is drawn before the snapshot, and none of the random sources the code uses keeps
state in the process: import ids come from `secrets`, write tokens from `uuid.uuid4`, both read the
operating system's entropy on every call, which Lambda reseeds on restore. (The `random` module's
state would be copied into every restored environment; the service does not use it.)
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from snapshot_restore_py import register_before_snapshot

Resolve = Callable[[dict[str, Any], Any], dict[str, Any]]
PRIMING_STATUS = HTTPStatus.UNAUTHORIZED
_PATH_ID = r"[<{](\w+)[>}]"  # Powertools writes <user_id>, API Gateway {user_id}
_API_GATEWAY_ID = r"{\1}"


class PrimingFailed(Exception):
    """The function did not refuse its priming request as expected: publishing the version fails."""


@dataclass(frozen=True)
class PrimingContext:
    """What Powertools reads of a Lambda context; no request is running while the snapshot is taken."""

    function_name: str = "snapstart-priming"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:snapstart-priming"
    memory_limit_in_mb: int = 1024
    aws_request_id: str = "snapstart-priming"


@dataclass(frozen=True)
class PrimingRequest:
    """One anonymous request to a route: its method, its path template and a body for the routes that read one."""

    method: str
    path_template: str
    body: dict[str, Any] | None = None
    headers: tuple[tuple[str, str], ...] = ()

    def event(self) -> dict[str, Any]:
        """An API Gateway HTTP API (payload 2.0) event for it, its path ids all 1."""
        path_ids = dict.fromkeys(re.findall(_PATH_ID, self.path_template), "1")
        path = re.sub(_PATH_ID, "1", self.path_template)
        route_key = f"{self.method} {re.sub(_PATH_ID, _API_GATEWAY_ID, self.path_template)}"
        headers = {"content-type": "application/json"} if self.body is not None else {}
        return {
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": path,
            "rawQueryString": "",
            "headers": headers | dict(self.headers),
            "pathParameters": path_ids,
            "requestContext": {
                "http": {"method": self.method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
                "requestId": "snapstart-priming",
                "routeKey": route_key,
                "stage": "$default",
            },
            "body": None if self.body is None else json.dumps(self.body),
            "isBase64Encoded": False,
        }


def prime_before_snapshot(resolve: Resolve, request: PrimingRequest) -> None:
    """Register `resolve` (the resolver's, not the logged entry point's) to answer `request` before the snapshot."""
    register_before_snapshot(prime, resolve, request)


def prime(resolve: Resolve, request: PrimingRequest) -> None:
    # Silenced: a refusal's warning in the logs would read as a real request.
    logging.disable(logging.CRITICAL)
    try:
        response = resolve(request.event(), PrimingContext())
    finally:
        logging.disable(logging.NOTSET)
    if response.get("statusCode") != PRIMING_STATUS:
        raise PrimingFailed(f"priming {request.method} {request.path_template} answered {response.get('statusCode')}")
