"""Request headers as every function reads them."""

from __future__ import annotations


def lower_case_names(headers: dict[str, str]) -> dict[str, str]:
    """Header names in lower case, as API Gateway sends them; a hand-made event may differ."""
    if all(name.islower() or (not name.isalpha() and name == name.lower()) for name in headers):
        return headers
    lowered: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        lowered[key] = f"{lowered[key]},{value}" if key in lowered else value  # as API Gateway joins repeats
    return lowered
