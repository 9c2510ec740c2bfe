"""A DynamoDB that answers in-process from canned responses: no network, no moto import.

Registered on a client's `before-send` event, it returns the response botocore would have received,
so everything above the HTTP layer (serialisation, parsing, retries) runs as in production.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from botocore.awsrequest import AWSResponse, HTTPHeaders

STUB_TOKEN = "bench-session-token"  # noqa: S105 - a value for the in-process stub only


class _RawBody:
    def __init__(self, payload: bytes) -> None:
        self._payload = payload

    def stream(self, **_: Any) -> Any:
        yield self._payload


def _batch_get_response(request_body: dict[str, Any]) -> dict[str, Any]:
    responses: dict[str, list[dict[str, Any]]] = {}
    for table, keys_and_attributes in request_body["RequestItems"].items():
        items = responses.setdefault(table, [])
        for key in keys_and_attributes["Keys"]:
            if "token_hash" in key:
                items.append(key | {"user_id": {"N": "1"}, "expires_at": {"N": str(int(time.time()) + 3600)}})
            elif key["SK"]["S"].startswith("PROJECT#"):
                items.append(key | {"user_id": {"N": "1"}, "project_id": {"N": "789"}})
            elif key["SK"]["S"].startswith("IMPORT#"):
                items.append(key | _import_attributes(int(key["SK"]["S"].removeprefix("IMPORT#"))))
            else:
                items.append(
                    key
                    | {
                        "installation_id": {"N": "1"},
                        "account_login": {"S": "username"},
                        "repository_selection": {"S": "all"},
                        # Installed by a GitHub user; the create's transaction checks their link.
                        "installer_github_user_id": {"N": "21031067"},
                    }
                )
    return {"Responses": responses, "UnprocessedKeys": {}}


def _import_attributes(import_id: int) -> dict[str, Any]:
    return {
        "entity_type": {"S": "import"},
        "id": {"N": str(import_id)},
        "source_type": {"S": "github"},
        "source_path": {"S": "username/repository"},
        "title": {"S": "My GitHub Import"},
        "created_at": {"S": "2026-11-27T16:54:33.791Z"},
        "updated_at": {"S": "2026-11-27T16:54:33.791Z"},
        "neptun_user_id": {"N": "1"},
        "project_id": {"N": "789"},
        "version": {"N": "1"},
    }


def _query_response(request_body: dict[str, Any]) -> dict[str, Any]:
    partition = request_body["ExpressionAttributeValues"][":partition"]
    items = [{"PK": partition, "SK": {"S": f"IMPORT#{number:016d}"}} | _import_attributes(number) for number in (1, 2)]
    if "FilterExpression" in request_body:  # the project's digest asks for completed imports: these never ran
        return {"Items": [], "Count": 0, "ScannedCount": len(items)}
    return {"Items": items, "Count": len(items), "ScannedCount": len(items)}


def _get_item_response(request_body: dict[str, Any]) -> dict[str, Any]:
    # The one item read alone: a GitHub user's link, to user 1 (the files routes check it).
    return {"Item": request_body["Key"] | {"neptun_user_id": {"N": "1"}}}


def answer(request: Any, **_: Any) -> AWSResponse:
    operation = request.headers["X-Amz-Target"].decode().rsplit(".", 1)[-1]
    body = json.loads(request.body) if request.body else {}
    responders = {"BatchGetItem": _batch_get_response, "Query": _query_response, "GetItem": _get_item_response}
    payload = responders[operation](body) if operation in responders else {}
    raw = json.dumps(payload).encode()
    headers = HTTPHeaders()
    headers["x-amzn-requestid"] = "stub"
    headers["content-type"] = "application/x-amz-json-1.0"
    return AWSResponse(request.url, 200, headers, _RawBody(raw))


def install(client: Any) -> None:
    client.meta.events.register_first("before-send.dynamodb", answer)


def token_hash() -> str:
    return hashlib.sha256(STUB_TOKEN.encode()).hexdigest()
