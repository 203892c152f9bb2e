-- The auto-complete-challenges job's queries. Calling module: actors/challenges/auto_complete.py.

-- name: challenges_close_ended
-- A member without a stats row counts as 0 %; no members at all means failed.
-- The UPDATE re-checks status = 'active' under the row lock, so a concurrent
-- run closes each challenge once and only the winner gets it back.
WITH ended AS (
  SELECT c.id, count(m.user_id) AS members, coalesce(avg(coalesce(s.completion_rate, 0)), 0) AS avg_rate
  FROM challenges.challenges c
  LEFT JOIN challenges.challenge_members m ON m.challenge_id = c.id
  LEFT JOIN challenges.challenge_member_stats s ON s.challenge_id = m.challenge_id AND s.user_id = m.user_id
  WHERE c.status = 'active' AND c.end_date < %(run_date)s
  GROUP BY c.id
)
UPDATE challenges.challenges c
SET status = CASE WHEN ended.members > 0 AND ended.avg_rate >= %(threshold)s THEN 'completed' ELSE 'failed' END,
    closed_at = %(now)s
FROM ended
WHERE c.id = ended.id AND c.status = 'active'
RETURNING c.id, c.status, ended.members, ended.avg_rate

-- name: challenge_notifications_insert
-- One notification per member of each challenge closed by this run; the unique
-- (user_id, type, dedupe_key = challenge id) makes a re-run insert nothing.
INSERT INTO challenges.notifications (user_id, type, title, body, data, dedupe_key, created_at)
SELECT m.user_id,
       'challenge_' || c.status,
       CASE c.status WHEN 'completed' THEN 'Challenge completed!' ELSE 'Challenge ended' END,
       'Your challenge "' || c.name || '" has ended: ' || c.status,
       jsonb_build_object('challenge_id', c.id, 'status', c.status),
       c.id::text,
       %(now)s
FROM challenges.challenges c JOIN challenges.challenge_members m ON m.challenge_id = c.id
WHERE c.id = ANY(%(ids)s)
ON CONFLICT (user_id, type, dedupe_key) DO NOTHING
