"""API Gateway HTTP API payload 2.0 events, built the way API Gateway builds them from a request."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from local.template import Route


def http_api_event(
    route: Route,
    *,
    path_parameters: dict[str, str],
    method: str,
    raw_path: str,
    headers: Iterable[tuple[str, str]],
    body: bytes = b"",
    raw_query_string: str = "",
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """The event API Gateway would hand the function for this request.

    Like API Gateway: header names are lower-cased and repeated headers joined with ',', the Cookie
    header moves into `cookies` split on ';', and a body that is not UTF-8 text arrives base64-encoded.
    """
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        lowered = name.lower()
        if lowered == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        joined[lowered] = f"{joined[lowered]},{value}" if lowered in joined else value
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query_string,
        "headers": joined,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": joined.get("host", "localhost"),
            "domainPrefix": "localhost",
            "http": {
                "method": method.upper(),
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": joined.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route.route_key,
            "stage": "$default",
            "time": datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now * 1000),
        },
        "pathParameters": path_parameters,
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if raw_query_string:
        event["queryStringParameters"] = _query_parameters(raw_query_string)
    if body:
        try:
            event["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            event["body"] = base64.b64encode(body).decode("ascii")
            event["isBase64Encoded"] = True
    return event


def _query_parameters(raw_query_string: str) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for name, value in parse_qsl(raw_query_string, keep_blank_values=True):
        parameters[name] = f"{parameters[name]},{value}" if name in parameters else value
    return parameters
