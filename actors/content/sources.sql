-- Context sources and their items: lookup, health, stored items. Calling module: actors/content/sources.py.

-- name: source_get
SELECT id, org_id, url, kind, status, consecutive_failures, etag, last_modified
FROM content.context_sources WHERE id = %(id)s

-- name: source_succeeded
-- One success resets the count and the status; the feed's validators are kept when none came back.
UPDATE content.context_sources
SET status = 'healthy', consecutive_failures = 0, last_error = NULL, last_scraped_at = %(now)s,
    etag = coalesce(%(etag)s, etag), last_modified = coalesce(%(last_modified)s, last_modified)
WHERE id = %(id)s

-- name: source_failed
-- A run that failed for good (after its last retry, or at once): one more in a row; at the threshold, unhealthy.
UPDATE content.context_sources
SET consecutive_failures = consecutive_failures + 1,
    status = CASE WHEN consecutive_failures + 1 >= %(threshold)s THEN 'unhealthy' ELSE status END,
    last_error = %(error)s
WHERE id = %(id)s

-- name: context_item_upsert
-- Unchanged content (same hash) writes nothing and returns no row; xmax = 0 tells an insert from an update.
INSERT INTO content.context_items (source_id, key, url, title, body, content_hash, fetched_at)
VALUES (%(source_id)s, %(key)s, %(url)s, %(title)s, %(body)s, %(hash)s, %(now)s)
ON CONFLICT (source_id, key) DO UPDATE
SET url = EXCLUDED.url, title = EXCLUDED.title, body = EXCLUDED.body,
    content_hash = EXCLUDED.content_hash, fetched_at = EXCLUDED.fetched_at
WHERE context_items.content_hash <> EXCLUDED.content_hash
RETURNING id, (xmax = 0) AS created

-- name: sources_due
-- The scheduled scrape: healthy sources of one kind, keyset-paged by id (unhealthy ones wait for a manual run).
SELECT id FROM content.context_sources
WHERE kind = %(kind)s AND status = 'healthy' AND (CAST(%(after)s AS bigint) IS NULL OR id > CAST(%(after)s AS bigint))
ORDER BY id
LIMIT %(page)s
