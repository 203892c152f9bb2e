"""What ``dramaturg status`` reads (shared/overview.py): active messages all counted, finished ones over a window only."""

from __future__ import annotations

from datetime import timedelta

from shared import overview

ROW = """INSERT INTO dramatiq.queue (message_id, queue_name, state, mtime, message, eta)
         VALUES (gen_random_uuid(), %(queue)s, %(state)s, clock_timestamp() - make_interval(secs => %(age)s), '{}',
                 %(eta)s)"""


def _queue_rows(raw, clock, rows):
    with raw.cursor() as cur:
        for queue, state, age, due_in in rows:
            cur.execute(
                ROW, {"queue": queue, "state": state, "age": age, "eta": clock.now() + timedelta(seconds=due_in)}
            )


def test_status_counts_active_messages_and_finished_ones_only_within_the_window(raw, clock):
    # Given due, delayed and in-flight messages, and finished ones a minute and an hour old (by mtime)
    _queue_rows(
        raw,
        clock,
        [
            ("work", "queued", 0, -10),
            ("work", "queued", 0, 3600),
            ("work", "consumed", 0, -10),
            ("work", "done", 60, -10),
            ("work", "done", 3600, -10),
            ("work", "rejected", 60, -10),
            ("old", "done", 3600, -10),
        ],
    )
    # When status reads them with a 5-minute window
    readings = overview.status_readings(raw, clock.now(), [], finished_window=timedelta(minutes=5))
    # Then queued counts both (one delayed), and only the finished rows of the last 5 minutes count;
    # a queue with nothing active or recent is not listed
    assert readings.queues == [
        {"queue": "work", "state": "queued", "count": 2, "delayed": 1},
        {"queue": "work", "state": "consumed", "count": 1, "delayed": 0},
        {"queue": "work", "state": "done", "count": 1, "delayed": 0},
        {"queue": "work", "state": "rejected", "count": 1, "delayed": 0},
    ]
    assert readings.finished_window == timedelta(minutes=5)


def test_status_shows_each_jobs_last_top_level_run_not_its_children(raw, clock):
    # Given a job's cron run, then a fan-out child of it (a later id), and a job that never ran
    with raw.cursor() as cur:
        cur.execute(
            """INSERT INTO dramaturg.job_history (job_name, actor_name, message_id, trigger, status, started_at)
               VALUES ('decay', 'game.decay', gen_random_uuid(), 'cron', 'succeeded', %(t)s),
                      ('decay', 'game.decay.item', gen_random_uuid(), 'fanout', 'failed', %(t)s)""",
            {"t": clock.now()},
        )
    # When status reads the last runs
    last = overview.status_readings(raw, clock.now(), ["decay", "never"]).last_runs
    # Then the job's last run is the cron run, and the other has none
    assert last["decay"] is not None and (last["decay"]["trigger"], last["decay"]["status"]) == ("cron", "succeeded")
    assert last["never"] is None
