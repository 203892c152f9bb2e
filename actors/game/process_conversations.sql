-- The process-conversations job's queries. Calling module: actors/game/process_conversations.py.

-- name: conversations_idle
SELECT id FROM game.conversations
WHERE status IN ('active', 'idle') AND COALESCE(last_message_at, created_at) <= %(idle_before)s
  AND (CAST(%(after)s AS uuid) IS NULL OR id > CAST(%(after)s AS uuid))
ORDER BY id
LIMIT %(page)s

-- name: conversation_lock
SELECT id, user_id, status, processing_stage, last_message_at, summary, facts
FROM game.conversations WHERE id = %(id)s
FOR UPDATE

-- name: conversation_messages
SELECT role, text FROM game.conversation_messages WHERE conversation_id = %(id)s ORDER BY created_at, id

-- name: conversation_stage_set
UPDATE game.conversations SET processing_stage = %(stage)s, status = %(status)s WHERE id = %(id)s

-- name: conversation_summary_set
UPDATE game.conversations SET summary = %(summary)s WHERE id = %(id)s

-- name: conversation_facts_set
UPDATE game.conversations SET facts = CAST(%(facts)s AS jsonb) WHERE id = %(id)s

-- name: conversation_user_touch
-- Never moves last_interaction_at backwards (a newer conversation may have set it).
UPDATE game.users
SET last_interaction_at = GREATEST(COALESCE(last_interaction_at, %(at)s), %(at)s)
WHERE id = %(user_id)s
RETURNING game_status

-- name: conversation_user_status
SELECT game_status FROM game.users WHERE id = %(user_id)s
