"""moto's DynamoDB in server mode, on a loopback port, in a background thread."""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from moto.dynamodb.models.table import StreamShard
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


def one_request_at_a_time(app: WSGIApplication) -> WSGIApplication:
    """moto's backend does not make a conditional write atomic against concurrent requests, which
    DynamoDB does; handling one request at a time restores that, while connections stay concurrent."""
    lock = threading.Lock()

    def serialized(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        with lock:
            return list(app(environ, start_response))

    return serialized


def _stream_shard_copy(shard: StreamShard, memo: dict[int, Any]) -> StreamShard:
    """A copy of a table's stream for moto's transaction backup that shares the (never changed) records.

    moto deep-copies every table a transaction names, to restore it if the transaction fails; with
    the table's stream on, that copied every stream record ever written too, so each write cost more
    than the last: 600 one-item transactions took 28.6 s with the stream, 10.8 s without, 13.2 s with
    this (in process, this machine). A restore needs only the list of records as it was."""
    copied = object.__new__(StreamShard)
    memo[id(shard)] = copied
    copied.__dict__.update(shard.__dict__)
    copied.table = copy.deepcopy(shard.table, memo)
    copied.items = list(shard.items)
    return copied


StreamShard.__deepcopy__ = _stream_shard_copy  # type: ignore[attr-defined]

_SHUTDOWN_POLL_SECONDS = 0.02


class EmbeddedDynamoDB:
    """Binds when created, so a port in use fails at once (moto's ThreadedMotoServer would hang)."""

    def __init__(
        self, host: str, port: int, checks: Callable[[WSGIApplication], WSGIApplication] | None = None
    ) -> None:
        """`checks` go in front of moto, outside its one-at-a-time lock (local/post_policy.py's, for S3)."""
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log line per DynamoDB call
        app = one_request_at_a_time(DomainDispatcherApplication(create_backend_app))
        if checks is not None:
            app = checks(app)
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._serve, name="embedded-dynamodb", daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = str(self._server.server_address[0]), self._server.server_address[1]
        return f"http://{'127.0.0.1' if host in {'0.0.0.0', ''} else host}:{port}"  # noqa: S104

    def start(self) -> None:
        self._thread.start()

    def _serve(self) -> None:
        # stop() returns within one poll interval; the default, 0.5 s, was a quarter of a `make invoke`.
        self._server.serve_forever(poll_interval=_SHUTDOWN_POLL_SECONDS)

    def stop(self) -> None:
        if self._thread.is_alive():  # shutdown() would wait forever for a loop that never started
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()
