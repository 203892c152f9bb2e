-- The streak-reminders job's queries. Calling module: actors/challenges/streak_reminders.py.

-- name: streak_reminders_insert
-- For each user with a streak: their zone (NULL or unknown = UTC, so one bad
-- value cannot fail the run for everybody), their local date at this tick,
-- and the instant the reminder time falls on that local date. Users whose
-- reminder instant lies in (since, now] and who have no activity on their
-- local date get one reminder; the unique (user_id, type, dedupe_key = local
-- date) keeps it to one per local day.
WITH zones AS MATERIALIZED (
  SELECT name FROM pg_timezone_names
), zoned AS (
  SELECT u.id, u.current_streak, u.last_activity_date, coalesce(z.name, 'UTC') AS zone
  FROM challenges.challenge_users u
  LEFT JOIN zones z ON z.name = u.timezone
  WHERE u.current_streak > 0
), local AS (
  SELECT id, current_streak, last_activity_date, zone,
         (CAST(%(now)s AS timestamptz) AT TIME ZONE zone)::date AS local_date
  FROM zoned
), due AS (
  SELECT id, current_streak, last_activity_date, local_date,
         (local_date + CAST(%(remind_time)s AS time)) AT TIME ZONE zone AS remind_instant
  FROM local
)
INSERT INTO challenges.notifications (user_id, type, title, body, data, dedupe_key, created_at)
SELECT id, 'streak_reminder', 'Keep your streak going',
       'Your ' || current_streak || '-day streak ends tonight: log an activity today.',
       jsonb_build_object('local_date', local_date, 'current_streak', current_streak),
       local_date::text, %(now)s
FROM due
WHERE remind_instant > %(since)s AND remind_instant <= %(now)s
  AND (last_activity_date IS NULL OR last_activity_date < local_date)
ORDER BY id
ON CONFLICT (user_id, type, dedupe_key) DO NOTHING
