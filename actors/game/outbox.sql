-- The scheduled_events outbox transitions. Calling module: actors/game/outbox.py.

-- name: deliver_event_lock
SELECT e.id, e.platform, e.content, e.status, e.retry_count, u.game_status, u.telegram_chat_id, u.phone
FROM game.scheduled_events e JOIN game.users u ON u.id = e.user_id
WHERE e.id = %(id)s
FOR UPDATE OF e

-- name: deliver_event_set
-- Moves an event to a new state; %(expect)s guards the transition so a stale writer changes nothing.
UPDATE game.scheduled_events
SET status = %(status)s, error_message = %(error)s, updated_at = %(now)s
WHERE id = %(id)s AND status = %(expect)s

-- name: deliver_event_delivered
UPDATE game.scheduled_events
SET status = 'delivered', delivered_at = %(now)s, error_message = NULL, updated_at = %(now)s
WHERE id = %(id)s AND status = 'sending'

-- name: deliver_event_retry
-- Back to pending for the platform's retry; scheduled_at moves to the retry's time so the
-- per-minute claim does not keep picking an event that is waiting out its backoff.
UPDATE game.scheduled_events
SET status = 'pending', retry_count = retry_count + 1, error_message = %(error)s,
    scheduled_at = %(retry_at)s, updated_at = %(now)s
WHERE id = %(id)s AND status = 'sending'

-- name: deliver_event_exhausted
-- The message failed for good: a pending event failed; one left 'sending' may have gone out.
UPDATE game.scheduled_events
SET status = CASE WHEN status = 'sending' THEN 'unknown' ELSE 'failed' END,
    error_message = %(error)s, updated_at = %(now)s
WHERE id = %(id)s AND status IN ('pending', 'sending')
