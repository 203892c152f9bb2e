-- The overdue-scan job's queries. Calling module: actors/tasks/overdue.py.

-- name: tasks_mark_overdue
-- Completed tasks are never touched; only open ones past due flip.
UPDATE tasks.tasks SET status = 'overdue'
WHERE NOT completed AND status = 'open' AND due_date < %(now)s
RETURNING id, owner_id, title, due_date

-- name: tasks_reopen
-- A due date moved back into the future (or removed) ends the overdue state.
UPDATE tasks.tasks SET status = 'open'
WHERE NOT completed AND status = 'overdue' AND (due_date IS NULL OR due_date >= %(now)s)
RETURNING id

-- name: overdue_notification_insert
-- The partial unique index (task_id, kind) WHERE kind = 'overdue' keeps it to one per task.
INSERT INTO tasks.web_notifications (user_id, task_id, kind, title, body, created_at)
VALUES (%(user_id)s, %(task_id)s, 'overdue', %(title)s, %(body)s, %(now)s)
ON CONFLICT (task_id, kind) WHERE kind = 'overdue' DO NOTHING
