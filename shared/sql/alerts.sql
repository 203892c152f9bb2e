-- Failure-alert rate limiting, shared by every worker process.
-- Calling module: shared/middleware/alerts.py. The row lock serialises
-- concurrent failures of one job, so exactly one of them sends.

-- name: alert_state_ensure
INSERT INTO dramaturg.alert_state (job_name, last_sent_at, suppressed) VALUES (%(job)s, NULL, 0)
ON CONFLICT (job_name) DO NOTHING

-- name: alert_state_lock
SELECT last_sent_at, suppressed FROM dramaturg.alert_state WHERE job_name = %(job)s FOR UPDATE

-- name: alert_state_sent
UPDATE dramaturg.alert_state SET last_sent_at = %(now)s, suppressed = 0 WHERE job_name = %(job)s

-- name: alert_state_suppress
UPDATE dramaturg.alert_state SET suppressed = suppressed + 1 WHERE job_name = %(job)s
