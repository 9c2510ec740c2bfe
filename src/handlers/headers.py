"""Request headers as every function reads them, and the headers every response carries."""

from __future__ import annotations

from typing import Any

# Every answer is one user's (or GitHub's): no shared cache may keep it, and no browser may read it as
# another type than it says. A route that revalidates with ETags sets its own Cache-Control.
RESPONSE_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def with_response_headers(response: dict[str, Any]) -> dict[str, Any]:
    """The Lambda response with RESPONSE_HEADERS added where the route did not set its own."""
    headers: dict[str, str] = response.setdefault("headers", {})
    present = {name.lower() for name in headers}
    for name, value in RESPONSE_HEADERS.items():
        if name.lower() not in present:
            headers[name] = value
    return response


def lower_case_names(headers: dict[str, str]) -> dict[str, str]:
    """Header names in lower case, as API Gateway sends them; a hand-made event may differ."""
    if all(name.islower() or (not name.isalpha() and name == name.lower()) for name in headers):
        return headers
    lowered: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        lowered[key] = f"{lowered[key]},{value}" if key in lowered else value  # as API Gateway joins repeats
    return lowered
