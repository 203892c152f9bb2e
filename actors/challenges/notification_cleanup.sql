-- The notification-cleanup job's queries. Calling module: actors/challenges/notification_cleanup.py.

-- name: notifications_delete_expired
-- Strictly older than the cutoff: a notification exactly the retention old is kept.
DELETE FROM challenges.notifications WHERE created_at < %(before)s

-- name: web_notifications_delete_expired
DELETE FROM tasks.web_notifications WHERE created_at < %(before)s
