"""Servers that misbehave, on loopback, for the PACS error tests: one that accepts connections and never says a
word, and HTTP servers that answer with a fixed or a scripted status and body."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def silent_server() -> Iterator[int]:
    """A port whose server accepts every connection, reads nothing and answers nothing (a hung PACS)."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        listener.close()


@contextmanager
def http_server(status: int, body: bytes = b"", content_type: str = "text/plain") -> Iterator[int]:
    """A port whose HTTP server answers every GET and POST with `status` and `body`."""
    with scripted_http_server(lambda path: (status, body, content_type)) as port:
        yield port


@contextmanager
def scripted_http_server(answer: Callable[[str], tuple[int, bytes, str]]) -> Iterator[int]:
    """A port whose HTTP server answers each GET and POST with answer(path) = (status, body, content type)."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            status, body, content_type = answer(self.path)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
