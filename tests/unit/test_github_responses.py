"""What GitHub's answers mean for an import: paths, redirects, error statuses and rate limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.import_failures import FailureCode, ImportFailed
from github_client.responses import (
    LONGEST_RATE_LIMIT_WAIT,
    archive_failure,
    redirect_target,
    tarball_path,
    token_failure,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CODELOAD = "https://codeload.github.com"


@pytest.mark.parametrize(
    ("ref", "path"),
    [
        (None, "/repos/octo/demo/tarball"),
        ("main", "/repos/octo/demo/tarball/main"),
        ("feature/login", "/repos/octo/demo/tarball/feature/login"),
        ("release#1+ü", "/repos/octo/demo/tarball/release%231%2B%C3%BC"),
        ("v1.0%20", "/repos/octo/demo/tarball/v1.0%2520"),
    ],
)
def test_the_ref_is_percent_encoded_in_the_tarball_path(ref: str | None, path: str) -> None:
    assert tarball_path("octo", "demo", ref) == path


def test_a_redirect_to_codeload_is_followed() -> None:
    location = f"{CODELOAD}/octo/private/legacy.tar.gz/refs/heads/main?token=ABC"

    assert redirect_target(location, (CODELOAD,)) == location


@pytest.mark.parametrize(
    "location",
    [
        "https://evil.example/octo/demo/legacy.tar.gz/main?token=ABC",
        "http://codeload.github.com/octo/demo/legacy.tar.gz/main?token=ABC",  # not TLS
        "https://codeload.github.com.evil.example/x?token=ABC",
        "https://user@codeload.github.com/x?token=ABC",
        "//codeload.github.com/x?token=ABC",
        "/relative?token=ABC",
        None,
    ],
)
def test_a_redirect_elsewhere_is_refused_without_repeating_the_url(location: str | None) -> None:
    with pytest.raises(ImportFailed) as refused:
        redirect_target(location, (CODELOAD,))

    assert refused.value.code is FailureCode.INTERNAL
    assert "ABC" not in str(refused.value)


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (404, FailureCode.NOT_FOUND_OR_NO_ACCESS),
        (403, FailureCode.NOT_FOUND_OR_NO_ACCESS),
        (409, FailureCode.EMPTY_REPOSITORY),
        (451, FailureCode.UNAVAILABLE_FOR_LEGAL_REASONS),
        (500, FailureCode.SOURCE_UNAVAILABLE),
        (502, FailureCode.SOURCE_UNAVAILABLE),
        (418, FailureCode.INTERNAL),
    ],
)
def test_each_archive_status_has_its_code(status: int, code: FailureCode) -> None:
    assert archive_failure(status, {"x-ratelimit-remaining": "4999"}, NOW).code is code


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (404, FailureCode.INSTALLATION_MISSING),
        (422, FailureCode.NOT_FOUND_OR_NO_ACCESS),
        (401, FailureCode.INTERNAL),
        (503, FailureCode.SOURCE_UNAVAILABLE),
    ],
)
def test_each_token_status_has_its_code(status: int, code: FailureCode) -> None:
    assert token_failure(status, {}, NOW).code is code


def test_a_spent_primary_limit_waits_until_its_reset() -> None:
    reset = NOW + timedelta(minutes=17)
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(reset.timestamp()))}

    failure = archive_failure(403, headers, NOW)

    assert (failure.code, failure.retry_at) == (FailureCode.RATE_LIMITED, reset)


def test_retry_after_is_honoured_first() -> None:
    failure = token_failure(429, {"Retry-After": "30", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1"}, NOW)

    assert (failure.code, failure.retry_at) == (FailureCode.RATE_LIMITED, NOW + timedelta(seconds=30))


def test_a_429_that_names_no_wait_waits_a_minute() -> None:
    assert archive_failure(429, {}, NOW).retry_at == NOW + timedelta(minutes=1)


def test_a_reset_beyond_an_hour_is_capped_and_one_in_the_past_is_now() -> None:
    far = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1507651200000"}  # milliseconds, not seconds
    past = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW.timestamp()) - 60)}

    assert archive_failure(403, far, NOW).retry_at == NOW + LONGEST_RATE_LIMIT_WAIT
    assert archive_failure(403, past, NOW).retry_at == NOW
