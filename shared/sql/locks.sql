-- Advisory locks keyed by (job, period). Calling module: shared/locks.py.
-- Transaction-scoped: released at commit/rollback, so a crash never leaves one held.

-- name: lock_wait
SELECT pg_advisory_xact_lock(%(key)s)

-- name: lock_try
SELECT pg_try_advisory_xact_lock(%(key)s)

-- name: lock_tag_run
-- Names the run in this transaction's application_name (reverted at its end),
-- so whoever meets the lock can tell which message holds it.
SELECT set_config('application_name', %(tag)s, true)

-- name: lock_holder
-- Who holds a (job, period) lock: the backend, the run it named, and whether
-- that run's message is still claimed under a live lease. A bigint advisory
-- key shows in pg_locks as classid (high 32 bits) and objid (low), objsubid 1.
SELECT a.pid, a.application_name, q.state::text AS message_state,
       COALESCE(q.lease_expires_at > clock_timestamp(), false) AS lease_alive
FROM pg_locks l
JOIN pg_stat_activity a ON a.pid = l.pid
LEFT JOIN dramatiq.queue q ON q.message_id::text = substring(a.application_name FROM '^dramaturg run (.+)$')
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.classid = CAST(CAST(%(hi)s AS bigint) AS oid) AND l.objid = CAST(CAST(%(lo)s AS bigint) AS oid)
