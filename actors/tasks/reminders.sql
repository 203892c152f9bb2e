-- The reminders job's queries. Calling module: actors/tasks/reminders.py.

-- name: reminders_due
SELECT id FROM tasks.task_reminders
WHERE status = 'pending' AND NOT sent AND remind_at <= %(now)s
ORDER BY remind_at, id

-- name: reminder_lock
SELECT r.id, r.task_id, r.user_id, r.remind_at, r.channel, r.status, t.title, t.due_date
FROM tasks.task_reminders r JOIN tasks.tasks t ON t.id = r.task_id
WHERE r.id = %(id)s
FOR UPDATE OF r

-- name: delivery_exists
SELECT EXISTS (SELECT 1 FROM tasks.task_reminder_deliveries WHERE reminder_id = %(id)s AND channel = %(channel)s)

-- name: delivery_mark
-- The per-channel marker: written in the transaction that delivers (web) or
-- right after the POST succeeded (chat), so a channel is never sent twice.
INSERT INTO tasks.task_reminder_deliveries (reminder_id, channel, delivered_at)
VALUES (%(id)s, %(channel)s, %(now)s)
ON CONFLICT DO NOTHING
RETURNING reminder_id

-- name: web_notification_insert
INSERT INTO tasks.web_notifications (user_id, task_id, kind, title, body, created_at)
VALUES (%(user_id)s, %(task_id)s, 'reminder', %(title)s, %(body)s, %(now)s)

-- name: reminder_mark_sent
UPDATE tasks.task_reminders SET sent = true, sent_at = %(now)s, status = 'sent', error = NULL
WHERE id = %(id)s

-- name: reminder_mark_failed
UPDATE tasks.task_reminders SET status = 'failed', error = %(error)s
WHERE id = %(id)s AND status = 'pending'
