"""POST …/imports/{import_id}/upload on DynamoDB (moto): the form a folder's archive is uploaded with.

moto stores any POST it is sent, so the form's limits are tested two ways: the policy document the
service signs, decoded from the form, and the form checked by local/post_policy.py, S3's documented
checks (the same checks `make run`'s S3 applies: tests/e2e/test_importing_over_http.py posts to it).
"""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import botocore.endpoint
import pytest

from domain.uploads import MAX_UPLOAD_BYTES, UPLOAD_GRANT_LIFETIME
from local.importing import signing_secret
from local.post_policy import check_post
from local.template import function_environment
from tests.api_client import FOLDER_IMPORT, GITHUB_IMPORT, assert_error, call, import_path, stored_import_item
from tests.integration.test_run_store import created

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from tests.conftest import RequestCounter

pytestmark = pytest.mark.usefixtures("demo_token")

BUCKET = function_environment("GrantImportUploadFunction")["UPLOAD_BUCKET_NAME"]


def upload_path(import_id: object) -> str:
    return f"{import_path(import_id)}/upload"


def granted(import_id: int) -> dict[str, Any]:
    response = call("POST", upload_path(import_id))
    assert response.status == 201, response.text
    assert response.headers["cache-control"] == "no-store"  # a form that can write is never cached
    upload: dict[str, Any] = response.json()["upload"]
    return upload


def policy_of(upload: dict[str, Any]) -> dict[str, Any]:
    policy: dict[str, Any] = json.loads(base64.b64decode(upload["fields"]["policy"]))
    return policy


def refusal(
    upload: dict[str, Any], changed: dict[str, str] | None = None, size: int = 1000, now: datetime | None = None
) -> str | None:
    """S3's verdict on the form with these fields changed and a file of `size` bytes: None, or its code."""
    fields = upload["fields"] | (changed or {})
    refused = check_post(BUCKET, fields, size, signing_secret, now or datetime.now(UTC))
    return None if refused is None else refused.code


def test_a_folder_import_gets_a_form_for_one_new_object_of_its_own(dynamodb: DynamoDBClient) -> None:
    import_id, _ = created(FOLDER_IMPORT)
    before = stored_import_item(dynamodb, import_id)
    asked_at = datetime.now(UTC).replace(microsecond=0)

    upload = granted(import_id)
    answered_at = datetime.now(UTC)

    assert set(upload) == {"url", "fields", "expires_at", "max_bytes"}
    assert upload["max_bytes"] == MAX_UPLOAD_BYTES == 50 * 1024 * 1024
    # The template's name stands in for the bucket's here, and it is not a DNS name: S3 then takes the
    # bucket in the path (tests/unit/test_upload_signer.py shows a real name's virtual-hosted URL).
    assert upload["url"] == f"https://s3.eu-west-1.amazonaws.com/{BUCKET}"
    expires_at = datetime.fromisoformat(upload["expires_at"])
    assert asked_at + UPLOAD_GRANT_LIFETIME <= expires_at <= answered_at + UPLOAD_GRANT_LIFETIME
    assert re.fullmatch(rf"uploads/1/789/{import_id}/[0-9a-f]{{32}}", upload["fields"]["key"])
    assert upload["fields"]["Content-Type"] == "application/octet-stream"
    assert stored_import_item(dynamodb, import_id) == before  # a form changes nothing until it is used
    assert granted(import_id)["fields"]["key"] != upload["fields"]["key"]  # each form its own object


def test_the_signed_policy_binds_the_bucket_the_key_the_size_and_the_type(dynamodb: DynamoDBClient) -> None:
    import_id, _ = created(FOLDER_IMPORT)
    upload = granted(import_id)

    policy = policy_of(upload)

    conditions = policy["conditions"]
    assert {"bucket": BUCKET} in conditions
    assert {"key": upload["fields"]["key"]} in conditions  # exactly this key: no starts-with
    assert ["content-length-range", 1, MAX_UPLOAD_BYTES] in conditions
    assert {"Content-Type": "application/octet-stream"} in conditions
    assert not any(isinstance(condition, list) and condition[0] == "starts-with" for condition in conditions)
    expiration = datetime.fromisoformat(policy["expiration"])
    assert expiration >= datetime.fromisoformat(upload["expires_at"])  # never earlier than it says
    assert expiration <= datetime.now(UTC) + UPLOAD_GRANT_LIFETIME


def test_s3s_checks_take_the_form_as_given_and_refuse_what_it_does_not_allow(dynamodb: DynamoDBClient) -> None:
    import_id, _ = created(FOLDER_IMPORT)
    upload = granted(import_id)
    other = upload["fields"]["key"].rsplit("/", 1)[0] + "/" + "0" * 32

    assert refusal(upload) is None
    assert refusal(upload, size=MAX_UPLOAD_BYTES) is None
    assert refusal(upload, size=MAX_UPLOAD_BYTES + 1) == "EntityTooLarge"
    assert refusal(upload, size=0) == "EntityTooSmall"
    assert refusal(upload, {"key": other}) == "AccessDenied"
    assert refusal(upload, {"key": "imports/1/789/1/runs/r/files/0"}) == "AccessDenied"
    assert refusal(upload, {"Content-Type": "text/html"}) == "AccessDenied"
    assert refusal(upload, {"acl": "public-read"}) == "AccessDenied"  # a field the policy does not name
    assert refusal(upload, now=datetime.now(UTC) + UPLOAD_GRANT_LIFETIME + timedelta(seconds=1)) == "AccessDenied"
    forged = policy_of(upload) | {"conditions": [["starts-with", "$key", ""]]}
    forged_policy = base64.b64encode(json.dumps(forged).encode()).decode()
    assert refusal(upload, {"policy": forged_policy}) == "SignatureDoesNotMatch"


def test_only_a_local_folder_import_takes_an_upload(dynamodb: DynamoDBClient) -> None:
    import_id, _ = created(GITHUB_IMPORT)
    before = stored_import_item(dynamodb, import_id)

    body = assert_error(call("POST", upload_path(import_id)), 409)

    assert "local_folder" in body["message"]
    assert stored_import_item(dynamodb, import_id) == before


def test_an_upload_form_is_refused_like_every_route(dynamodb: DynamoDBClient) -> None:
    import_id, _ = created(FOLDER_IMPORT)

    assert_error(call("POST", upload_path(import_id), token=None), 401)
    assert_error(call("POST", f"{import_path(import_id, user_id=2)}/upload"), 403)
    assert_error(call("POST", upload_path(import_id + 1)), 404)
    assert_error(call("POST", upload_path("x")), 400)
    assert_error(call("POST", upload_path(import_id), query="format=zip"), 400)


def test_a_form_costs_one_dynamodb_request_and_none_to_s3(
    dynamodb_requests: RequestCounter, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_id, _ = created(FOLDER_IMPORT)
    dynamodb_requests.operations.clear()
    s3_requests: list[str] = []
    send = botocore.endpoint.Endpoint.make_request

    def recorded(endpoint: botocore.endpoint.Endpoint, model: Any, request: Any) -> Any:
        if model.service_model.service_name == "s3":
            s3_requests.append(model.name)
        return send(endpoint, model, request)

    monkeypatch.setattr(botocore.endpoint.Endpoint, "make_request", recorded)

    granted(import_id)

    assert dynamodb_requests.operations == ["BatchGetItem"]  # the session, the project and the import
    assert s3_requests == []  # a presigned POST is signed here, without asking S3
