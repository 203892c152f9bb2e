-- The recurring-tasks job's queries. Calling module: actors/tasks/recurring.py.

-- name: tasks_due_for_recurrence
SELECT id FROM tasks.tasks
WHERE is_recurring AND completed AND due_date IS NOT NULL AND last_processed_at IS NULL
ORDER BY id

-- name: task_lock
-- The row lock serialises two children for the same parent (a retry racing a
-- re-enqueue, two workers); the second one then sees last_processed_at set.
SELECT id, owner_timezone, due_date, completed, is_recurring, recurrence_type, recurrence_interval,
       anchor_day, last_processed_at
FROM tasks.tasks WHERE id = %(id)s FOR UPDATE

-- name: task_insert_next
-- parent_task_id is unique: even without the lock a second child cannot exist.
INSERT INTO tasks.tasks (owner_id, owner_timezone, title, description, priority, tags, due_date, completed,
                   is_recurring, recurrence_type, recurrence_interval, anchor_day, status, series_id,
                   parent_task_id)
SELECT owner_id, owner_timezone, title, description, priority, tags, %(due)s, false,
       true, recurrence_type, recurrence_interval, %(anchor)s, 'open', coalesce(series_id, id), id
FROM tasks.tasks WHERE id = %(id)s
ON CONFLICT (parent_task_id) DO NOTHING
RETURNING id

-- name: task_reminders_copy
-- Each reminder keeps its distance to the due date: its offset when it has one,
-- else the distance it had to the parent's due date.
INSERT INTO tasks.task_reminders (task_id, user_id, remind_at, offset_minutes, channel)
SELECT %(child)s, user_id,
       CAST(%(due)s AS timestamptz)
         - coalesce(make_interval(mins => offset_minutes), CAST(%(old_due)s AS timestamptz) - remind_at),
       offset_minutes, channel
FROM tasks.task_reminders WHERE task_id = %(parent)s
ORDER BY id

-- name: task_mark_processed
UPDATE tasks.tasks SET last_processed_at = %(now)s WHERE id = %(id)s
