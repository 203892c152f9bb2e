-- generate-image. Calling module: actors/content/image.py.

-- name: item_get
SELECT id, platform, body, image_url FROM content.content_items WHERE id = %(id)s

-- name: item_image_set
UPDATE content.content_items SET image_url = %(url)s, updated_at = %(now)s WHERE id = %(id)s AND image_url IS NULL
