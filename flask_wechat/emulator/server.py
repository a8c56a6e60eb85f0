"""Serve the emulator on a real loopback socket, for tests and the example app.

werkzeug's development handler ends every connection after one response (it cannot
drain a request body safely before the next request line). api.weixin.qq.com keeps
connections alive, and a client that pools connections should be able to show it, so
this module's handler supports HTTP/1.1 keep-alive: the emulator's request and response
bodies are small, so it reads each request body whole, buffers each response and always
sends Content-Length, which makes the next request on the connection unambiguous.
"""

from __future__ import annotations

import contextlib
import io
import socket
import sys
import threading
import traceback
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import create_app
from .world import MP_APP_ID, MP_APP_SECRET, WEBSITE_APP_ID, WEBSITE_APP_SECRET, World

#: Request bodies above this size are left to werkzeug's one-shot handling.
MAX_BUFFERED_BODY = 1024 * 1024

#: Headers the handler owns: they describe the connection, not the response.
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})


class KeepAliveRequestHandler(WSGIRequestHandler):
    """A werkzeug handler that keeps HTTP/1.1 connections open between requests."""

    protocol_version = "HTTP/1.1"
    #: Seconds an idle kept-alive connection waits for its next request.
    timeout = 30

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without TCP_NODELAY, Nagle's
        # algorithm meets the client's delayed ACK and every kept-alive request waits
        # ~40 ms for nothing.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def run_wsgi(self) -> None:
        # Bodies we cannot size up front (chunked, oversized, malformed): fall back to
        # werkzeug's own handling, which answers and then closes the connection.
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            return super().run_wsgi()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BUFFERED_BODY:
            self.close_connection = True
            return super().run_wsgi()

        if self.headers.get("Expect", "").lower().strip() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.wfile.flush()
        body = self.rfile.read(length) if length else b""
        if len(body) < length:  # the client went away mid-body
            self.close_connection = True
            return None

        self.environ = environ = self.make_environ()
        environ["wsgi.input"] = io.BytesIO(body)

        started: dict[str, Any] = {}
        chunks: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None):
            if exc_info is not None and started.get("sent"):
                raise exc_info[1].with_traceback(exc_info[2])
            started["status"] = status
            started["headers"] = headers
            return chunks.append

        try:
            result = self.server.app(environ, start_response)
            try:
                for data in result:
                    chunks.append(data)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except Exception:
            traceback.print_exc(file=sys.stderr)
            started = {
                "status": "500 Internal Server Error",
                "headers": [("Content-Type", "text/plain; charset=utf-8")],
            }
            chunks[:] = [b"Internal Server Error"]
            self.close_connection = True

        self._send(started["status"], started["headers"], b"".join(chunks))
        return None

    def _send(self, status: str, headers: list[tuple[str, str]], payload: bytes) -> None:
        code_text, _, reason = status.partition(" ")
        code = int(code_text)
        self.send_response(code, reason)
        for name, value in headers:
            if name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)
        bodiless = code < 200 or code in (204, 304)
        if not bodiless:
            length = str(len(payload))
            if self.command == "HEAD":
                # A HEAD answer has no body but announces the length a GET would get.
                given = [v for k, v in headers if k.lower() == "content-length"]
                length = given[0] if given else length
            self.send_header("Content-Length", length)
        # parse_request() already decided from the request's version and Connection
        # header whether the client wants the connection kept.
        self.send_header("Connection", "close" if self.close_connection else "keep-alive")
        self.end_headers()
        if self.command != "HEAD" and not bodiless:
            self.wfile.write(payload)
        self.wfile.flush()


def site_config(url: str) -> dict[str, str]:
    """The ``WECHAT_*`` settings for a site signing in against the emulator at ``url``."""
    return {
        "WECHAT_OPEN_BASE_URL": url,
        "WECHAT_API_BASE_URL": url,
        "WECHAT_APP_ID": WEBSITE_APP_ID,
        "WECHAT_APP_SECRET": WEBSITE_APP_SECRET,
        "WECHAT_MP_APP_ID": MP_APP_ID,
        "WECHAT_MP_APP_SECRET": MP_APP_SECRET,
    }


class EmulatorServer:
    """The emulator on a real socket, served from a daemon thread.

    ``port=0`` picks a free port; read it back from :attr:`url`. Use as a context
    manager or call :meth:`start` / :meth:`stop`. :attr:`connections_opened` counts
    accepted TCP connections, so a benchmark can prove that a client reuses them.
    """

    def __init__(
        self,
        world: World | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        quiet: bool = True,
    ) -> None:
        self.world = world if world is not None else World()
        self.app = create_app(self.world)
        self.host = host
        self.port = port
        self.quiet = quiet
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._connections = 0
        self._open: set[socket.socket] = set()

    def _handler_class(self) -> type[WSGIRequestHandler]:
        owner = self

        class Handler(KeepAliveRequestHandler):
            def setup(self) -> None:
                # Runs once per accepted TCP connection, before its first request.
                super().setup()
                owner._connection_opened(self.connection)

            def finish(self) -> None:
                owner._connection_closed(self.connection)
                super().finish()

            def log_request(self, code: Any = "-", size: Any = "-") -> None:
                if not owner.quiet:
                    super().log_request(code, size)

        return Handler

    def _connection_opened(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections += 1
            self._open.add(conn)

    def _connection_closed(self, conn: socket.socket) -> None:
        with self._lock:
            self._open.discard(conn)

    @property
    def connections_opened(self) -> int:
        """TCP connections accepted since the server was created."""
        with self._lock:
            return self._connections

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:54321``."""
        if self._server is None:
            raise RuntimeError("the emulator server is not started")
        host, port = self._server.server_address[:2]
        host = str(host)
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{port}"

    @property
    def config(self) -> dict[str, str]:
        """The ``WECHAT_*`` settings that sign a site in against this emulator.

        Its URLs and its seeded website app and official account (bound to one
        Open Platform account)::

            app.config.update(emulator.config)   # before WeChat(app) / init_app
        """
        return site_config(self.url)

    def start(self) -> EmulatorServer:
        """Bind and serve in a daemon thread; returns self."""
        if self._server is not None:
            return self
        server = make_server(
            self.host,
            self.port,
            self.app,
            threaded=True,
            request_handler=self._handler_class(),
        )
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, name="wechat-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, drop kept-alive connections, wait for the serving thread."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with self._lock:
            still_open = list(self._open)
        for conn in still_open:
            # Wakes handler threads blocked waiting for a next request that won't come.
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "stopped"
        return f"<EmulatorServer {where}>"
