"""F9: malformed messages mixed into 1,000 valid ones — more thread-killing ones than the worker
has threads — are rejected with a reason and a failed job_history row, never retried; every valid
one is processed."""

from __future__ import annotations

import json
import time
import uuid

from shared.runtime import build_app
from shared.settings import load_settings
from tests.faults.conftest import figures
from tests.support.processes import DramaturgProcess
from tests.support.waiting import wait_until


def test_f9_bad_messages_rejected_and_valid_ones_all_processed(fault_db, fault_raw, fault_env, tmp_path):
    app = build_app(load_settings({"DATABASE_URL": fault_db, "DRAMATURG_APPS": "all"}))
    from actors.example.touch import touch_item

    with fault_raw.cursor() as cur:
        cur.execute("INSERT INTO example.example_items (name) SELECT 'i' || g FROM generate_series(1, 1000) g")
        cur.execute("SELECT id FROM example.example_items ORDER BY id")
        ids = [r[0] for r in cur.fetchall()]
    # Given 1,000 valid messages with three kinds of bad ones mixed in
    valid = [touch_item.message(item_id=i) for i in ids]
    wrong_type = [touch_item.message(item_id="not-a-number") for _ in range(5)]
    messages = valid[:500] + wrong_type + valid[500:]
    app.broker.enqueue_many(messages)
    bad_ids = {"undecodable": str(uuid.uuid4()), "unknown actor": str(uuid.uuid4())}
    with fault_raw.cursor() as cur:
        cur.execute(
            "INSERT INTO dramatiq.queue (message_id, queue_name, state, message, eta) VALUES (%s, 'example', 'queued', %s, now())",
            (bad_ids["undecodable"], json.dumps({"this is": "not a dramatiq message"})),
        )
        body = touch_item.message(item_id=ids[0]).asdict() | {
            "actor_name": "nobody.home",
            "message_id": bad_ids["unknown actor"],
        }
        cur.execute(
            "INSERT INTO dramatiq.queue (message_id, queue_name, state, message, eta) VALUES (%s, 'example', 'queued', %s, now())",
            (bad_ids["unknown actor"], json.dumps(body)),
        )
        # More thread-killers than the worker has threads (8): each used to end the thread that ran it
        for i in range(10):
            for kind, change in (
                ("throws", {"options": {"throws": "ValueError"}}),
                ("queue", {"queue_name": "cron"}),
            ):
                message_id = str(uuid.uuid4())
                bad_ids[f"{kind} {i}"] = message_id
                body = touch_item.message(item_id=ids[0]).asdict() | {"message_id": message_id} | change
                cur.execute(
                    "INSERT INTO dramatiq.queue (message_id, queue_name, state, message, eta) "
                    "VALUES (%s, 'example', 'queued', %s, now())",
                    (message_id, json.dumps(body)),
                )
    # When a worker process takes the queue
    worker = DramaturgProcess(["worker"], fault_env(), tmp_path, "worker").start()
    started = time.monotonic()
    try:

        def rejected():
            with fault_raw.cursor() as cur:
                cur.execute("SELECT message_id::text, reason FROM dramatiq.queue WHERE state = 'rejected'")
                rows = dict(cur.fetchall())
            return rows if len(rows) == len(bad_ids) + len(wrong_type) else None

        rows = wait_until(rejected, timeout=30)
        rejected_after = time.monotonic() - started
        wait_until(lambda: _touched(fault_raw) == 1000, timeout=60)
        drained_after = time.monotonic() - started
    finally:
        worker.stop()
    # Then each bad message is rejected with a clear reason
    assert "undecodable message" in rows[bad_ids["undecodable"]]
    assert "unknown actor 'nobody.home'" in rows[bad_ids["unknown actor"]]
    assert all("options.throws" in rows[bad_ids[f"throws {i}"]] for i in range(10))
    assert all("is not the row's queue 'example'" in rows[bad_ids[f"queue {i}"]] for i in range(10))
    wrong = [m.message_id for m in wrong_type]
    assert all("PayloadError" in rows[i] and "item_id" in rows[i] for i in wrong)
    # And each has one failed run in job_history, with the same reason; none was retried
    with fault_raw.cursor() as cur:
        cur.execute("SELECT message_id::text, attempt, error FROM dramaturg.job_history WHERE status = 'failed'")
        failed = {mid: (attempt, error) for mid, attempt, error in cur.fetchall()}
        assert set(failed) == set(rows)
        assert all(attempt == 1 for attempt, _ in failed.values())
        assert all(failed[mid][1] == rows[mid] for mid in bad_ids.values())
        cur.execute("SELECT count(*) FROM dramatiq.queue WHERE state IN ('queued', 'consumed')")
        assert cur.fetchone() == (0,)
    assert rejected_after < 5 + drained_after  # all within the run; the per-message bound is below
    figures(
        "F9",
        valid=1000,
        bad=len(rows),
        all_rejected_after_s=round(rejected_after, 2),
        drained_after_s=round(drained_after, 2),
    )


def _touched(raw) -> int:
    with raw.cursor() as cur:
        cur.execute("SELECT count(*) FROM example.example_items WHERE touches = 1")
        return cur.fetchone()[0]
