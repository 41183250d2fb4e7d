"""A real HTTP server on 127.0.0.1 (a free port) for crawler and feed tests: routes, a request log, slow and broken answers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Route:
    """What the server answers on one path."""

    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering
    fail_first: int = 0  # answer 503 to the first N requests, then as above
    omit_length: bool = False  # no Content-Length: the body runs until the connection closes


@dataclass
class Hit:
    """One request the server received."""

    path: str
    user_agent: str
    at: float
    host: str = ""  # the Host header


class LocalServer:
    """A threaded HTTP server bound to 127.0.0.1 only."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[Hit] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits.append(Hit(self.path, self.headers.get("User-Agent", ""), time.monotonic(), self.headers.get("Host", "")))
                route = server.routes.get(self.path, Route(404, b"not found", "text/plain"))
                seen = sum(1 for h in server.hits if h.path == self.path)
                if seen <= route.fail_first:
                    route = Route(503, b"busy", "text/plain")
                time.sleep(route.delay)
                try:
                    self.send_response(route.status)
                    self.send_header("Content-Type", route.content_type)
                    if not route.omit_length:
                        self.send_header("Content-Length", str(len(route.body)))
                    for k, v in route.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(route.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def page(self, path: str, title: str, text: str, **kw: object) -> str:
        """Serve an article page at ``path``; return its URL."""
        html = f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1><p>{text}</p></article></body></html>"
        self.routes[path] = Route(body=html.encode("utf-8"), **kw)  # type: ignore[arg-type]
        return self.url(path)

    def count(self, path: str) -> int:
        """How many requests ``path`` received."""
        return sum(1 for h in self.hits if h.path == path)

    def close(self) -> None:
        """Stop serving."""
        self.httpd.shutdown()
        self.httpd.server_close()


def serve() -> Iterator[LocalServer]:
    """A server for the length of a test: ``yield from serve()`` in a module's ``server`` fixture."""
    srv = LocalServer()
    yield srv
    srv.close()


ARTICLE = (
    "Le conseil municipal de Lyon a voté mardi soir un budget de 3,2 milliards d'euros pour rénover les écoles "
    "de la ville, après un débat de six heures entre la majorité et l'opposition. "
)


def article_text(n: int) -> str:
    """A distinct, article-like French paragraph (several sentences), number ``n``."""
    return (
        f"Le dossier numéro {n} concerne la commune {n} et ses {n * 7 + 3} habitants. "
        + ARTICLE
        + f"Le maire de la commune {n} a précisé que les travaux commenceraient en {2020 + n % 5}. "
    ) * 2


@contextmanager
def running_app(app: Any) -> Iterator[int]:
    """Serve an ASGI app with uvicorn on 127.0.0.1 (a free port) for the length of a ``with`` block; yield the port."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
