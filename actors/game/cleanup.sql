-- The cleanup job's queries. Calling module: actors/game/cleanup.py.

-- name: cleanup_stale_events
UPDATE game.scheduled_events
SET status = 'failed', error_message = 'stale', updated_at = %(now)s
WHERE status = 'pending' AND scheduled_at < %(cutoff)s

-- name: cleanup_expired_registrations
DELETE FROM game.registrations WHERE expires_at <= %(now)s
