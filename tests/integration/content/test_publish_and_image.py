"""publish-content's outbox and generate-image against a loopback social platform and image API."""

from __future__ import annotations

from datetime import timedelta

from scheduler.trigger import wait_for_run
from tests.conftest import T0
from tests.integration.content.conftest import all_rows, make_account, make_brand, make_org, one, run, submit_job
from tests.support.http_sink import Reply
from tests.support.waiting import wait_until

ACCESS = "access-token-abcdef123"


def make_item(raw, *, status="draft", platform="x", body="Hello world", brand=None) -> int:
    brand = brand or make_brand(raw, make_org(raw))
    request = one(
        raw, "INSERT INTO content.content_requests (brand_id, topic) VALUES (%s, 'launch') RETURNING id", brand
    )[0]
    return one(
        raw,
        "INSERT INTO content.content_items (request_id, platform, body, generator, publish_status) "
        "VALUES (%s, %s, %s, 'offline', %s) RETURNING id",
        request,
        platform,
        body,
        status,
    )[0]


def _item(raw, item):
    return one(raw, "SELECT publish_status, external_id, publish_error FROM content.content_items WHERE id = %s", item)


def test_an_item_is_published_once_with_an_idempotency_key_and_its_external_id_stored(app, worker, raw, remote):
    # Given an item and an active account
    item = make_item(raw)
    account = make_account(raw, make_org(raw))
    remote.route("POST", "/v1/posts", Reply(status=201, json={"id": "ext-991"}))
    # When it is published
    done = run(app, "content.publish", item_id=item, account_id=account)
    # Then it is delivered with the platform's id, and a post row exists for analytics
    assert done["status"] == "succeeded" and done["result"]["outcome"] == "delivered"
    assert _item(raw, item) == ("delivered", "ext-991", None)
    assert one(raw, "SELECT account_id, external_id, topic, published_at FROM content.posts") == (
        account,
        "ext-991",
        "launch",
        T0,
    )
    [call] = remote.hits("POST", "/v1/posts")
    assert call.headers["Idempotency-Key"] == f"content-item-{item}"
    assert call.headers["Authorization"] == f"Bearer {ACCESS}"
    assert call.json["text"] == "Hello world"
    # When it is published again
    again = run(app, "content.publish", item_id=item, account_id=account)
    # Then nothing is sent
    assert again["result"]["outcome"] == "skipped" and len(remote.hits("POST", "/v1/posts")) == 1
    # And no history text holds the token
    texts = " ".join(
        t for (t,) in all_rows(raw, "SELECT coalesce(result::text, '') || args::text FROM dramaturg.job_history")
    )
    assert ACCESS not in texts


def test_a_transient_error_puts_it_back_to_pending_and_the_retry_after_one_minute_delivers(
    app, worker, raw, remote, clock
):
    item = make_item(raw)
    account = make_account(raw, make_org(raw))
    remote.route("POST", "/v1/posts", Reply(status=503, body="busy"), Reply(status=201, json={"id": "ext-2"}))
    run_id = submit_job(app, "content.publish", item_id=item, account_id=account)
    wait_until(lambda: _item(raw, item)[0] == "pending" and _item(raw, item)[2], timeout=20)
    assert "HTTP 503" in _item(raw, item)[2]
    eta = wait_until(
        lambda: one(raw, "SELECT eta FROM dramatiq.queue WHERE state = 'queued' AND queue_name = 'content-support'"),
        timeout=20,
    )[0]
    assert eta == T0 + timedelta(minutes=1)
    clock.set(eta)
    wait_until(lambda: _item(raw, item)[0] == "delivered", timeout=20)
    assert len(remote.hits("POST", "/v1/posts")) == 2
    assert wait_for_run(app, run_id, timeout=20)["attempt"] == 2


def test_a_rejection_fails_the_item_after_one_request(app, worker, raw, remote, clock):
    item = make_item(raw)
    account = make_account(raw, make_org(raw))
    remote.route("POST", "/v1/posts", Reply(status=422, json={"error": "text too long"}))
    done = run(app, "content.publish", item_id=item, account_id=account)
    assert done["result"]["outcome"] == "failed"
    status, _, error = _item(raw, item)
    assert status == "failed" and "HTTP 422" in error and ACCESS not in error
    clock.advance(timedelta(minutes=30))
    assert len(remote.hits("POST", "/v1/posts")) == 1


def test_an_item_found_in_sending_becomes_unknown_and_is_not_sent_again(app, worker, raw, remote):
    item = make_item(raw, status="sending")
    account = make_account(raw, make_org(raw))
    done = run(app, "content.publish", item_id=item, account_id=account)
    assert done["result"]["outcome"] == "unknown" and _item(raw, item)[0] == "unknown"
    assert "not re-sent" in _item(raw, item)[2] and remote.requests() == []


def test_an_account_needing_reauth_is_not_published_to(app, worker, raw, remote):
    item = make_item(raw)
    account = make_account(raw, make_org(raw), status="needs_reauth")
    done = run(app, "content.publish", item_id=item, account_id=account)
    assert done["result"]["outcome"] == "failed" and "needs_reauth" in _item(raw, item)[2]
    assert remote.requests() == []


def test_an_image_is_generated_and_its_url_stored_once(app, worker, raw, remote):
    item = make_item(raw, body="A sunrise over the harbour")
    remote.route("POST", "/v1/images", Reply(json={"url": "https://images.example/1.png"}))
    done = run(app, "content.generate_image", item_id=item)
    assert done["status"] == "succeeded" and done["result"]["image_url"] == "https://images.example/1.png"
    assert (
        one(raw, "SELECT image_url FROM content.content_items WHERE id = %s", item)[0] == "https://images.example/1.png"
    )
    assert remote.hits("POST", "/v1/images")[0].json["prompt"] == "A sunrise over the harbour"
    again = run(app, "content.generate_image", item_id=item)
    assert again["result"]["skipped"] == "has an image" and len(remote.hits("POST", "/v1/images")) == 1
