"""fan_out(..., chunk=N) on the real worker: one message per N entities, each entity's effect once."""

from __future__ import annotations

from datetime import timedelta

from scheduler.trigger import trigger_job, wait_for_run
from tests.support.waiting import wait_until


def _items(raw, n: int, fail_first: int = 0) -> list[int]:
    with raw.cursor() as cur:
        cur.execute(
            "INSERT INTO example.example_items (name, fail_first) SELECT 'item ' || g, %s FROM generate_series(1, %s) g "
            "RETURNING id",
            (fail_first, n),
        )
        ids = [r[0] for r in cur.fetchall()]
    raw.commit()
    return ids


def _touches(raw) -> list[tuple[int, int, str]]:
    with raw.cursor() as cur:
        cur.execute("SELECT id, touches, status FROM example.example_items ORDER BY id")
        rows = cur.fetchall()
    raw.rollback()
    return rows


def _children(raw, run_id: int) -> list[tuple[str, int | None, int]]:
    with raw.cursor() as cur:
        cur.execute(
            "SELECT status, items_processed, attempt FROM dramaturg.job_history WHERE parent_id = %s ORDER BY id",
            (run_id,),
        )
        rows = cur.fetchall()
    raw.rollback()
    return rows


def test_a_chunked_fan_out_runs_each_entity_once_with_one_history_row_per_chunk(app, worker, raw):
    # Given seven active items
    ids = _items(raw, 7)
    # When the job fans them out three per message
    run_id = trigger_job(app, "example-touch", args={"chunk": 3})
    row = wait_for_run(app, run_id, timeout=30)
    # Then three child messages ran (3 + 3 + 1 items), each item touched once
    assert row["status"] == "succeeded" and row["items_processed"] == 3
    assert row["children"] == {"succeeded": 3}
    assert sorted(items for _, items, _ in _children(raw, run_id)) == [1, 3, 3]
    assert _touches(raw) == [(i, 1, "active") for i in ids]
    # And a second run for the same period, grouping the same items alike, enqueues nothing
    again = wait_for_run(app, trigger_job(app, "example-touch", args={"chunk": 3}), timeout=30)
    assert again["status"] == "succeeded" and again["items_processed"] == 0
    # And one grouping them otherwise (2 + 2 + 2 + 1) enqueues the three new groupings, whose
    # items' markers stop a second touch (the last item alone is the same chunk as before)
    other = trigger_job(app, "example-touch", args={"chunk": 2})
    regrouped = wait_for_run(app, other, timeout=30)
    assert regrouped["items_processed"] == 3
    assert [items for _, items, _ in _children(raw, other)] == [0, 0, 0]
    assert _touches(raw) == [(i, 1, "active") for i in ids]


def test_an_entity_that_fails_retries_its_whole_chunk_and_its_neighbours_change_once(app, worker, raw, clock):
    # Given three items, the middle one failing its first attempt
    ids = _items(raw, 3)
    with raw.cursor() as cur:
        cur.execute("UPDATE example.example_items SET fail_first = 1 WHERE id = %s", (ids[1],))
    raw.commit()
    # When they are fanned out in one chunk
    run_id = trigger_job(app, "example-touch", args={"chunk": 3})
    # Then the chunk's first attempt fails as a whole: nothing of it is kept
    wait_until(lambda: [c for c in _children(raw, run_id) if c[0] == "retrying"], timeout=30)
    assert _touches(raw) == [(i, 0, "active") for i in ids]
    # And its retry (1 minute later) touches every item once
    clock.advance(timedelta(minutes=1))
    wait_until(lambda: [c for c in _children(raw, run_id) if c[0] == "succeeded"], timeout=30)
    assert _touches(raw) == [(i, 1, "active") for i in ids]
    assert _children(raw, run_id)[-1] == ("succeeded", 3, 2)


def test_a_chunk_that_fails_for_good_settles_each_of_its_entities(app, worker, raw, clock):
    # Given two items that always fail, fanned out in one chunk
    ids = _items(raw, 2, fail_first=99)
    run_id = trigger_job(app, "example-touch", args={"chunk": 2})
    # When the chunk has used its retries (1, 2 and 4 minutes apart)
    for attempt in (1, 2, 3):
        wait_until(
            lambda a=attempt: [c for c in _children(raw, run_id) if c[0] == "retrying" and c[2] == a], timeout=30
        )
        with raw.cursor() as cur:
            cur.execute("SELECT eta FROM dramatiq.queue WHERE state = 'queued' AND queue_name = 'example'")
            (eta,) = cur.fetchone()
        raw.rollback()
        clock.set(eta)
    # Then it is failed, and on_exhausted marked every item of it failed
    wait_until(lambda: [c for c in _children(raw, run_id) if c[0] == "failed"], timeout=30)
    wait_until(lambda: all(status == "failed" for _, _, status in _touches(raw)), timeout=30)
    assert [(i, t) for i, t, _ in _touches(raw)] == [(i, 0) for i in ids]
