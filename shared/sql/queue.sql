-- The broker's queries on dramatiq-pg's table (dramatiq.queue).
-- Calling module: shared/postgres_broker.py and shared/postgres_consumer.py.
-- Business instants (eta) come from the injectable clock as %(now)s; leases
-- use the database's real clock (clock_timestamp()) because they measure
-- whether a worker is alive, not when business happens. On real time a NULL
-- eta or %(now)s means the database's clock: a producer whose clock runs
-- ahead of a worker's must not hold its messages back (shared/clock_guard.py).

-- name: queue_insert_many
-- Idempotent bulk enqueue: an existing message id is left untouched (stock
-- dramatiq-pg upserts and re-queues finished messages). Returns the new ids.
-- The NOTIFY of each queue that got a new row rides in the same statement (one
-- round trip for a send): the uncorrelated subquery runs once, over the new rows.
-- Ids come back as text: parsing 10,000 into UUID objects cost more than the insert.
WITH new AS (
    INSERT INTO dramatiq.queue (message_id, queue_name, state, message, eta, priority, enqueued_at, mtime)
    SELECT m.message_id, m.queue_name, 'queued', m.message, COALESCE(m.eta, clock_timestamp()), m.priority, %(now)s, clock_timestamp()
    FROM unnest(%(ids)s::uuid[], %(queues)s::text[], %(messages)s::jsonb[], %(etas)s::timestamptz[], %(priorities)s::smallint[])
         AS m(message_id, queue_name, message, eta, priority)
    ON CONFLICT (message_id) DO NOTHING
    RETURNING message_id, queue_name
)
SELECT message_id::text, queue_name FROM new
WHERE (SELECT count(pg_notify('dramatiq.' || q.queue_name || '.enqueue', ''))
       FROM (SELECT DISTINCT queue_name FROM new) q) >= 0

-- name: queue_stage_create
-- Bulk enqueue stages rows with COPY (much cheaper per row than binding
-- arrays) in a per-session temp table; created once per connection.
CREATE TEMP TABLE IF NOT EXISTS dramaturg_enqueue_stage (
    message_id uuid NOT NULL,
    queue_name text NOT NULL,
    message jsonb NOT NULL,
    priority smallint NOT NULL
) ON COMMIT DELETE ROWS

-- name: queue_stage_copy
COPY dramaturg_enqueue_stage (message_id, queue_name, message, priority) FROM STDIN

-- name: queue_insert_staged
-- The staged batch, moved in one statement: the DELETE empties the stage even
-- inside a caller's longer transaction (ON COMMIT only clears it at commit),
-- so the next batch on this connection starts clean. Same rules as
-- queue_insert_many: an existing id is left untouched; returns the new ids.
-- The NOTIFYs ride along as in queue_insert_many.
WITH batch AS (
    DELETE FROM dramaturg_enqueue_stage RETURNING message_id, queue_name, message, priority
), new AS (
    INSERT INTO dramatiq.queue (message_id, queue_name, state, message, eta, priority, enqueued_at, mtime)
    SELECT message_id, queue_name, 'queued', message, COALESCE(%(eta)s, clock_timestamp()), priority, %(now)s, clock_timestamp()
    FROM batch
    ON CONFLICT (message_id) DO NOTHING
    RETURNING message_id, queue_name
)
SELECT message_id::text, queue_name FROM new
WHERE (SELECT count(pg_notify('dramatiq.' || q.queue_name || '.enqueue', ''))
       FROM (SELECT DISTINCT queue_name FROM new) q) >= 0

-- name: queue_copy_savepoint
-- A bulk enqueue first tries COPY straight into the table (shared/postgres_broker.py
-- _copy_new): when every id is new — a fan-out's first run for its period, any batch of
-- fresh ids — it is the raw COPY and nothing more. An existing id aborts the COPY at
-- that row; the savepoint keeps the caller's transaction, and the staged path below
-- skips the ids that exist. (In autocommit the COPY is its own transaction: no savepoint.)
SAVEPOINT dramaturg_copy

-- name: queue_copy
-- eta and mtime take their column defaults (the database's clock at the transaction's
-- start), as a NULL eta means in queue_insert_many.
COPY dramatiq.queue (message_id, queue_name, state, message, priority, enqueued_at) FROM STDIN

-- name: queue_copy_eta
COPY dramatiq.queue (message_id, queue_name, state, message, priority, enqueued_at, eta) FROM STDIN

-- name: queue_copy_undo
ROLLBACK TO SAVEPOINT dramaturg_copy; RELEASE SAVEPOINT dramaturg_copy

-- name: queue_copy_done
RELEASE SAVEPOINT dramaturg_copy;
SELECT count(pg_notify('dramatiq.' || q || '.enqueue', '')) FROM unnest(%(queues)s::text[]) AS q

-- name: queue_notify_many
-- queue_copy_done in autocommit (no savepoint to release).
SELECT count(pg_notify('dramatiq.' || q || '.enqueue', '')) FROM unnest(%(queues)s::text[]) AS q

-- name: queue_notify
-- A wake-up hint only: consumers also poll, so a lost NOTIFY delays, never loses.
SELECT pg_notify('dramatiq.' || %(queue)s || '.enqueue', '')

-- name: queue_claim
-- Claim up to %(limit)s due messages, oldest eta first within a priority.
-- SKIP LOCKED: concurrent claimers take disjoint rows and never wait.
-- The claim must walk queue_claim_idx in (priority, eta) order and stop at the
-- limit. Right after a bulk COPY, before an ANALYZE has seen the rows (or with
-- autovacuum off), the planner believes a handful are queued and bitmap-scans
-- and sorts every queued row instead: 36 ms per claim at 80,000 queued, against
-- well under 1 ms walking the index. The two settings last to this transaction's end.
SET LOCAL enable_bitmapscan = off;
SET LOCAL enable_sort = off;
WITH next AS (
    SELECT message_id
    FROM dramatiq.queue
    WHERE queue_name = %(queue)s AND state = 'queued' AND eta <= COALESCE(%(now)s, clock_timestamp())
    ORDER BY priority, eta
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
UPDATE dramatiq.queue q
SET state = 'consumed',
    lease_owner = %(owner)s,
    lease_expires_at = clock_timestamp() + make_interval(secs => %(lease)s),
    claims = q.claims + 1,
    mtime = clock_timestamp()
FROM next
WHERE q.message_id = next.message_id
RETURNING q.message_id, q.message::text, q.claims, q.priority, q.eta

-- name: queue_claim_capped
-- queue_claim for a queue with a concurrency cap (shared/queue_limits.py):
-- at most %(cap)s rows of the queue consumed at once, across every worker.
-- Two statements sent in one round trip. The first takes a transaction-scoped
-- lock on the queue (two int4 keys: a key space apart from the bigint
-- (job, period) locks of locks.sql), so concurrent claimers count and claim
-- one after another. The count must be in the next statement: under READ
-- COMMITTED each statement takes its snapshot when it starts, so only a
-- statement begun after the lock was granted sees every claim committed
-- before it. A row whose lease ran out counts until it is rescued: its worker
-- may only be stalled and still running it (its heartbeat would renew it).
-- Uncapped queues never take the lock. The planner settings: as in queue_claim.
SET LOCAL enable_bitmapscan = off;
SET LOCAL enable_sort = off;
SELECT pg_advisory_xact_lock(hashtext('dramaturg.queue_cap'), hashtext(%(queue)s));
WITH running AS (
    SELECT count(*) AS n FROM (
        SELECT 1 FROM dramatiq.queue
        WHERE queue_name = %(queue)s AND state = 'consumed'
        LIMIT %(cap)s
    ) AS claimed
),
-- The candidates exactly as queue_claim takes them (a constant LIMIT keeps its
-- index-ordered plan); only the free slots' worth of them is claimed. The rest
-- are locked until this transaction commits, by which time no other claimer of
-- the queue has got past the lock above.
next AS (
    SELECT message_id, priority, eta
    FROM dramatiq.queue
    WHERE queue_name = %(queue)s AND state = 'queued' AND eta <= COALESCE(%(now)s, clock_timestamp())
    ORDER BY priority, eta
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
),
free AS (
    SELECT message_id FROM next
    ORDER BY priority, eta
    LIMIT (SELECT greatest(0, %(cap)s - n) FROM running)
)
UPDATE dramatiq.queue q
SET state = 'consumed',
    lease_owner = %(owner)s,
    lease_expires_at = clock_timestamp() + make_interval(secs => %(lease)s),
    claims = q.claims + 1,
    mtime = clock_timestamp()
FROM free
WHERE q.message_id = free.message_id
RETURNING q.message_id, q.message::text, q.claims, q.priority, q.eta

-- Outcomes, retries, releases and renewals are fenced on the claim itself:
-- (message_id, claims) as returned by queue_claim, and this worker's id. The
-- worker id alone is not enough: the same process may claim a message again
-- (its retry was due at once) before the outcome of the earlier claim is
-- written, and that stale outcome must then change nothing.

-- name: queue_ack_many
-- A worker that lost its rows (expired and rescued), or an outcome of an earlier claim, acks nothing.
UPDATE dramatiq.queue q
SET state = 'done', lease_owner = NULL, lease_expires_at = NULL, mtime = clock_timestamp()
FROM unnest(%(ids)s::uuid[], %(claims)s::int[]) AS c(message_id, claims)
WHERE q.message_id = c.message_id AND q.claims = c.claims AND q.state = 'consumed' AND q.lease_owner = %(owner)s
RETURNING q.message_id

-- name: queue_reject_many
-- A NULL message keeps the row's own body (a poison row that never decoded).
UPDATE dramatiq.queue q
SET state = 'rejected', reason = c.reason, message = COALESCE(c.message::jsonb, q.message),
    lease_owner = NULL, lease_expires_at = NULL, mtime = clock_timestamp()
FROM unnest(%(ids)s::uuid[], %(claims)s::int[], %(reasons)s::text[], %(messages)s::text[])
     AS c(message_id, claims, reason, message)
WHERE q.message_id = c.message_id AND q.claims = c.claims AND q.state = 'consumed' AND q.lease_owner = %(owner)s

-- name: queue_retry
-- Put a message this worker holds back in the queue with a new eta (Retries
-- middleware re-enqueues the same message id; an insert would be a no-op).
UPDATE dramatiq.queue
SET state = 'queued', eta = COALESCE(%(eta)s, clock_timestamp()), message = %(message)s::jsonb,
    lease_owner = NULL, lease_expires_at = NULL, mtime = clock_timestamp()
WHERE message_id = %(id)s AND claims = %(claims)s AND state = 'consumed' AND lease_owner = %(owner)s

-- name: queue_release
-- Give back claimed-but-unstarted messages (worker shutdown), keeping their place.
-- Their job_history rows, written running at claim, go back to queued with them
-- (only for rows this release really gave back; one that did run says so already).
WITH released AS (
    UPDATE dramatiq.queue q
    SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL, mtime = clock_timestamp()
    FROM unnest(%(ids)s::uuid[], %(claims)s::int[]) AS c(message_id, claims)
    WHERE q.message_id = c.message_id AND q.claims = c.claims AND q.state = 'consumed' AND q.lease_owner = %(owner)s
    RETURNING q.message_id
)
UPDATE dramaturg.job_history h
SET status = 'queued', started_at = NULL
FROM released
WHERE h.message_id = released.message_id AND h.status = 'running'

-- name: queue_heartbeat
-- Renew only rows this worker still holds: a row it gave up on (say, a retry
-- that could not be written) must expire and be rescued, not live forever.
-- Each claim is renewed for its own queue's lease.
UPDATE dramatiq.queue q
SET lease_expires_at = clock_timestamp() + make_interval(secs => c.lease)
FROM unnest(%(ids)s::uuid[], %(claims)s::int[], %(leases)s::float8[]) AS c(message_id, claims, lease)
WHERE q.message_id = c.message_id AND q.claims = c.claims AND q.state = 'consumed' AND q.lease_owner = %(owner)s

-- name: queue_rescue_expired
-- Rows whose lease ran out belong to a dead (or stalled) worker: queue them again.
-- A run its row still says running is closed as abandoned in attempt_log (its
-- effect, if it had one, is the idempotent kind a redelivery repeats as a no-op)
-- and queued again; a late outcome from a stalled worker is fenced off by status.
WITH rescued AS (
    UPDATE dramatiq.queue
    SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL, mtime = clock_timestamp()
    WHERE message_id IN (
        SELECT message_id FROM dramatiq.queue
        WHERE state = 'consumed' AND lease_expires_at < clock_timestamp()
        FOR UPDATE SKIP LOCKED
    )
    RETURNING message_id, queue_name
), abandoned AS (
    UPDATE dramaturg.job_history h
    SET status = 'queued',
        attempt_log = coalesce(h.attempt_log, '[]'::jsonb) || jsonb_build_array(jsonb_build_object(
            'attempt', h.attempt, 'status', 'abandoned',
            'error', 'its worker stopped before writing an outcome (lease expired)',
            'started_at', h.started_at, 'finished_at', clock_timestamp(), 'duration_ms', NULL))
    FROM rescued
    WHERE h.message_id = rescued.message_id AND h.status = 'running'
)
SELECT message_id, queue_name FROM rescued

-- name: queue_pending_count
SELECT count(*) FROM dramatiq.queue
WHERE queue_name = ANY(%(queues)s::text[]) AND state IN ('queued', 'consumed')

-- name: queue_prune
DELETE FROM dramatiq.queue
WHERE state IN ('done', 'rejected') AND mtime < %(before)s

-- name: queue_flush
DELETE FROM dramatiq.queue WHERE queue_name = %(queue)s
