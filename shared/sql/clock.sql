-- The clock guard's reads and writes. Calling module: shared/clock_guard.py.
-- Here the database's own clock (clock_timestamp()) is the point: it is the
-- one clock every process shares, the reference the others are checked against.

-- name: clock_read
-- The database's clock, whether the database is marked as simulated, and (when
-- the mark carries a timeline) that timeline's instant read off the same clock.
WITH t AS (SELECT clock_timestamp() AS db_at)
SELECT t.db_at,
       s.id IS NOT NULL AS simulated,
       s.start_at + (t.db_at - s.anchor_at) * s.rate AS timeline_at
FROM t LEFT JOIN dramaturg.clock_simulation s ON true

-- name: clock_simulation_mark
INSERT INTO dramaturg.clock_simulation (id, start_at, anchor_at, rate, note, marked_at)
VALUES (true, %(start)s, %(anchor)s, %(rate)s, %(note)s, clock_timestamp())
ON CONFLICT (id) DO UPDATE
SET start_at = EXCLUDED.start_at, anchor_at = EXCLUDED.anchor_at, rate = EXCLUDED.rate,
    note = EXCLUDED.note, marked_at = EXCLUDED.marked_at

-- name: clock_simulation_clear
DELETE FROM dramaturg.clock_simulation

-- name: clock_check_record
-- checked_at is the database's time: it says how recently the process was seen.
INSERT INTO dramaturg.clock_checks (process, role, state, clock_at, reference_at, skew_seconds, detail, checked_at)
VALUES (%(process)s, %(role)s, %(state)s, %(clock_at)s, %(reference_at)s, %(skew)s, %(detail)s, clock_timestamp())
ON CONFLICT (process) DO UPDATE
SET role = EXCLUDED.role, state = EXCLUDED.state, clock_at = EXCLUDED.clock_at,
    reference_at = EXCLUDED.reference_at, skew_seconds = EXCLUDED.skew_seconds,
    detail = EXCLUDED.detail, checked_at = EXCLUDED.checked_at

-- name: clock_check_prune
-- Restarted processes leave rows behind; a day of them is plenty for status.
DELETE FROM dramaturg.clock_checks WHERE checked_at < clock_timestamp() - interval '1 day'

-- name: clock_checks_recent
SELECT process, role, state, clock_at, reference_at, skew_seconds, detail, checked_at
FROM dramaturg.clock_checks
WHERE checked_at > clock_timestamp() - make_interval(secs => %(within)s)
ORDER BY role, process
