-- The decay job's queries. Calling module: actors/game/decay.py.

-- name: decay_users_eligible
-- Active users with at least one whole overdue hour not yet charged at %(as_of)s,
-- a page at a time (keyset on id). grace_hours[chapter] is the chapter's grace.
SELECT u.id
FROM game.users u
WHERE u.game_status = 'active'
  AND COALESCE(u.last_interaction_at, u.created_at)
      + make_interval(secs => ((CAST(%(grace_hours)s AS float8[]))[u.chapter] + 1) * 3600) <= %(as_of)s
  AND NOT EXISTS (SELECT 1 FROM game.score_history h
                  WHERE h.user_id = u.id AND h.event_type = 'decay'
                    AND h.decay_hour > %(as_of)s - interval '1 hour')
  AND (CAST(%(after)s AS uuid) IS NULL OR u.id > CAST(%(after)s AS uuid))
ORDER BY u.id
LIMIT %(page)s

-- name: decay_user_lock
SELECT id, chapter, score, game_status, COALESCE(last_interaction_at, created_at) AS base
FROM game.users WHERE id = %(user_id)s
FOR UPDATE

-- name: decay_watermark
SELECT max(decay_hour) FROM game.score_history WHERE user_id = %(user_id)s AND event_type = 'decay'

-- name: decay_history_insert
-- The partial unique index (user_id, decay_hour) WHERE event_type = 'decay' is the
-- idempotency key: a second run for the same watermark inserts nothing.
INSERT INTO game.score_history (user_id, score_before, score_after, delta, event_type, details, decay_hour, created_at)
VALUES (%(user_id)s, %(score_before)s, %(score_after)s, %(delta)s, 'decay', CAST(%(details)s AS jsonb),
        %(decay_hour)s, %(now)s)
ON CONFLICT (user_id, decay_hour) WHERE event_type = 'decay' DO NOTHING
RETURNING id

-- name: decay_game_over_insert
INSERT INTO game.score_history (user_id, score_before, score_after, delta, event_type, details, created_at)
VALUES (%(user_id)s, %(score)s, %(score)s, 0, 'decay_game_over', CAST(%(details)s AS jsonb), %(now)s)

-- name: decay_user_update
UPDATE game.users
SET score = %(score)s,
    game_status = CASE WHEN %(game_over)s THEN 'game_over' ELSE game_status END
WHERE id = %(user_id)s
