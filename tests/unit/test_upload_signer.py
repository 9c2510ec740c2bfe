"""s3_store/uploads.py: the upload bucket's keys and the URL a browser posts to."""

from __future__ import annotations

import boto3
import pytest

from domain.access import ImportKey, ProjectKey
from domain.uploads import UPLOAD_GRANT_LIFETIME
from handlers.composition import S3_SIGNING_CONFIG
from s3_store.uploads import S3UploadSigner, upload_key, uploaded_object

TARGET = ImportKey(ProjectKey(1, 789), 246205947048956)


@pytest.mark.parametrize(
    ("region", "host"),
    [
        ("eu-central-1", "s3.eu-central-1.amazonaws.com"),
        ("ap-southeast-2", "s3.ap-southeast-2.amazonaws.com"),
        ("us-east-1", "s3.amazonaws.com"),  # that region's own endpoint
    ],
)
def test_the_form_goes_to_the_buckets_regional_endpoint(region: str, host: str) -> None:
    client = boto3.client(
        "s3", region_name=region, aws_access_key_id="k", aws_secret_access_key="s", config=S3_SIGNING_CONFIG
    )

    signed = S3UploadSigner(client, "neptun-uploads-prod").sign(TARGET, UPLOAD_GRANT_LIFETIME)

    # Not the global endpoint, which answers for a new bucket outside us-east-1 with a redirect.
    assert signed.url == f"https://neptun-uploads-prod.{host}/"
    assert signed.fields["x-amz-credential"].endswith(f"/{region}/s3/aws4_request")


def test_a_key_the_service_signs_names_its_import_and_nothing_else_does() -> None:
    key = upload_key(TARGET, "0123456789abcdef0123456789abcdef")

    assert key == "uploads/1/789/246205947048956/0123456789abcdef0123456789abcdef"
    found = uploaded_object(key)
    assert found is not None
    assert found.target == TARGET
    for other in (
        "uploads/1/789/246205947048956/short",
        "uploads/1/789/0/0123456789abcdef0123456789abcdef",
        "uploads/1/789/01/0123456789abcdef0123456789abcdef",
        "uploads/1/789/246205947048956/0123456789abcdef0123456789abcdef/more",
        "imports/1/789/246205947048956/0123456789abcdef0123456789abcdef",
        "uploads/1/789/99999999999999999/0123456789abcdef0123456789abcdef",
    ):
        assert uploaded_object(other) is None, other
