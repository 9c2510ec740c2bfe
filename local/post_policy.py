"""S3's checks of a browser POST (a presigned POST's form), which moto does not make: the local stand-in.

Made as the S3 documentation states them ("Creating a POST policy", "Authenticating requests in
browser-based uploads using POST (AWS Signature Version 4)"):

- the policy is signed with SigV4: the signing key derived from the secret, the date, the region and
  `s3`, over the base64 policy exactly as sent;
- it has not expired;
- every condition holds: `{"field": value}` and `["eq", "$field", value]` exactly, `["starts-with",
  "$field", prefix]`, `["content-length-range", least, most]` on the file's size;
- every field of the form is named by a condition, except the signature, the policy itself, the file
  and fields named `x-ignore-*`.

`make run`'s embedded S3 answers a POST only after these checks (`enforce_post_policies`), with S3's
status codes and error codes, so that a form the service signs is tried locally against the rules AWS
applies. It is a stand-in: on AWS, S3 itself applies them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from werkzeug.formparser import parse_form_data

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# What S3 never asks a policy to name.
_UNNAMED_FIELDS = frozenset({"x-amz-signature", "policy", "file"})


@dataclass(frozen=True)
class PostRefusal:
    """How S3 refuses the form: its status, its error code and its message."""

    status: int
    code: str
    message: str

    def xml(self) -> bytes:
        return (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{self.code}</Code>'
            f"<Message>{self.message}</Message></Error>"
        ).encode()


def _denied(message: str) -> PostRefusal:
    return PostRefusal(403, "AccessDenied", f"Invalid according to Policy: {message}")


def signature(secret_key: str, date: str, region: str, policy: str) -> str:
    """SigV4 over the base64 policy: the key is HMAC-SHA256 chained over the date, region, service, request."""
    key = f"AWS4{secret_key}".encode()
    for part in (date, region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, policy.encode(), hashlib.sha256).hexdigest()


def check_post(
    bucket: str,
    form: Mapping[str, str],
    file_size: int,
    secret_for: Callable[[str], str | None],
    now: datetime,
) -> PostRefusal | None:
    """None when S3 would store the file; else how it would refuse."""
    fields = {name.lower(): value for name, value in form.items()}
    refused = _signature_refusal(fields, secret_for)
    if refused is not None:
        return refused
    try:
        policy: dict[str, Any] = json.loads(base64.b64decode(fields["policy"], validate=True))
    except (binascii.Error, ValueError):
        return PostRefusal(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.")
    if datetime.fromisoformat(policy["expiration"]) <= now:
        return _denied("Policy expired.")
    named: set[str] = set()
    for condition in policy.get("conditions", []):
        refused = _condition_refusal(condition, fields | {"bucket": bucket}, file_size, named)
        if refused is not None:
            return refused
    unnamed = sorted(set(fields) - named - _UNNAMED_FIELDS - {"bucket"})
    unnamed = [name for name in unnamed if not name.startswith("x-ignore-")]
    if unnamed:
        return _denied(f"Extra input fields: {', '.join(unnamed)}")
    return None


def _signature_refusal(fields: Mapping[str, str], secret_for: Callable[[str], str | None]) -> PostRefusal | None:
    if fields.get("x-amz-algorithm") != "AWS4-HMAC-SHA256" or "policy" not in fields:
        return PostRefusal(400, "InvalidRequest", "The form must be signed with AWS4-HMAC-SHA256 and hold a policy.")
    access_key, _, scope = fields.get("x-amz-credential", "").partition("/")
    date, _, rest = scope.partition("/")
    region = rest.partition("/")[0]
    secret = secret_for(access_key)
    if secret is None:
        return PostRefusal(
            403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
        )
    expected = signature(secret, date, region, fields["policy"])
    if not hmac.compare_digest(expected, fields.get("x-amz-signature", "")):
        return PostRefusal(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )
    return None


def _condition_refusal(
    condition: object, fields: Mapping[str, str], file_size: int, named: set[str]
) -> PostRefusal | None:
    if isinstance(condition, dict):
        [(name, value)] = condition.items()
        condition = ["eq", f"${name}", value]
    match condition:
        case ["content-length-range", int(least), int(most)]:
            if file_size > most:
                return PostRefusal(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
            if file_size < least:
                return PostRefusal(
                    400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size"
                )
            return None
        case ["eq" | "starts-with" as operator, str(reference), str(value)] if reference.startswith("$"):
            name = reference[1:].lower()
            named.add(name)
            given = fields.get(name)
            holds = given == value if operator == "eq" else given is not None and given.startswith(value)
            if not holds:
                return _denied(f'Policy Condition failed: ["{operator}", "{reference}", "{value}"]')
            return None
    return PostRefusal(400, "InvalidPolicyDocument", f"Invalid Policy: Invalid Condition: {condition!r}")


def enforce_post_policies(
    app: WSGIApplication,
    secret_for: Callable[[str], str | None],
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> WSGIApplication:
    """`app` (moto's server), with S3's checks before every form POST to a bucket (path style: `/<bucket>`)."""

    def checked(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        bucket = environ.get("PATH_INFO", "").strip("/")
        is_form = environ.get("CONTENT_TYPE", "").startswith("multipart/form-data")
        if environ.get("REQUEST_METHOD") != "POST" or not is_form or not bucket or "/" in bucket:
            return app(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        refusal = _form_refusal(environ, body, bucket, secret_for, clock())
        if refusal is not None:
            start_response(f"{refusal.status} Refused", [("Content-Type", "application/xml")])
            return [refusal.xml()]
        return app(environ | {"wsgi.input": io.BytesIO(body)}, start_response)

    return checked


def _form_refusal(
    environ: WSGIEnvironment,
    body: bytes,
    bucket: str,
    secret_for: Callable[[str], str | None],
    now: datetime,
) -> PostRefusal | None:
    _, form, files = parse_form_data(environ | {"wsgi.input": io.BytesIO(body)}, max_form_memory_size=None)
    upload = files.get("file")
    if upload is None:
        return PostRefusal(400, "InvalidArgument", "POST requires exactly one file upload per request.")
    size = len(upload.stream.read())
    return check_post(bucket, {name: form[name] for name in form}, size, secret_for, now)
