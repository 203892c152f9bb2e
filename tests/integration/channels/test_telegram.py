"""TelegramClient against a loopback sink: real requests, real sockets, no mocks."""

from __future__ import annotations

import pytest

from shared.channels import TelegramClient
from shared.errors import ChannelRejected, ChannelTransient, DeliveryUnknown
from tests.support.http_sink import Reply, refused_url

TOKEN = "123456:AAH-secret_TOKEN"
FAST = (0.5, 0.2)  # (connect_s, read_s): a 1 s server delay is a read timeout


def client(url: str) -> TelegramClient:
    return TelegramClient(url, TOKEN, timeout=FAST)


def test_send_message_returns_message_id(sink):
    assert client(sink.url).send_message(42, "hello") == 1
    [req] = sink.requests()
    assert (req.method, req.path) == ("POST", f"/bot{TOKEN}/sendMessage")
    assert req.json == {"chat_id": 42, "text": "hello"}
    assert req.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("reply", "error", "retry_after"),
    [
        (Reply(500, body="upstream down"), ChannelTransient, None),
        (
            Reply(
                429,
                {
                    "ok": False,
                    "error_code": 429,
                    "description": "Too Many Requests: retry after 5",
                    "parameters": {"retry_after": 5},
                },
            ),
            ChannelTransient,
            5,
        ),
        (Reply(429, body="slow down", headers={"Retry-After": "7"}), ChannelTransient, 7),
        (
            Reply(400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}),
            ChannelRejected,
            None,
        ),
        (
            Reply(403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}),
            ChannelRejected,
            None,
        ),
        (Reply(200, {"ok": False, "error_code": 400, "description": "Bad Request: odd"}), ChannelRejected, None),
        (Reply(delay=1.0), DeliveryUnknown, None),
        (Reply(drop_after_read=True), DeliveryUnknown, None),
    ],
    ids=["500", "429-body", "429-header", "400-chat", "403-blocked", "200-not-ok", "read-timeout", "dropped"],
)
def test_failures_are_classified_and_redacted(sink, assert_redacted, reply, error, retry_after):
    sink.script([reply])
    with pytest.raises(error) as caught:
        client(sink.url).send_message(42, "hello")
    assert len(sink.wait_for(1, timeout=2)) == 1  # sent exactly once, never re-sent
    if reply.status != 200:
        assert str(reply.status) in str(caught.value)
    if error is ChannelTransient:
        assert caught.value.retry_after == retry_after
    assert_redacted(caught.value, TOKEN)


def test_excerpt_carries_telegram_description(sink):
    sink.script([Reply(400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"})])
    with pytest.raises(ChannelRejected, match="chat not found"):
        client(sink.url).send_message(42, "hello")


def test_connection_refused_is_transient(assert_redacted):
    with pytest.raises(ChannelTransient) as caught:
        client(refused_url()).send_message(42, "hello")
    assert caught.value.retry_after is None
    assert_redacted(caught.value, TOKEN)
