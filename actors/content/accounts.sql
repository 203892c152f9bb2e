-- Social accounts and their tokens. Calling modules: actors/content/analytics.py, actors/content/refresh.py,
-- actors/content/publish.py (through actors/content/accounts.py).

-- name: account_get
SELECT id, org_id, platform, handle, access_token, refresh_token, expires_at, status
FROM content.social_accounts WHERE id = %(id)s

-- name: account_needs_reauth
UPDATE content.social_accounts SET status = 'needs_reauth', last_error = %(error)s WHERE id = %(id)s

-- name: account_tokens_set
UPDATE content.social_accounts
SET access_token = %(access)s, refresh_token = coalesce(%(refresh)s, refresh_token), expires_at = %(expires_at)s,
    last_error = NULL
WHERE id = %(id)s

-- name: account_synced
UPDATE content.social_accounts SET last_synced_at = %(now)s, last_error = NULL WHERE id = %(id)s

-- name: accounts_active
-- The analytics fan-out: active accounts only (one that needs re-authorisation is not synced).
SELECT id FROM content.social_accounts
WHERE status = 'active' AND (CAST(%(after)s AS bigint) IS NULL OR id > CAST(%(after)s AS bigint))
ORDER BY id
LIMIT %(page)s

-- name: accounts_expiring
-- The refresh fan-out: active accounts with a refresh token whose access token expires within the window.
SELECT id FROM content.social_accounts
WHERE status = 'active' AND refresh_token IS NOT NULL AND expires_at < %(until)s
  AND (CAST(%(after)s AS bigint) IS NULL OR id > CAST(%(after)s AS bigint))
ORDER BY id
LIMIT %(page)s
