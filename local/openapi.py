"""`make openapi`: writes the API's OpenAPI document (as `make run` serves it) to the given file."""

from __future__ import annotations

import sys
from pathlib import Path

from local.settings import configure_handler_environment


def main(arguments: list[str]) -> int:
    if len(arguments) != 1:
        print("usage: python -m local.openapi docs/openapi.json", file=sys.stderr)
        return 2
    # The handler modules read their settings on import; no DynamoDB is contacted.
    configure_handler_environment("http://127.0.0.1:1")
    from local.server import openapi_json  # noqa: PLC0415 - imported only once the environment is set

    Path(arguments[0]).write_text(openapi_json(), encoding="utf-8")
    print(f"wrote {arguments[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
