-- job_history: one row per actor run (one message; retries update its attempt).
-- Calling module: shared/history.py.

-- name: history_insert_queued
-- A manual/API trigger records its run at enqueue time so the id is known at once.
INSERT INTO dramaturg.job_history (job_name, actor_name, message_id, parent_id, trigger, status, attempt, period, args, enqueued_at, acted_by)
VALUES (%(job)s, %(actor)s, %(message_id)s, %(parent_id)s, %(trigger)s, 'queued', 0, %(period)s, %(args)s, %(now)s, %(acted_by)s)
ON CONFLICT (message_id) DO NOTHING
RETURNING id

-- name: history_start
INSERT INTO dramaturg.job_history (job_name, actor_name, message_id, parent_id, trigger, status, attempt, period, args, enqueued_at, started_at)
VALUES (%(job)s, %(actor)s, %(message_id)s, %(parent_id)s, %(trigger)s, 'running', %(attempt)s, %(period)s, %(args)s, %(enqueued_at)s, %(now)s)
ON CONFLICT (message_id) DO UPDATE
SET status = 'running', attempt = EXCLUDED.attempt, started_at = EXCLUDED.started_at,
    finished_at = NULL, duration_ms = NULL, error = NULL, traceback = NULL
-- A run cancelled while a worker held it prefetched returns no row: the worker skips it.
WHERE job_history.status <> 'cancelled'
RETURNING id

-- name: history_finish
-- An attempt that did not succeed is appended to attempt_log, so its error
-- survives the next attempt (history_start clears error and traceback).
UPDATE dramaturg.job_history
SET status = %(status)s, finished_at = %(now)s, duration_ms = %(duration_ms)s,
    items_processed = %(items)s, result = %(result)s, error = %(error)s, traceback = %(traceback)s,
    attempt_log = CASE WHEN %(status)s = 'succeeded' THEN attempt_log
        ELSE coalesce(attempt_log, '[]'::jsonb) || jsonb_build_array(jsonb_build_object(
            'attempt', attempt, 'status', %(status)s::text, 'error', %(error)s::text,
            'started_at', started_at, 'finished_at', %(now)s::timestamptz, 'duration_ms', %(duration_ms)s::int))
    END
WHERE id = %(id)s

-- name: history_skip
INSERT INTO dramaturg.job_history (job_name, actor_name, message_id, parent_id, trigger, status, attempt, period, args, enqueued_at, started_at, finished_at, duration_ms, error)
VALUES (%(job)s, %(actor)s, %(message_id)s, %(parent_id)s, %(trigger)s, 'skipped', %(attempt)s, %(period)s, %(args)s, %(enqueued_at)s, %(now)s, %(now)s, 0, %(error)s)
ON CONFLICT (message_id) DO UPDATE
SET status = 'skipped', finished_at = EXCLUDED.finished_at, started_at = COALESCE(job_history.started_at, EXCLUDED.started_at),
    duration_ms = COALESCE(%(duration_ms)s, 0), error = EXCLUDED.error
WHERE job_history.status <> 'cancelled'
RETURNING id

-- name: history_get
SELECT id, job_name, actor_name, message_id, parent_id, trigger, status, attempt, period,
       enqueued_at, started_at, finished_at, duration_ms, items_processed, result, error
FROM dramaturg.job_history WHERE id = %(id)s

-- name: history_list
SELECT id, job_name, actor_name, parent_id, trigger, status, attempt, period,
       started_at, finished_at, duration_ms, items_processed, error
FROM dramaturg.job_history
WHERE (%(job)s::text IS NULL OR job_name = %(job)s)
  AND (%(status)s::text IS NULL OR status = %(status)s)
  AND (%(since)s::timestamptz IS NULL OR coalesce(started_at, enqueued_at) >= %(since)s)
  AND (%(top_level)s IS FALSE OR trigger <> 'fanout')
ORDER BY id DESC
LIMIT %(limit)s

-- name: history_failures_since
SELECT job_name, count(*) FROM dramaturg.job_history
WHERE status = 'failed' AND finished_at >= %(since)s
GROUP BY job_name ORDER BY job_name

-- name: history_prune
-- Retention counts from finished_at; unfinished rows are kept.
DELETE FROM dramaturg.job_history WHERE finished_at < %(before)s

-- name: history_children_counts
SELECT status, count(*) FROM dramaturg.job_history WHERE parent_id = %(id)s GROUP BY status

-- name: history_reject_many
-- Messages rejected at claim (malformed, unknown actor, arguments that do not fit the
-- actor): one failed run each, never retried. A run recorded at enqueue (queued) is
-- marked failed.
INSERT INTO dramaturg.job_history (job_name, actor_name, message_id, trigger, status, attempt, args, enqueued_at,
                         started_at, finished_at, duration_ms, error)
SELECT r.job, r.actor, r.message_id, r.trigger, 'failed', r.attempt, r.args, r.enqueued_at, %(now)s, %(now)s, 0, r.error
FROM unnest(%(jobs)s::text[], %(actors)s::text[], %(ids)s::uuid[], %(triggers)s::text[], %(attempts)s::int[],
            %(args)s::jsonb[], %(enqueued)s::timestamptz[], %(errors)s::text[])
     AS r(job, actor, message_id, trigger, attempt, args, enqueued_at, error)
ON CONFLICT (message_id) DO UPDATE
SET status = 'failed', attempt = EXCLUDED.attempt, finished_at = EXCLUDED.finished_at, duration_ms = 0,
    error = EXCLUDED.error

-- name: history_start_many
-- The running rows of a claimed batch, in the claim's transaction (shared/postgres_consumer.py):
-- as history_start, one statement for the batch. A parent that no longer exists (pruned, or a
-- hand-made id) is dropped rather than failing the whole claim on the foreign key.
INSERT INTO dramaturg.job_history (job_name, actor_name, message_id, parent_id, trigger, status, attempt, period, args, enqueued_at, started_at)
SELECT r.job, r.actor, r.message_id, (SELECT p.id FROM dramaturg.job_history p WHERE p.id = r.parent_id),
       r.trigger, 'running', r.attempt, r.period, r.args, r.enqueued_at, %(now)s
FROM unnest(%(jobs)s::text[], %(actors)s::text[], %(ids)s::uuid[], %(parents)s::bigint[], %(triggers)s::text[],
            %(attempts)s::int[], %(periods)s::text[], %(args)s::jsonb[], %(enqueued)s::timestamptz[])
     AS r(job, actor, message_id, parent_id, trigger, attempt, period, args, enqueued_at)
ON CONFLICT (message_id) DO UPDATE
SET status = 'running', attempt = EXCLUDED.attempt, started_at = EXCLUDED.started_at,
    finished_at = NULL, duration_ms = NULL, error = NULL, traceback = NULL
WHERE job_history.status <> 'cancelled'
RETURNING message_id, id

-- name: history_succeed_many
-- Succeeded attempts, written with their acks (shared/outcomes.py). Fenced on the attempt and
-- status running: one final outcome per attempt; a row the rescue path closed is left alone.
UPDATE dramaturg.job_history h
SET status = 'succeeded', finished_at = r.finished_at, duration_ms = r.duration_ms,
    items_processed = r.items, result = r.result, error = NULL, traceback = NULL
FROM unnest(%(ids)s::bigint[], %(attempts)s::int[], %(finished)s::timestamptz[], %(durations)s::int[],
            %(items)s::int[], %(results)s::jsonb[])
     AS r(id, attempt, finished_at, duration_ms, items, result)
WHERE h.id = r.id AND h.attempt = r.attempt AND h.status = 'running'
