-- The follow-up scheduling API's queries. Calling module: actors/game/responses.py.

-- name: response_user
SELECT chapter, telegram_chat_id FROM game.users WHERE id = %(user_id)s

-- name: response_insert
INSERT INTO game.scheduled_events (user_id, platform, event_type, content, scheduled_at, source_conversation_id,
                              created_at, updated_at)
VALUES (%(user_id)s, 'telegram', 'message_delivery', CAST(%(content)s AS jsonb), %(scheduled_at)s,
        %(source_conversation_id)s, %(now)s, %(now)s)
RETURNING id

-- name: event_cancel
-- Only a pending event can be cancelled: once 'sending', the message may already be out.
UPDATE game.scheduled_events SET status = 'cancelled', updated_at = %(now)s
WHERE id = %(id)s AND status = 'pending'
