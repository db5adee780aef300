"""A threaded HTTP/1.1 server on 127.0.0.1 that the test fakes run in the background.

Both fakes (the Bot API and the feed server) need the same plumbing: a random port, one daemon
thread per connection (keep-alive clients such as httpx hold connections open), a deep accept
queue for benchmarks with ~100 concurrent clients, and a stop that does not hang on idle
keep-alive connections. This module is that plumbing and nothing else.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self


class LoopbackHTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer on a random loopback port that can close its open connections."""

    daemon_threads = True
    # The poll benchmark opens ~100 connections at once; the default backlog of 5 would make
    # the kernel drop SYNs and the client see multi-second connect retries.
    request_queue_size = 1024
    allow_reuse_address = True

    def __init__(self, handler: type[BaseHTTPRequestHandler], owner: Any) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.owner = owner
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up mid-answer (timeouts, stops) are normal here, not worth a trace."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)

    def track(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(connection)

    def close_connections(self) -> None:
        """Shut down every open connection so handler threads blocked on a read return."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)


class QuietHandler(BaseHTTPRequestHandler):
    """Request handler speaking keep-alive HTTP/1.1, silent, always with Content-Length."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without TCP_NODELAY, Nagle plus the client's
    # delayed ACK adds ~40 ms to every keep-alive request.
    disable_nagle_algorithm = True
    server: LoopbackHTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean; the fakes record requests themselves."""

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def send_body(
        self,
        status: int,
        body: bytes,
        headers: dict[str, str] | None = None,
        *,
        include_body: bool = True,
    ) -> None:
        self.send_response(status)
        has_length = False
        for name, value in (headers or {}).items():
            has_length = has_length or name.lower() == "content-length"
            self.send_header(name, value)
        if not has_length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if include_body and body:
            self.wfile.write(body)


class BackgroundServer:
    """Runs a LoopbackHTTPServer in a daemon thread; usable as a context manager."""

    handler_class: type[QuietHandler]

    def __init__(self) -> None:
        self._server: LoopbackHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return int(self._server.server_address[1])

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT``, without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> Self:
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = LoopbackHTTPServer(self.handler_class, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def pause(self, seconds: float) -> None:
        """Sleep inside a handler (artificial latency) but return at once when stopping."""
        if seconds > 0:
            self._stopping.wait(seconds)

    def _before_stop(self) -> None:
        """Hook for subclasses: wake anything blocked inside a handler (long polls)."""

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        self._before_stop()
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
