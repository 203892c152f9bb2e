-- API keys of the web dyno (dramaturg.api_keys): only a SHA-256 of each token is stored.
-- Calling module: shared/api_keys.py.

-- name: api_key_insert
INSERT INTO dramaturg.api_keys (prefix, token_sha256, scope, org_id, name, created_at)
VALUES (%(prefix)s, %(sha)s, %(scope)s, %(org_id)s, %(name)s, %(now)s)
RETURNING id

-- name: api_key_by_hash
SELECT id, prefix, scope, org_id, name, created_at
FROM dramaturg.api_keys
WHERE token_sha256 = %(sha)s AND revoked_at IS NULL

-- name: api_key_any_active
SELECT EXISTS (SELECT 1 FROM dramaturg.api_keys WHERE revoked_at IS NULL)

-- name: api_key_revoke
-- By its visible prefix (with or without the "dk_" start) or its numeric id.
UPDATE dramaturg.api_keys
SET revoked_at = %(now)s
WHERE (prefix = %(ref)s OR id::text = %(ref)s) AND revoked_at IS NULL
RETURNING id, prefix, scope, org_id

-- name: api_key_list
SELECT id, prefix, scope, org_id, name, created_at, revoked_at
FROM dramaturg.api_keys
ORDER BY id
