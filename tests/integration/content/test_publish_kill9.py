"""publish-content under kill -9: a worker killed while its request is in flight never publishes twice.

A real ``dramaturg worker`` process publishes through a slow loopback platform
and is killed -9 once a request has arrived and before it was answered: that
item is committed 'sending', so the rescued message marks it 'unknown' instead
of sending it again. Every item reaches the platform at most once.
"""

from __future__ import annotations

import signal
import threading

import psycopg2
import pytest

from tests.integration.content.conftest import TOKEN_KEY, make_account, make_brand, make_org, submit_job
from tests.integration.content.routes import RoutedSink
from tests.support.http_sink import Recorded, Reply
from tests.support.processes import DramaturgProcess, dramaturg_env
from tests.support.waiting import wait_until

ITEMS = 4


@pytest.fixture
def platform():
    """The publish API: the first request hangs (long enough to kill the worker under it), the others answer.

    ``hung`` holds that request's Idempotency-Key once it arrived."""
    lock = threading.Lock()
    hung: list[str] = []
    with RoutedSink() as sink:

        def publish(rec: Recorded) -> Reply:
            key = rec.headers.get("Idempotency-Key")
            with lock:
                first = not hung
                if first:
                    hung.append(key)
            return Reply(status=201, json={"id": f"ext-{key}"}, delay=30 if first else 0.2)

        sink.route("POST", "/v1/posts", publish)
        yield sink, hung


def _states(db_url: str) -> dict[int, str]:
    conn = psycopg2.connect(db_url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT id, publish_status FROM content.content_items")
            return dict(cur.fetchall())
    finally:
        conn.close()


def test_a_worker_killed_mid_request_never_publishes_an_item_twice(app, raw, db_url, platform, tmp_path):
    platform, hung_keys = platform
    # Given items to publish to an active account, submitted as jobs
    brand = make_brand(raw, make_org(raw))
    account = make_account(raw, make_org(raw))
    with raw.cursor() as cur:
        cur.execute(
            "INSERT INTO content.content_requests (brand_id, topic) VALUES (%s, 'launch') RETURNING id", (brand,)
        )
        request = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO content.content_items (request_id, platform, body, generator) "
            "SELECT %s, 'p' || n, 'post ' || n, 'offline' FROM generate_series(1, %s) n RETURNING id",
            (request, ITEMS),
        )
        items = [r[0] for r in cur.fetchall()]
    for item in items:
        submit_job(app, "content.publish", item_id=item, account_id=account)
    env = dramaturg_env(
        db_url,
        DRAMATURG_APPS="content",
        DRAMATURG_LEASE_SECONDS="3",
        DRAMATURG_WORKER_THREADS="2",
        CONTENT_SOCIAL_API_BASE=platform.url,
        CONTENT_TOKEN_KEY=TOKEN_KEY,
    )
    worker = DramaturgProcess(["worker"], env, tmp_path, "worker").start()
    try:
        # When the worker is killed -9 while the first request waits for its answer
        platform.wait_for(1, timeout=60)
        hung = wait_until(lambda: hung_keys and hung_keys[0], timeout=10, message="the hung request's key")
        worker.signal(signal.SIGKILL)
        worker.wait(timeout=10)
        # And a new worker takes over (rescuing the dead one's messages after their lease)
        worker.start()
        states = wait_until(
            lambda: (s := _states(db_url)) and all(v in ("delivered", "unknown", "failed") for v in s.values()) and s,
            timeout=90,
            message=lambda: f"items settled: {_states(db_url)}; log: {worker.log()[-2000:]}",
        )
    finally:
        worker.stop()
    # Then no item reached the platform twice
    per_item = platform.count_by(lambda r: r.headers.get("Idempotency-Key"))
    assert max(per_item.values()) == 1, per_item
    # And the item whose answer died with the worker is 'unknown' (it reached the platform once), the others
    # delivered — or 'unknown' too when the kill fell between the other thread's 'sending' commit and its request
    assert set(states.values()) <= {"delivered", "unknown"}
    assert "delivered" in states.values()
    assert {f"content-item-{i}" for i, s in states.items() if s == "unknown"} >= {hung}
    assert per_item[hung] == 1
