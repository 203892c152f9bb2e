-- The daily summary job's queries. Calling module: actors/game/summary.py.

-- name: summary_users_due
-- Players still in the game without a finished summary for the day (keyset-paged on id).
SELECT u.id FROM game.users u
WHERE u.game_status IN ('active', 'boss_fight')
  AND NOT EXISTS (SELECT 1 FROM game.daily_summaries d
                  WHERE d.user_id = u.id AND d.summary_date = %(day)s AND d.text IS NOT NULL)
  AND (CAST(%(after)s AS uuid) IS NULL OR u.id > CAST(%(after)s AS uuid))
ORDER BY u.id
LIMIT %(page)s

-- name: summary_day_stats
-- The day's conversations (any that overlap it) and first/last score of the day;
-- no score change that day → both are the current score.
SELECT u.chapter, u.score,
       (SELECT count(*) FROM game.conversations c
         WHERE c.user_id = u.id AND c.created_at < %(day_end)s
           AND COALESCE(c.last_message_at, c.created_at) >= %(day_start)s) AS conversations_count,
       COALESCE((SELECT h.score_before FROM game.score_history h
                  WHERE h.user_id = u.id AND h.created_at >= %(day_start)s AND h.created_at < %(day_end)s
                  ORDER BY h.created_at, h.id LIMIT 1), u.score) AS score_start,
       COALESCE((SELECT h.score_after FROM game.score_history h
                  WHERE h.user_id = u.id AND h.created_at >= %(day_start)s AND h.created_at < %(day_end)s
                  ORDER BY h.created_at DESC, h.id DESC LIMIT 1), u.score) AS score_end
FROM game.users u WHERE u.id = %(user_id)s

-- name: summary_day_conversations
SELECT summary FROM game.conversations
WHERE user_id = %(user_id)s AND summary IS NOT NULL AND created_at < %(day_end)s
  AND COALESCE(last_message_at, created_at) >= %(day_start)s
ORDER BY created_at
LIMIT 20

-- name: summary_reserve
-- The reservation, committed before the model call: at most one extra call after a crash.
INSERT INTO game.daily_summaries (user_id, summary_date, score_start, score_end, conversations_count, created_at)
VALUES (%(user_id)s, %(day)s, %(score_start)s, %(score_end)s, %(conversations_count)s, %(now)s)
ON CONFLICT (user_id, summary_date) DO NOTHING

-- name: summary_lock
SELECT id, text, score_start, score_end, conversations_count FROM game.daily_summaries
WHERE user_id = %(user_id)s AND summary_date = %(day)s
FOR UPDATE

-- name: summary_fill
UPDATE game.daily_summaries SET text = %(text)s, generated_by = %(generated_by)s
WHERE id = %(id)s AND text IS NULL
