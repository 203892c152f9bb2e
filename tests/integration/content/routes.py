"""A loopback HTTP server routed by method and path, for the content app's remotes.

Built on the recording sink (tests/support/http_sink.py): every request is
recorded; a route answers with a fixed list of replies (consumed in order, the
last one repeating) or with a function of the request (conditional GETs, the
Anthropic Messages API shape). An unrouted path answers 404.

    site.route("GET", "/robots.txt", Reply(body="User-agent: *\\nDisallow: /private"))
    site.route("GET", "/feed.xml", lambda rec: Reply(status=304) if ... else Reply(...))
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from urllib.parse import urlsplit

from tests.support.http_sink import HttpSink, Recorded, Reply

Handler = Callable[[Recorded], Reply]


class RoutedSink(HttpSink):
    def __init__(self) -> None:
        super().__init__()
        self._routes: dict[tuple[str, str], Handler] = {}
        self._lock = threading.Lock()

    def route(self, method: str, path: str, *replies: Reply | Handler) -> None:
        """Answer ``method path`` with ``replies`` in order (the last repeats), or with a handler function."""
        if len(replies) == 1 and callable(replies[0]) and not isinstance(replies[0], Reply):
            self._routes[(method, path)] = replies[0]
            return
        queue = list(replies)

        def next_reply(_rec: Recorded) -> Reply:
            with self._lock:
                return queue.pop(0) if len(queue) > 1 else queue[0]

        self._routes[(method, path)] = next_reply

    def hits(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests() if r.method == method and urlsplit(r.path).path == path]

    def _emulate(self, rec: Recorded) -> Reply:
        handler = self._routes.get((rec.method, urlsplit(rec.path).path))
        return handler(rec) if handler else Reply(status=404, body="not found")


def html_page(title: str, text: str) -> Reply:
    body = (
        f"<html><head><title>{title}</title><script>var tracking = 1;</script></head>"
        f"<body><nav>Home | About</nav><article><h1>{title}</h1><p>{text}</p></article>"
        "<footer>© footer text</footer></body></html>"
    )
    return Reply(body=body, headers={"Content-Type": "text/html; charset=utf-8"})


def claude_reply(text: str) -> dict:
    """A valid Anthropic Messages API answer carrying ``text``."""
    return {
        "id": "msg_test",
        "type": "message",
        "role": "assistant",
        "model": "claude-test",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 10},
    }
