-- publish-content's outbox on content_items. Calling module: actors/content/publish.py.

-- name: item_lock
SELECT i.id, i.platform, i.body, i.image_url, i.publish_status, r.topic
FROM content.content_items i JOIN content.content_requests r ON r.id = i.request_id
WHERE i.id = %(id)s
FOR UPDATE OF i

-- name: item_publish_set
-- %(expect)s guards the transition, so a stale writer changes nothing.
UPDATE content.content_items
SET publish_status = %(status)s, publish_error = %(error)s, updated_at = %(now)s
WHERE id = %(id)s AND publish_status = %(expect)s

-- name: item_delivered
UPDATE content.content_items
SET publish_status = 'delivered', external_id = %(external_id)s, publish_error = NULL, updated_at = %(now)s
WHERE id = %(id)s AND publish_status = 'sending'

-- name: post_insert
INSERT INTO content.posts (account_id, content_item_id, external_id, topic, published_at)
VALUES (%(account)s, %(item)s, %(external_id)s, %(topic)s, %(now)s)
ON CONFLICT (account_id, external_id) DO NOTHING

-- name: item_publish_exhausted
-- The message failed for good: a pending item failed; one left 'sending' may have been published.
UPDATE content.content_items
SET publish_status = CASE WHEN publish_status = 'sending' THEN 'unknown' ELSE 'failed' END,
    publish_error = %(error)s, updated_at = %(now)s
WHERE id = %(id)s AND publish_status IN ('pending', 'sending')
