-- The refresh-stats job's queries. Calling module: actors/challenges/refresh_stats.py.

-- name: challenge_stats_refresh
-- CONCURRENTLY takes only an EXCLUSIVE lock, so readers keep reading the old
-- contents while it runs; it needs the unique index challenge_stats_challenge_id_key.
REFRESH MATERIALIZED VIEW CONCURRENTLY challenges.challenge_stats

-- name: challenge_stats_count
SELECT count(*) FROM challenges.challenge_stats
