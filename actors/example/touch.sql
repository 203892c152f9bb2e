-- The example job's queries. Calling module: actors/example/touch.py.

-- name: example_items_active
SELECT id FROM example.example_items WHERE status = 'active' ORDER BY id

-- name: example_item_lock
SELECT id, fail_first FROM example.example_items WHERE id = %(id)s FOR UPDATE

-- name: example_touch_mark
INSERT INTO example.example_touches (item_id, period, touched_at) VALUES (%(id)s, %(period)s, %(now)s)
ON CONFLICT DO NOTHING

-- name: example_item_touch
UPDATE example.example_items SET touches = touches + 1, last_touched_at = %(now)s WHERE id = %(id)s

-- name: example_item_fail
UPDATE example.example_items SET status = 'failed', error = %(error)s WHERE id = %(id)s
