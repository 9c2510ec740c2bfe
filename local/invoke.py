"""`make invoke EVENT=events/<file>.json`: a Docker-free `sam local invoke`.

Runs the Lambda handler once on the event against an embedded DynamoDB (moto's server mode on a free
loopback port) with the tables from template.yaml and the demo data, and prints the handler's response
to stdout (its logs go to stderr). With DYNAMODB_ENDPOINT_URL set, that DynamoDB is used as it is.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

from local.demo import seed_demo_data
from local.embedded_dynamodb import EmbeddedDynamoDB
from local.lambda_context import LocalLambdaContext
from local.settings import LocalSettings, configure_handler_environment, local_dynamodb_client
from local.tables import create_tables


def main(arguments: list[str]) -> int:
    if len(arguments) != 1:
        print("usage: make invoke EVENT=events/<file>.json", file=sys.stderr)
        return 2
    event = json.loads(Path(arguments[0]).read_text(encoding="utf-8"))
    settings = LocalSettings.from_environment()
    embedded = None if settings.external_dynamodb else EmbeddedDynamoDB("127.0.0.1", 0)
    endpoint = embedded.endpoint if embedded else settings.dynamodb_endpoint
    if embedded:
        embedded.start()
    try:
        configure_handler_environment(endpoint)
        from handlers import create_import  # noqa: PLC0415 - imported only once its environment is set

        create_import.logger.registered_handler.setStream(sys.stderr)  # type: ignore[attr-defined]
        if embedded or settings.seed_external:
            client = local_dynamodb_client(endpoint)
            create_tables(client)
            seed_demo_data(client)
        with contextlib.redirect_stdout(sys.stderr):  # EMF metric lines, printed by Powertools
            response = create_import.lambda_handler(event, LocalLambdaContext())  # type: ignore[arg-type]
    finally:
        if embedded:
            embedded.stop()
    print(json.dumps(response, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
