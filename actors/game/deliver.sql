-- The deliver job's claim. Calling module: actors/game/deliver.py.

-- name: deliver_claim_due
-- Oldest due first; SKIP LOCKED lets an overlapping tick take the next events instead of waiting.
SELECT id FROM game.scheduled_events
WHERE status = 'pending' AND scheduled_at <= %(now)s
ORDER BY scheduled_at, id
LIMIT %(limit)s
FOR UPDATE SKIP LOCKED
