-- The scheduler's watermarks. Calling module: scheduler/runner.py.

-- name: scheduler_lock_try
-- One scheduler enqueues at a time; the others skip the round (tick ids would
-- dedupe anyway, this just saves the work).
SELECT pg_try_advisory_xact_lock(hashtext('scheduler'))

-- name: watermark_get_all
SELECT job_name, last_tick_at FROM dramaturg.scheduler_state

-- name: watermark_advance
INSERT INTO dramaturg.scheduler_state (job_name, last_tick_at) VALUES (%(job)s, %(at)s)
ON CONFLICT (job_name) DO UPDATE SET last_tick_at = GREATEST(scheduler_state.last_tick_at, EXCLUDED.last_tick_at)
