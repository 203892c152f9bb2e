"""Built-in retention jobs: job_history after 30 days (from finished_at), finished queue rows after 7."""

from __future__ import annotations

from datetime import timedelta

from scheduler.trigger import trigger_job, wait_for_run


def test_prune_history_deletes_rows_finished_before_the_retention(app, worker, raw, clock):
    now = clock.now()
    with raw.cursor() as cur:
        # Given runs finished 31 days ago, 29 days ago, and one started long ago but unfinished
        cur.execute(
            """INSERT INTO dramaturg.job_history (job_name, actor_name, message_id, trigger, status, started_at, finished_at)
                       VALUES ('old', 'a', gen_random_uuid(), 'cron', 'succeeded', %(s)s, %(old)s),
                              ('recent', 'a', gen_random_uuid(), 'cron', 'succeeded', %(s)s, %(recent)s),
                              ('open', 'a', gen_random_uuid(), 'cron', 'running', %(s)s, NULL)""",
            {"s": now - timedelta(days=40), "old": now - timedelta(days=31), "recent": now - timedelta(days=29)},
        )
    # When the prune job runs
    row = wait_for_run(app, trigger_job(app, "prune-history"), timeout=20)
    # Then only the row finished more than 30 days ago is gone
    assert row["status"] == "succeeded" and row["items_processed"] == 1
    with raw.cursor() as cur:
        cur.execute("SELECT job_name FROM dramaturg.job_history WHERE job_name IN ('old', 'recent', 'open') ORDER BY 1")
        assert [r[0] for r in cur.fetchall()] == ["open", "recent"]


def test_prune_queue_deletes_only_finished_rows_older_than_the_retention(app, worker, raw, clock):
    with raw.cursor() as cur:
        # Given done and rejected rows 8 days old, a done row 6 days old, and an old queued row
        for state, days in (("done", 8), ("rejected", 8), ("done", 6), ("queued", 30)):
            cur.execute(
                """INSERT INTO dramatiq.queue (message_id, queue_name, state, mtime, message, eta)
                           VALUES (gen_random_uuid(), 'nowhere', %s, %s, '{}', %s)""",
                (state, clock.now() - timedelta(days=days), clock.now() + timedelta(days=365)),
            )
    row = wait_for_run(app, trigger_job(app, "prune-queue"), timeout=20)
    assert row["status"] == "succeeded" and row["items_processed"] == 2
    with raw.cursor() as cur:
        cur.execute("SELECT state::text FROM dramatiq.queue WHERE queue_name = 'nowhere' ORDER BY 1")
        assert [r[0] for r in cur.fetchall()] == ["done", "queued"]
