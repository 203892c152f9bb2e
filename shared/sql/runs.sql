-- Reading runs for the job API, the dashboard and the CLI (job_history, newest first, keyset-paged).
-- Calling module: shared/runs.py. %(org)s NULL means "every organization" (admin).

-- name: run_list
-- Keyset paging: %(before)s is the last id of the previous page (no OFFSET).
-- The partial index job_history_top_id_idx serves the top-level listing;
-- job_history_status_id_idx, _top_job_idx and _org_id_idx the filters.
SELECT id, job_name, actor_name, status, trigger, attempt, period, org_id, parent_id, retry_of,
       acted_by, idempotency_key, enqueued_at, started_at, finished_at, duration_ms, items_processed, error
FROM dramaturg.job_history
WHERE (%(org)s::text IS NULL OR org_id = %(org)s)
  AND (%(status)s::text IS NULL OR status = %(status)s)
  AND (%(job)s::text IS NULL OR job_name = %(job)s)
  AND (%(since)s::timestamptz IS NULL OR coalesce(enqueued_at, started_at) >= %(since)s)
  AND (%(before)s::bigint IS NULL OR id < %(before)s)
  AND (%(top_level)s IS FALSE OR trigger <> 'fanout')
ORDER BY id DESC
LIMIT %(limit)s

-- name: run_get
SELECT id, job_name, actor_name, message_id, status, trigger, attempt, period, org_id, parent_id, retry_of,
       acted_by, idempotency_key, args, enqueued_at, started_at, finished_at, duration_ms, items_processed,
       result, error, traceback, attempt_log
FROM dramaturg.job_history
WHERE id = %(id)s AND (%(org)s::text IS NULL OR org_id = %(org)s)

-- name: run_brief
SELECT id, job_name, actor_name, status FROM dramaturg.job_history WHERE id = %(id)s

-- name: run_children_summary
-- A fan-out run's children in one scan: counts by status, and their numeric
-- results summed by key (e.g. a deliver run's delivered / failed / skipped).
-- Children's results repeat a lot, so they are grouped first and only each
-- distinct result is expanded: about 3x cheaper on 100,000 children.
WITH g AS MATERIALIZED (
    SELECT status, result, count(*) AS n FROM dramaturg.job_history WHERE parent_id = %(id)s GROUP BY status, result
)
SELECT 'status' AS kind, status AS key, sum(n) AS value FROM g GROUP BY status
UNION ALL
SELECT 'total', e.key, sum((e.value)::text::numeric * g.n)
FROM g CROSS JOIN LATERAL jsonb_each(coalesce(g.result, '{}'::jsonb)) AS e(key, value)
WHERE jsonb_typeof(e.value) = 'number'
GROUP BY e.key

-- name: run_children_failing
SELECT id, job_name, actor_name, attempt, error, finished_at
FROM dramaturg.job_history
WHERE parent_id = %(id)s AND status = 'failed'
ORDER BY id
LIMIT %(limit)s

-- name: run_retries
SELECT id, status FROM dramaturg.job_history WHERE retry_of = %(id)s ORDER BY id
