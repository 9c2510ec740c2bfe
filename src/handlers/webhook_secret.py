"""The GitHub App's webhook secret: from SSM Parameter Store in AWS, from the environment locally.

In AWS, GITHUB_WEBHOOK_SECRET_PARAMETER names a SecureString parameter (template.yaml), read with
Powertools' Parameters utility and cached across invocations. `make run` leaves it empty and sets
GITHUB_WEBHOOK_SECRET instead. With neither, every delivery is refused: a missing secret never means
"accept anything".
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aws_lambda_powertools.utilities import parameters

from domain.webhook_signature import signature_matches

# How long a fetched secret is trusted before it is fetched again.
SECRET_CACHE_SECONDS = 300
# After the secret is rotated, deliveries signed with the new one would fail until the cache expires;
# a signature that does not match fetches the secret again, at most this often (so a flood of forged
# deliveries cannot turn into a flood of SSM calls).
REFETCH_INTERVAL_SECONDS = 60


def _from_parameter_store(name: str, force: bool) -> str:
    value = parameters.get_parameter(name, decrypt=True, max_age=SECRET_CACHE_SECONDS, force_fetch=force)
    return str(value)


@dataclass
class WebhookSecret:
    parameter_name: str | None
    local_value: str | None
    fetch: Callable[[str, bool], str] = _from_parameter_store
    clock: Callable[[], float] = time.monotonic
    _last_forced: float = field(default=float("-inf"), init=False)

    @classmethod
    def from_environment(cls) -> WebhookSecret:
        return cls(
            parameter_name=os.environ.get("GITHUB_WEBHOOK_SECRET_PARAMETER", "").strip() or None,
            local_value=os.environ.get("GITHUB_WEBHOOK_SECRET") or None,
        )

    def signs(self, body: bytes, signature: str | None) -> bool:
        """Whether `signature` is the App's signature of `body`."""
        if signature is None:
            return False  # unsigned: refused without reading the secret
        if self.parameter_name is None:
            return signature_matches((self.local_value or "").encode(), body, signature)
        if signature_matches(self.fetch(self.parameter_name, False).encode(), body, signature):
            return True
        now = self.clock()
        if now - self._last_forced < REFETCH_INTERVAL_SECONDS:
            return False
        self._last_forced = now
        return signature_matches(self.fetch(self.parameter_name, True).encode(), body, signature)
