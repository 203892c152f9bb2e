-- Aggregates for the dashboard, /health, /metrics and dramaturg status: queue depths, throughput, failures, last runs.
-- Calling module: shared/overview.py. Each query is bounded by an index (see
-- migration 0009), so pages stay fast on a million history rows.

-- name: queue_active_depths
-- Queued (due and delayed) and in-flight messages by queue; oldest_due is the
-- eta of the longest-waiting due message. Finished rows are counted apart.
SELECT queue_name,
       count(*) FILTER (WHERE state = 'queued' AND eta <= %(now)s) AS queued,
       count(*) FILTER (WHERE state = 'queued' AND eta > %(now)s) AS delayed,
       count(*) FILTER (WHERE state = 'consumed') AS consumed,
       min(eta) FILTER (WHERE state = 'queued' AND eta <= %(now)s) AS oldest_due
FROM dramatiq.queue
WHERE state IN ('queued', 'consumed')
GROUP BY queue_name
ORDER BY queue_name

-- name: queue_finished_depths
-- Done and rejected messages finished in the last %(within)s seconds (queue_state_mtime_idx:
-- a range of the index, not the days of finished rows the table keeps). By the database's
-- clock on purpose: it stamps mtime (queue.sql), whatever clock the business runs on; and
-- statement_timestamp(), not clock_timestamp(): a volatile bound cannot use the index.
SELECT queue_name, state::text AS state, count(*) AS n
FROM dramatiq.queue
WHERE state IN ('done', 'rejected') AND mtime >= statement_timestamp() - make_interval(secs => %(within)s)
GROUP BY queue_name, state
ORDER BY queue_name, state

-- name: runs_throughput
-- Finished runs per bucket (job_history_finished_idx).
SELECT date_bin(make_interval(secs => %(bucket)s), finished_at, %(origin)s) AS t,
       count(*) FILTER (WHERE status = 'succeeded') AS succeeded,
       count(*) FILTER (WHERE status = 'failed') AS failed,
       count(*) FILTER (WHERE status NOT IN ('succeeded', 'failed')) AS other
FROM dramaturg.job_history
WHERE finished_at >= %(since)s AND finished_at < %(until)s
GROUP BY 1
ORDER BY 1

-- name: runs_failed_since
-- The last 24 h's failures, newest first (job_history_status_finished_idx).
SELECT id, job_name, actor_name, trigger, attempt, org_id, parent_id, error, started_at, finished_at, duration_ms
FROM dramaturg.job_history
WHERE status = 'failed' AND finished_at >= %(since)s AND (%(org)s::text IS NULL OR org_id = %(org)s)
ORDER BY finished_at DESC
LIMIT %(limit)s

-- name: runs_failed_counts
SELECT job_name, count(*) AS n
FROM dramaturg.job_history
WHERE status = 'failed' AND finished_at >= %(since)s AND (%(org)s::text IS NULL OR org_id = %(org)s)
GROUP BY job_name
ORDER BY n DESC, job_name

-- name: run_last_of_job
-- A job's last top-level run (job_history_top_job_idx). One query per job on
-- purpose: with the job name as a constant the planner knows how rare it is;
-- as a LATERAL parameter over a list it walked every top-level row for jobs
-- that never ran (hundreds of ms on a million rows).
SELECT id, job_name, status, trigger, started_at, finished_at, duration_ms, items_processed, error
FROM dramaturg.job_history
WHERE job_name = %(job)s AND trigger <> 'fanout'
ORDER BY id DESC
LIMIT 1

-- name: cron_last_start
-- When a job's last cron run started and the tick it ran for (lateness = the difference).
SELECT started_at, (args -> 'kwargs' ->> 'tick')::timestamptz AS tick
FROM dramaturg.job_history
WHERE job_name = %(job)s AND trigger <> 'fanout' AND trigger = 'cron' AND started_at IS NOT NULL
ORDER BY id DESC
LIMIT 1
