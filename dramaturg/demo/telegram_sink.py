"""A tiny Telegram-Bot-API-compatible server for the demo: shows each delivery instead of sending it.

When: ``dramaturg up --demo`` starts it in its own process (daemon threads) on
a free loopback port unless ``TELEGRAM_BOT_TOKEN`` is set, and points the
workers' ``TELEGRAM_API_BASE`` and ``VOICE_API_BASE`` at it. It answers
``POST /bot<token>/sendMessage`` the way Telegram does (``{"ok": true,
"result": {"message_id": …}}``; 401 for another token, 400 without chat or
text) and ``POST /v1/calls`` like the voice API (201 with a ``call_id``).
Every delivery is printed to the console and appended to a log file, one line each.

Idempotency key: a voice call's ``Idempotency-Key`` header — a repeated key
gets the first call's id and is not shown twice, as a real provider would do.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

from rich.console import Console
from rich.markup import escape


class TelegramSink:
    """Start with :meth:`start`, stop with :meth:`stop`; ``url`` is the base URL for both APIs."""

    def __init__(
        self,
        token: str,
        log_path: Path,
        *,
        names: dict[str, str] | None = None,
        now: Callable[[], datetime] | None = None,
        console: Console | None = None,
    ) -> None:
        self.token = token
        self.log_path = Path(log_path)
        self.names = names or {}
        self.now = now or (lambda: datetime.now(UTC))
        self.console = console or Console(highlight=False)
        self._ids = itertools.count(1)
        self._calls: dict[str, str] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> TelegramSink:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.1,), name="demo-telegram-sink", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        assert self._server is not None, "the sink is not started"
        host, port = cast(tuple[str, int], self._server.server_address[:2])
        return f"http://{host}:{port}"

    # -- the two APIs: (status, JSON answer) ------------------------------------------
    def send_message(self, token: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        chat, text = body.get("chat_id"), body.get("text")
        if chat in (None, "") or not text:
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: chat_id and text are required"}
        message_id = next(self._ids)
        self._show("telegram", "✉", str(chat), str(text))
        return 200, {
            "ok": True,
            "result": {"message_id": message_id, "chat": {"id": chat}, "date": int(time.time()), "text": text},
        }

    def start_call(self, key: str | None, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        phone, text = body.get("to"), body.get("text")
        if not phone or not text:
            return 400, {"error": "to and text are required"}
        with self._lock:
            if key and key in self._calls:
                return 201, {"call_id": self._calls[key]}  # the same call: not placed again
            call_id = f"call-{next(self._ids)}"
            if key:
                self._calls[key] = call_id
        self._show("voice", "☎", str(phone), str(text))
        return 201, {"call_id": call_id}

    def _show(self, channel: str, icon: str, to: str, text: str) -> None:
        at = self.now().strftime("%Y-%m-%d %H:%M")
        who = self.names.get(to)
        target = f"{who} ({to})" if who else to
        with self._lock:
            with self.log_path.open("a", encoding="utf-8") as log:
                log.write(f"{at} {channel} to {target}: {' '.join(text.split())}\n")
            self.console.print(
                f"[dim]{at}[/] {icon} [bold magenta]{channel}[/] → [bold]{escape(target)}[/]: {escape(text)}"
            )


def _handler(sink: TelegramSink) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                body = {}
            body = body if isinstance(body, dict) else {}
            path = self.path.split("?", 1)[0]
            if path.startswith("/bot") and path.endswith("/sendMessage"):
                status, answer = sink.send_message(path[len("/bot") : -len("/sendMessage")], body)
            elif path == "/v1/calls":
                status, answer = sink.start_call(self.headers.get("Idempotency-Key"), body)
            else:
                status, answer = 404, {"ok": False, "error_code": 404, "description": "Not Found"}
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass  # the delivery line is the log; access lines would only add noise

    return Handler
