-- Process heartbeats (dramaturg.processes): workers and schedulers re-write their row every few seconds.
-- Calling module: shared/heartbeats.py. Times are the database's real clock
-- (clock_timestamp()), never the business clock: they measure whether a
-- process is alive, like the broker's leases.

-- name: heartbeat_upsert
INSERT INTO dramaturg.processes (id, kind, host, pid, started_at, beat_at, threads_alive, threads_total, stats)
VALUES (%(id)s, %(kind)s, %(host)s, %(pid)s, clock_timestamp(), clock_timestamp(), %(alive)s, %(total)s, %(stats)s)
ON CONFLICT (id) DO UPDATE
SET beat_at = clock_timestamp(), threads_alive = EXCLUDED.threads_alive,
    threads_total = EXCLUDED.threads_total, stats = EXCLUDED.stats

-- name: heartbeat_delete
DELETE FROM dramaturg.processes WHERE id = %(id)s

-- name: heartbeat_prune
-- Rows of processes gone for longer than %(keep)s seconds (killed without a clean stop).
DELETE FROM dramaturg.processes WHERE beat_at < clock_timestamp() - make_interval(secs => %(keep)s)

-- name: processes_recent
SELECT id, kind, host, pid, started_at, beat_at, threads_alive, threads_total, stats,
       extract(epoch FROM clock_timestamp() - beat_at)::float8 AS age_s
FROM dramaturg.processes
WHERE beat_at > clock_timestamp() - make_interval(secs => %(window)s)
ORDER BY kind, started_at
