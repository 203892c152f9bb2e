-- Failure-alert rate limiting, shared by every worker process.
-- Calling module: shared/middleware/alerts.py.

-- name: alert_claim
-- Returns (send, suppressed): send is true when no alert for this job went out
-- within the interval; otherwise the suppressed count grows.
INSERT INTO alert_state AS a (job_name, last_sent_at, suppressed)
VALUES (%(job)s, %(now)s, 0)
ON CONFLICT (job_name) DO UPDATE
SET last_sent_at = CASE WHEN a.last_sent_at IS NULL OR a.last_sent_at <= %(now)s - make_interval(secs => %(interval)s)
                        THEN %(now)s ELSE a.last_sent_at END,
    suppressed = CASE WHEN a.last_sent_at IS NULL OR a.last_sent_at <= %(now)s - make_interval(secs => %(interval)s)
                      THEN 0 ELSE a.suppressed + 1 END
RETURNING last_sent_at = %(now)s AS send,
          (SELECT suppressed FROM alert_state WHERE job_name = %(job)s) AS suppressed_before
