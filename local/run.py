"""`make run`'s entry point: Ctrl-C at any moment ends it without a traceback.

While the server's modules load (boto3, moto, the handlers: a second or more) nothing is running yet,
so Ctrl-C just ends the process; from then on local/server.py's main stops what it started.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType


def _stop_while_loading(signal_number: int, frame: FrameType | None) -> None:
    del signal_number, frame
    print("\nStopping.", file=sys.stderr, flush=True)
    os._exit(0)


def main() -> None:
    signal.signal(signal.SIGINT, _stop_while_loading)
    from local import server  # noqa: PLC0415 - imported under the handler above

    signal.signal(signal.SIGINT, signal.default_int_handler)
    server.main()


if __name__ == "__main__":
    main()
