"""WebhookClient against a loopback sink: the URL path is a secret and never shown."""

from __future__ import annotations

import pytest

from shared.channels import WebhookClient
from shared.errors import ChannelRejected, ChannelTransient, DeliveryUnknown
from tests.support.http_sink import Reply, refused_url

PATH = "/services/T000/B000/XXXXsecretXXXX"
FAST = (0.5, 0.2)


def test_post_sends_json_and_idempotency_key(sink):
    WebhookClient(sink.url + PATH, timeout=FAST).post({"text": "job failed"}, idempotency_key="k-1")
    [req] = sink.requests()
    assert (req.method, req.path, req.json) == ("POST", PATH, {"text": "job failed"})
    assert req.headers["Idempotency-Key"] == "k-1"


def test_post_without_key_sends_no_idempotency_header(sink):
    WebhookClient(sink.url + PATH, timeout=FAST).post({"text": "x"})
    assert "Idempotency-Key" not in sink.wait_for(1)[0].headers


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (Reply(500, body=f"no such hook {PATH}"), ChannelTransient),
        (Reply(404, body="no_service"), ChannelRejected),
        (Reply(302, headers={"Location": "/elsewhere"}), ChannelRejected),
        (Reply(delay=1.0), DeliveryUnknown),
        (Reply(drop_after_read=True), DeliveryUnknown),
    ],
    ids=["500-echoing-path", "404", "redirect", "read-timeout", "dropped"],
)
def test_failures_are_classified_and_redacted(sink, assert_redacted, reply, error):
    sink.script([reply])
    with pytest.raises(error) as caught:
        WebhookClient(sink.url + PATH, timeout=FAST).post({"text": "x"})
    assert len(sink.wait_for(1, timeout=2)) == 1  # the redirect is not followed either
    assert sink.url in str(caught.value)  # scheme://host is kept for diagnosis
    assert_redacted(caught.value, PATH, "XXXXsecretXXXX")


def test_connection_refused_is_transient(assert_redacted):
    url = refused_url()
    with pytest.raises(ChannelTransient) as caught:
        WebhookClient(url + PATH, timeout=FAST).post({"text": "x"})
    assert_redacted(caught.value, PATH, "XXXXsecretXXXX")
