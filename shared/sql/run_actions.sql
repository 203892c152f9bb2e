-- Acting on runs for the job API, the dashboard and the CLI: submit, cancel, retry.
-- Calling module: shared/run_actions.py.

-- name: org_jobs_lock
-- Serializes one organization's submissions for the rest of the transaction,
-- so the count below and the insert that follows are race-free (and so is
-- the idempotency-key lookup). Jobs without an organization share key ''.
SELECT pg_advisory_xact_lock(hashtext('dramaturg.org-jobs'), hashtext(coalesce(%(org)s::text, '')))

-- name: org_jobs_active_count
SELECT count(*) FROM dramaturg.job_history
WHERE org_id = %(org)s AND status IN ('queued', 'running', 'retrying')

-- name: run_find_by_idempotency_key
SELECT id FROM dramaturg.job_history
WHERE org_id IS NOT DISTINCT FROM %(org)s::text AND idempotency_key = %(key)s

-- name: run_insert_queued
INSERT INTO dramaturg.job_history (job_name, actor_name, message_id, trigger, status, attempt, period, args, enqueued_at,
                         org_id, idempotency_key, retry_of, acted_by)
VALUES (%(job)s, %(actor)s, %(message_id)s, %(trigger)s, 'queued', 0, %(period)s, %(args)s, %(now)s,
        %(org)s, %(key)s, %(retry_of)s, %(acted_by)s)
RETURNING id

-- name: run_lock
-- The run to act on, locked: a worker starting it at the same moment waits
-- for this transaction (its start upsert skips a cancelled run).
SELECT id, job_name, actor_name, message_id, status, period, args, org_id
FROM dramaturg.job_history
WHERE id = %(id)s AND (%(org)s::text IS NULL OR org_id = %(org)s)
FOR UPDATE

-- name: run_mark_cancelled
UPDATE dramaturg.job_history
SET status = 'cancelled', finished_at = %(now)s, acted_by = %(acted_by)s
WHERE id = %(id)s AND status IN ('queued', 'retrying')

-- name: queue_reject_cancelled
-- The message can never run afterwards: a queued or delayed row is rejected;
-- a row a worker already claimed (prefetched) is rejected too, its ack is
-- fenced on state = 'consumed' and so writes nothing, and the worker skips
-- the message at start because the run says cancelled.
UPDATE dramatiq.queue
SET state = 'rejected', reason = 'cancelled', lease_owner = NULL, lease_expires_at = NULL, mtime = clock_timestamp()
WHERE message_id = %(message_id)s AND state IN ('queued', 'consumed')
