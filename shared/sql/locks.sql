-- Advisory locks keyed by (job, period). Calling module: shared/locks.py.
-- Transaction-scoped: released at commit/rollback, so a crash never leaves one held.

-- name: lock_wait
SELECT pg_advisory_xact_lock(%(key)s)

-- name: lock_try
SELECT pg_try_advisory_xact_lock(%(key)s)
