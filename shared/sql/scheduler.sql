-- The scheduler's watermarks and lock. Calling module: scheduler/runner.py.

-- name: scheduler_transaction_timeout
-- A tick's transaction takes milliseconds; one left idle longer belongs to a
-- frozen scheduler, and the server ends it so its lock frees the others.
SET LOCAL idle_in_transaction_session_timeout = '30s'

-- name: scheduler_lock_try
-- One scheduler enqueues at a time; the others skip the round (tick ids would
-- dedupe anyway, this just saves the work).
SELECT pg_try_advisory_xact_lock(hashtext('scheduler'))

-- name: watermark_get_all
SELECT job_name, last_tick_at FROM dramaturg.scheduler_state

-- name: watermark_advance
INSERT INTO dramaturg.scheduler_state (job_name, last_tick_at) VALUES (%(job)s, %(at)s)
ON CONFLICT (job_name) DO UPDATE SET last_tick_at = GREATEST(scheduler_state.last_tick_at, EXCLUDED.last_tick_at)

-- name: watermark_reset
-- Only for a watermark found ahead of the database's clock (see runner.py).
INSERT INTO dramaturg.scheduler_state (job_name, last_tick_at) VALUES (%(job)s, %(at)s)
ON CONFLICT (job_name) DO UPDATE SET last_tick_at = EXCLUDED.last_tick_at
