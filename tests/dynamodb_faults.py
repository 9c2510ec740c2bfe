"""Faults injected into the handlers' DynamoDB client ahead of moto, for the fault tests of every route.

Faults are injected on botocore's `before-send` event, so botocore's own retry logic (standard mode,
3 attempts) sees them exactly as it would see DynamoDB's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import ConnectionClosedError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

from handlers import edge

if TYPE_CHECKING:
    pass

SECRET = "SECRET-MARKER-fault-detail"  # must never reach a response body
ATTEMPTS = 3  # botocore standard mode, handlers/composition.py


class ResponseBody:
    def __init__(self, payload: bytes) -> None:
        self._payload = payload

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._payload


def error_response(status: int, code: str) -> Callable[[Any], AWSResponse]:
    def respond(request: Any) -> AWSResponse:
        headers = HTTPHeaders()
        headers["content-type"] = "application/x-amz-json-1.0"
        headers["x-amzn-requestid"] = "fault"
        payload = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": SECRET}).encode()
        return AWSResponse(request.url, status, headers, ResponseBody(payload))

    return respond


def raising(error: Callable[..., Exception]) -> Callable[[Any], AWSResponse]:
    def respond(request: Any) -> AWSResponse:
        raise error(endpoint_url=request.url, error=SECRET)

    return respond


FAULTS: dict[str, Callable[[Any], AWSResponse]] = {
    "throughput-exceeded": error_response(400, "ProvisionedThroughputExceededException"),
    "throttling": error_response(400, "ThrottlingException"),
    "internal-error-500": error_response(500, "InternalServerError"),
    "unavailable-503": error_response(503, "ServiceUnavailable"),
    "connection-closed": raising(ConnectionClosedError),
    "endpoint-unreachable": raising(EndpointConnectionError),
    "connect-timeout": raising(ConnectTimeoutError),
    "read-timeout": raising(ReadTimeoutError),
}
THROTTLING = {"throughput-exceeded", "throttling"}


# botocore calls every before-send handler and uses the first response; moto's would still execute
# the request. Pointing an injected attempt elsewhere keeps moto from matching it, as if it never
# reached DynamoDB.
_NOWHERE = "https://fault-injected.invalid/"


@dataclass
class FaultInjector:
    """Fails the next `times` attempts of one DynamoDB operation with one fault."""

    operation: str = ""
    fault: Callable[[Any], AWSResponse] | None = None
    times: int = 0
    injected: int = field(default=0)

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        if self.fault is None or self.injected >= self.times:
            return None  # on to moto
        self.injected += 1
        response = self.fault(request)
        request.url = _NOWHERE
        return response

    def fail(self, operation: str, fault: str, times: int) -> None:
        self.operation, self.fault, self.times = operation, FAULTS[fault], times
        # The stubs type handlers as returning None; before-send handlers may return a response.
        edge.dynamodb.meta.events.register_first(f"before-send.dynamodb.{operation}", self)  # type: ignore[arg-type]
