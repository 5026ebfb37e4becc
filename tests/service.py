"""A real HTTP server on 127.0.0.1, in a thread, that answers as a test scripts it.

Tests of every web integration talk to it (never to the internet): each route answers
what the service's documentation says, faults included, and every request is recorded so
a test can count and inspect what was sent.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Sent:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


Route = Callable[[Sent], Reply] | Reply


class Service:
    """Routes by path; a list of replies is answered in turn (the last one repeats)."""

    def __init__(self) -> None:
        self.routes: dict[str, Route | list[Reply]] = {}
        self.sent: list[Sent] = []
        self.lock = threading.Lock()
        self.url = ""

    def route(self, path: str, reply: Route | list[Reply]) -> str:
        self.routes[path] = reply
        return self.url + path

    def requests_to(self, path: str) -> list[Sent]:
        return [s for s in self.sent if s.path == path]

    def answer(self, sent: Sent) -> Reply:
        with self.lock:
            self.sent.append(sent)
            route = self.routes.get(sent.path)
            if isinstance(route, list):
                reply = route.pop(0) if len(route) > 1 else route[0]
                return reply
        if route is None:
            return Reply(404, {"message": "Not Found"})
        return route(sent) if callable(route) else route


@contextmanager
def serve() -> Iterator[Service]:
    service = Service()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            sent = Sent(self.command, parts.path, parse_qs(parts.query),
                        {k.lower(): v for k, v in self.headers.items()}, body)
            reply = service.answer(sent)
            if reply.delay:
                time.sleep(reply.delay)
            payload = reply.payload()
            try:
                self.send_response(reply.status)
                headers = {"Content-Type": "application/json", **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout or a size limit): as a real server

        do_GET = do_POST = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    service.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()
