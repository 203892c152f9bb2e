-- content-generate: the brand, its request, one item per platform. Calling module: actors/content/generate.py.

-- name: brand_get
SELECT id, org_id, name, voice, tone, target_platforms FROM content.brands WHERE id = %(id)s

-- name: request_get
SELECT r.id, r.brand_id, r.topic FROM content.content_requests r WHERE r.id = %(id)s

-- name: request_for_run
-- A request created by this run; a retry of the same run finds it again instead of adding one.
INSERT INTO content.content_requests (brand_id, topic, status, run_id, created_at, updated_at)
VALUES (%(brand)s, %(topic)s, 'pending', %(run)s, %(now)s, %(now)s)
ON CONFLICT (run_id) DO UPDATE SET updated_at = EXCLUDED.updated_at
RETURNING id

-- name: request_generated
UPDATE content.content_requests SET status = 'generated', error = NULL, updated_at = %(now)s WHERE id = %(id)s

-- name: request_failed_by_id
UPDATE content.content_requests SET status = 'failed', error = %(error)s, updated_at = %(now)s WHERE id = %(id)s

-- name: item_upsert
-- One item per (request, platform): a retried run rewrites it instead of adding one.
INSERT INTO content.content_items (request_id, platform, body, generator, created_at, updated_at)
VALUES (%(request)s, %(platform)s, %(body)s, %(generator)s, %(now)s, %(now)s)
ON CONFLICT (request_id, platform) DO UPDATE
SET body = EXCLUDED.body, generator = EXCLUDED.generator, updated_at = EXCLUDED.updated_at
RETURNING id
