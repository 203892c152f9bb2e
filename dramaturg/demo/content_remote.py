"""The content demo's remotes on one loopback server: a website, an RSS feed, the social platform, OAuth, images.

When: ``dramaturg up --demo`` starts it (daemon threads) when the content app
is on, and points the workers' ``CONTENT_*`` base URLs at it. It serves:

- ``/robots.txt``, ``/about`` (an HTML page) and ``/gone`` (404: the broken source);
- ``/feed.xml``, an RSS feed with an ETag (answers 304 to a matching If-None-Match);
- ``GET /v1/posts/<id>/metrics``: the first call of each post answers 429 with
  ``Retry-After: 120`` (the back-off the demo shows), later ones its metrics;
- ``POST /v1/posts`` (publish, deduplicated by ``Idempotency-Key``),
  ``POST /oauth/token`` (refresh grant) and ``POST /v1/images``.

Idempotency key: the publish API's ``Idempotency-Key`` (a repeated key gets the first post's id).
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ABOUT = (
    "<html><head><title>About Northwind Coffee</title></head><body><nav>Home</nav>"
    "<article><h1>About Northwind Coffee</h1><p>Small-batch roasts from a harbour-side roastery, "
    "delivered fresh every week.</p></article><footer>© Northwind</footer></body></html>"
)
FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>Northwind news</title><link>/</link>
<item><guid>nw-1</guid><title>Winter blend is back</title><description>Spiced, dark and warm.</description></item>
<item><guid>nw-2</guid><title>New roastery tours</title><description>Saturdays at ten.</description></item>
</channel></rss>"""
ETAG = '"northwind-1"'
#: Each post's metrics once the rate limit passed: likes, comments, shares.
METRICS = {"nw-post-1": (40, 6, 3), "nw-post-2": (12, 1, 0), "nw-post-3": (25, 4, 2)}


class ContentRemote:
    """Start with :meth:`start`, stop with :meth:`stop`; ``url`` is the base URL of every remote."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._limited: set[str] = set()
        self._posts: dict[str, str] = {}
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> ContentRemote:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, args=(0.1,), name="demo-content-remote", daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def answer(self, method: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        """(status, headers, body) for one request."""
        if method == "GET" and path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"
        if method == "GET" and path == "/about":
            return 200, {"Content-Type": "text/html; charset=utf-8"}, ABOUT.encode()
        if method == "GET" and path == "/feed.xml":
            if headers.get("if-none-match") == ETAG:
                return 304, {"ETag": ETAG}, b""
            return 200, {"Content-Type": "application/rss+xml", "ETag": ETAG}, FEED.encode()
        metrics = re.fullmatch(r"/v1/posts/([^/]+)/metrics", path)
        if method == "GET" and metrics:
            post = metrics.group(1)
            with self._lock:
                first = post not in self._limited
                self._limited.add(post)
            if first:
                return 429, {"Retry-After": "120", "Content-Type": "application/json"}, b'{"error":"rate_limited"}'
            likes, comments, shares = METRICS.get(post, (1, 0, 0))
            body = {"impressions": 1000, "likes": likes, "comments": comments, "shares": shares}
            return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()
        if method == "POST" and path == "/v1/posts":
            key = headers.get("idempotency-key", "")
            with self._lock:
                external = self._posts.setdefault(key, f"nw-pub-{next(self._ids)}")
            return 201, {"Content-Type": "application/json"}, json.dumps({"id": external}).encode()
        if method == "POST" and path == "/oauth/token":
            token = {"access_token": f"demo-access-{next(self._ids)}", "token_type": "Bearer", "expires_in": 7200}
            return 200, {"Content-Type": "application/json"}, json.dumps(token).encode()
        if method == "POST" and path == "/v1/images":
            return 200, {"Content-Type": "application/json"}, json.dumps({"url": f"{self.url}/img/1.png"}).encode()
        return 404, {"Content-Type": "text/plain"}, b"not found"


def _handler(remote: ContentRemote) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, out, body = remote.answer(self.command, self.path.split("?")[0], headers)
            self.send_response(status)
            for name, value in {**out, "Content-Length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
