-- sync-analytics: the account's posts, their current metrics, and the learnings derived from them.
-- Calling module: actors/content/analytics.py.

-- name: account_posts
SELECT id, external_id FROM content.posts WHERE account_id = %(account)s ORDER BY id

-- name: post_analytics_upsert
-- One current row per post: a rerun updates it, never adds another.
INSERT INTO content.post_analytics (post_id, impressions, likes, comments, shares, metrics, collected_at)
VALUES (%(post)s, %(impressions)s, %(likes)s, %(comments)s, %(shares)s, CAST(%(metrics)s AS jsonb), %(now)s)
ON CONFLICT (post_id) DO UPDATE
SET impressions = EXCLUDED.impressions, likes = EXCLUDED.likes, comments = EXCLUDED.comments,
    shares = EXCLUDED.shares, metrics = EXCLUDED.metrics, collected_at = EXCLUDED.collected_at

-- name: learnings_upsert
-- The organization's learnings from every post with metrics (engagement = likes + 2·comments + 3·shares):
-- best_platform and best_hour (UTC) by mean engagement per post, top_topics the 3 best topics; ties
-- go to the smaller name or hour, so the same metrics always give the same learnings.
WITH scored AS (
    SELECT a.platform, p.topic, extract(hour FROM p.published_at AT TIME ZONE 'UTC')::int AS hour,
           (pa.likes + 2 * pa.comments + 3 * pa.shares)::numeric AS engagement
    FROM content.posts p
    JOIN content.social_accounts a ON a.id = p.account_id
    JOIN content.post_analytics pa ON pa.post_id = p.id
    WHERE a.org_id = %(org)s
),
best_platform AS (
    SELECT jsonb_build_object('platform', platform, 'mean_engagement', round(avg(engagement), 2), 'posts', count(*)) AS value
    FROM scored GROUP BY platform ORDER BY avg(engagement) DESC, platform LIMIT 1
),
best_hour AS (
    SELECT jsonb_build_object('hour_utc', hour, 'mean_engagement', round(avg(engagement), 2), 'posts', count(*)) AS value
    FROM scored GROUP BY hour ORDER BY avg(engagement) DESC, hour LIMIT 1
),
top_topics AS (
    SELECT coalesce(jsonb_agg(jsonb_build_object('topic', topic, 'mean_engagement', mean) ORDER BY mean DESC, topic), '[]'::jsonb) AS value
    FROM (SELECT topic, round(avg(engagement), 2) AS mean FROM scored WHERE topic IS NOT NULL
          GROUP BY topic ORDER BY avg(engagement) DESC, topic LIMIT 3) t
),
learned AS (
    SELECT 'best_platform' AS kind, value FROM best_platform
    UNION ALL SELECT 'best_hour', value FROM best_hour
    UNION ALL SELECT 'top_topics', value FROM top_topics WHERE EXISTS (SELECT 1 FROM scored)
)
INSERT INTO content.brand_learnings (org_id, kind, value, computed_at)
SELECT %(org)s, kind, value, %(now)s FROM learned
ON CONFLICT (org_id, kind) DO UPDATE SET value = EXCLUDED.value, computed_at = EXCLUDED.computed_at
RETURNING kind
