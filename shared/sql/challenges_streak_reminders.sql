-- The streak-reminders job's queries. Calling module: actors/challenges/streak_reminders.py.

-- name: streak_reminders_insert
-- For each user: the local date at this tick in their zone (NULL zone = UTC),
-- and the instant the reminder time falls on that local date. Users whose
-- reminder instant lies in (since, now] and whose streak is at risk (active
-- streak, no activity yet today) get one reminder; the unique
-- (user_id, type, dedupe_key = local date) keeps it to one per local day.
WITH local AS (
  SELECT u.id, u.current_streak, u.last_activity_date, z.zone,
         (CAST(%(now)s AS timestamptz) AT TIME ZONE z.zone)::date AS local_date
  FROM challenge_users u
  CROSS JOIN LATERAL (SELECT coalesce(u.timezone, 'UTC') AS zone) z
  WHERE u.current_streak > 0
), due AS (
  SELECT id, current_streak, last_activity_date, local_date,
         (local_date + CAST(%(remind_time)s AS time)) AT TIME ZONE zone AS remind_instant
  FROM local
)
INSERT INTO notifications (user_id, type, title, body, data, dedupe_key, created_at)
SELECT id, 'streak_reminder', 'Keep your streak going',
       'Your ' || current_streak || '-day streak ends tonight: log an activity today.',
       jsonb_build_object('local_date', local_date, 'current_streak', current_streak),
       local_date::text, %(now)s
FROM due
WHERE remind_instant > %(since)s AND remind_instant <= %(now)s
  AND (last_activity_date IS NULL OR last_activity_date < local_date)
ORDER BY id
ON CONFLICT (user_id, type, dedupe_key) DO NOTHING
