"""The scheduler: periodiq-style cron declarations, fired from a table, deduplicated in Postgres."""
