"""One cold start, run as its own process by bench.cold_start: `python -m bench.cold_start_child KIND`.

handler MODULE EVENT_FILE STATUS: import the function's handler module and answer the request in
         EVENT_FILE with STATUS (DynamoDB stubbed in-process; the event is built by the parent, so that
         building it is not measured).
floor:   import only Powertools' HTTP resolver and pydantic and create a boto3 DynamoDB client.
bare EVENT_FILE: the floor, plus a validated route with our body model answering the request.
"""

from __future__ import annotations

import sys


def floor() -> None:
    import boto3  # noqa: PLC0415 - importing is what is measured
    import pydantic  # noqa: F401, PLC0415
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver  # noqa: F401, PLC0415

    boto3.client("dynamodb")


def bare(event_file: str) -> None:
    import json  # noqa: PLC0415

    import boto3  # noqa: PLC0415

    from bench.bare_route import bare_route_resolver  # noqa: PLC0415
    from local.lambda_context import LocalLambdaContext  # noqa: PLC0415

    boto3.client("dynamodb")
    with open(event_file, encoding="utf-8") as event:
        response = bare_route_resolver().resolve(json.load(event), LocalLambdaContext())  # type: ignore[arg-type]
    if response["statusCode"] != 201:
        raise SystemExit(f"expected 201, got {json.dumps(response)}")


def handler(module_name: str, event_file: str, status: str) -> None:
    import contextlib  # noqa: PLC0415
    import importlib  # noqa: PLC0415
    import io  # noqa: PLC0415
    import json  # noqa: PLC0415

    from bench import stub_dynamodb  # noqa: PLC0415
    from local.lambda_context import LocalLambdaContext  # noqa: PLC0415

    module = importlib.import_module(module_name)  # importing is what is measured
    stub_dynamodb.install(module.dynamodb)
    with open(event_file, encoding="utf-8") as event, contextlib.redirect_stdout(io.StringIO()):
        response = module.lambda_handler(json.load(event), LocalLambdaContext())
    if response["statusCode"] != int(status):
        raise SystemExit(f"expected {status}, got {json.dumps(response)}")


def report_peak_memory() -> None:
    # VmHWM is this process image's own high-water mark; getrusage's ru_maxrss would also count the
    # memory of the parent the process was forked from, before it exec'd Python.
    with open("/proc/self/status", encoding="ascii") as status:
        peak_kib = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    print(f"VmHWM {peak_kib}", file=sys.stderr)


if __name__ == "__main__":
    if sys.argv[1] == "floor":
        floor()
    elif sys.argv[1] == "bare":
        bare(sys.argv[2])
    else:
        handler(sys.argv[2], sys.argv[3], sys.argv[4])
    report_peak_memory()
