"""A fan-out of many batches (one COPYed while the next is built): every child once, in the run's transaction."""

from __future__ import annotations

import pytest

from actors.example.touch import touch_item
from shared.actors import JobContext


def _context(app, session) -> JobContext:
    return JobContext(
        session=session,
        now=app.clock.now(),
        period="2026-12-02T18",
        job="example-touch",
        args={},
        app=app,
        config=None,
        run_id=None,
        trigger="manual",
    )


def _children(raw) -> list[tuple[str, int]]:
    with raw.cursor() as cur:
        cur.execute(
            "SELECT message_id::text, (message->'kwargs'->>'item_id')::int FROM dramatiq.queue "
            "WHERE message->>'actor_name' = 'example.touch.item' ORDER BY 2"
        )
        rows = cur.fetchall()
    raw.rollback()
    return rows


def test_a_fan_out_of_many_batches_enqueues_each_child_once_and_a_rerun_none(app, raw):
    items = [(str(i), {"item_id": i}) for i in range(1, 1051)]  # 10 full batches of 100 and a short one
    # When a run fans out 1,050 children in batches of 100 and commits
    with app.sessions() as session:
        ctx = _context(app, session)
        assert ctx.fan_out(touch_item, iter(items), batch=100) == 1050
        session.commit()
    # Then each child is queued once, with its own payload
    children = _children(raw)
    assert [n for _, n in children] == list(range(1, 1051))
    assert len({mid for mid, _ in children}) == 1050
    # And the same fan-out again in the same period enqueues nothing
    with app.sessions() as session:
        assert _context(app, session).fan_out(touch_item, iter(items), batch=100) == 0
        session.commit()
    assert len(_children(raw)) == 1050


def test_a_fan_out_that_fails_midway_leaves_no_child(app, raw):
    def items():
        for i in range(1, 10_000):
            if i == 750:  # batches before this one were sent (or are in flight)
                raise RuntimeError("the entity query broke")
            yield str(i), {"item_id": i}

    # When the run's own code fails after several batches were sent, and its transaction rolls back
    with app.sessions() as session:
        with pytest.raises(RuntimeError, match="entity query broke"):
            _context(app, session).fan_out(touch_item, items(), batch=100)
        session.rollback()
    # Then none of its children exists
    assert _children(raw) == []
