"""The skeleton the CRM API emulators share: a threaded HTTP(S) server on loopback.

:class:`LoopbackEmulator` serves on a free ``127.0.0.1`` port (TLS when given a certificate,
since simple-salesforce and msal insist on ``https://``), logs every request, plays injected
:class:`Fault` answers and sends JSON. A subclass names its ``methods`` and ``content_type`` and
implements :meth:`LoopbackEmulator.route`, which returns (or raises) a :class:`Reply`, or
returns a ``(status, JSON body)`` pair.

A fault matches a request when its ``path`` occurs in the request's :meth:`fault_key` (the path
as sent, unless the emulator says otherwise) and is spent after ``times`` matches:

- ``status`` answers with the fault's status, headers and body, without routing;
- ``truncate`` routes the request and cuts a 200 answer in the middle of its JSON;
- ``malformed`` routes the request and replaces a 200 answer with :meth:`malformed_body`.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar, Self
from urllib.parse import urlsplit


@dataclass
class Fault:
    """An injected answer for the next ``times`` requests whose key contains ``path``."""

    path: str
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    kind: str = "status"  # status | truncate | malformed


class Reply(Exception):
    """An answer: ``body`` is sent as is when bytes, as JSON otherwise; ``headers`` are added."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


@dataclass(frozen=True)
class Request:
    """One request as the emulator routes it (``path`` and ``query`` as sent, not unquoted)."""

    method: str
    target: str  # path and query, as in the request line
    path: str
    query: str
    body: bytes
    headers: Message


class _Handler(BaseHTTPRequestHandler):
    emulator: ClassVar[LoopbackEmulator]
    protocol_version = "HTTP/1.1"
    # Headers and body leave in one write, without Nagle: otherwise Nagle plus delayed ACKs add
    # ~40 ms to every keep-alive request.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass


def _dispatcher(method: str) -> Callable[[_Handler], None]:
    def do(handler: _Handler) -> None:
        handler.emulator._handle(handler, method)

    return do


class LoopbackEmulator:
    """``start()`` serves on ``base_url`` until ``stop()``; ``requests`` logs ``(method, path)``."""

    methods: ClassVar[tuple[str, ...]] = ("GET", "POST")
    content_type: ClassVar[str] = "application/json"

    def __init__(self, tls: tuple[Path, Path] | None = None) -> None:
        self.requests: list[tuple[str, str]] = []
        self.faults: list[Fault] = []
        self._tls = tls
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Self:
        """Serve on a free loopback port in a background thread; returns the emulator."""
        attrs: dict[str, Any] = {"emulator": self}
        attrs.update({f"do_{m}": _dispatcher(m) for m in self.methods})
        server = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Handler,), attrs))
        if self._tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self._tls)
            server.socket = context.wrap_socket(server.socket, server_side=True)
        server.daemon_threads = True
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``, or ``https://`` when serving TLS."""
        assert self._server is not None
        scheme = "https" if self._tls is not None else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}"

    # -- faults ----------------------------------------------------------------------------

    def add_fault(self, fault: Fault) -> None:
        """Queue ``fault`` after those already waiting."""
        with self._lock:
            self.faults.append(fault)

    def truncate_next(self, path: str) -> None:
        """Cut the next answer to ``path`` in the middle of its JSON."""
        self.add_fault(Fault(path, kind="truncate"))

    def malformed_next(self, path: str) -> None:
        """Answer the next request to ``path`` with :meth:`malformed_body` instead of a page."""
        self.add_fault(Fault(path, kind="malformed"))

    def take_fault(self, key: str) -> Fault | None:
        """The first queued fault whose path occurs in ``key``, counted as spent once."""
        with self._lock:
            for fault in self.faults:
                if fault.path in key:
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    # -- what a subclass answers -----------------------------------------------------------

    def route(self, request: Request) -> Reply | tuple[int, Any]:
        """The answer to ``request`` (or raise :class:`Reply`)."""
        raise NotImplementedError

    def log(self, request: Request) -> None:
        """Record ``request`` (called under the emulator's lock)."""
        self.requests.append((request.method, request.path))

    def fault_key(self, request: Request) -> str:
        """The text a fault's ``path`` is looked for in."""
        return request.path

    def malformed_body(self) -> Any:
        """Valid JSON that is not the page a client expects (``malformed`` faults)."""
        return {}

    def reply_headers(self, status: int) -> dict[str, str]:
        """Headers every routed answer with ``status`` carries."""
        return {}

    # -- plumbing --------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        request = Request(method, handler.path, parts.path, parts.query, raw, handler.headers)
        with self._lock:
            self.log(request)
            fault = self.take_fault(self.fault_key(request))
        if fault is not None and fault.kind == "status":
            return self._send(handler, fault.status, fault.body, fault.headers)
        try:
            answer = self.route(request)
        except Reply as raised:
            answer = raised
        reply = answer if isinstance(answer, Reply) else Reply(*answer)
        body = reply.body
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        if fault is not None and reply.status == 200:
            if fault.kind == "truncate":
                data = data[: max(1, len(data) // 2)]
            elif fault.kind == "malformed":
                data = json.dumps(self.malformed_body()).encode()
        headers = {**self.reply_headers(reply.status), **reply.headers}
        self._send(handler, reply.status, data, headers)

    def _send(
        self, handler: BaseHTTPRequestHandler, status: int, data: bytes, headers: dict[str, str]
    ) -> None:
        handler.send_response(status)
        for key, value in {"Content-Type": self.content_type, **headers}.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
