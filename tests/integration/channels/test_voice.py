"""VoiceClient against a loopback sink: real requests, real sockets, no mocks."""

from __future__ import annotations

import pytest

from shared.channels import VoiceClient
from shared.errors import ChannelRejected, ChannelTransient, DeliveryUnknown
from tests.support.http_sink import Reply, refused_url

API_KEY = "vk_live_SECRET_KEY_123"
FAST = (0.5, 0.2)


def start(url: str) -> str:
    return VoiceClient(url, API_KEY, timeout=FAST).start_call("+15550001", "disk full", idempotency_key="job-7")


def test_start_call_returns_call_id_and_sends_key_headers(sink):
    assert start(sink.url) == "call-1"
    [req] = sink.requests("/v1/calls")
    assert req.json == {"to": "+15550001", "text": "disk full"}
    assert req.headers["Authorization"] == f"Bearer {API_KEY}"
    assert req.headers["Idempotency-Key"] == "job-7"


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (Reply(503, {"error": "busy"}), ChannelTransient),
        (Reply(422, {"error": "invalid number"}), ChannelRejected),
        (Reply(401, {"error": "bad key"}), ChannelRejected),
        (Reply(201, {"no": "id"}), DeliveryUnknown),
        (Reply(delay=1.0), DeliveryUnknown),
        (Reply(drop_after_read=True), DeliveryUnknown),
    ],
    ids=["503", "422", "401", "2xx-without-id", "read-timeout", "dropped"],
)
def test_failures_are_classified_and_redacted(sink, assert_redacted, reply, error):
    sink.script([reply])
    with pytest.raises(error) as caught:
        start(sink.url)
    assert len(sink.wait_for(1, timeout=2)) == 1
    assert_redacted(caught.value, API_KEY)


def test_429_retry_after_header(sink):
    sink.respond(429, {"error": "rate"}, headers={"Retry-After": "3"})
    with pytest.raises(ChannelTransient) as caught:
        start(sink.url)
    assert caught.value.retry_after == 3


def test_connection_refused_is_transient(assert_redacted):
    with pytest.raises(ChannelTransient) as caught:
        start(refused_url())
    assert_redacted(caught.value, API_KEY)
