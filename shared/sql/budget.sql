-- The server's connection slots, for the start-up budget check.
-- Calling module: shared/budget.py.

-- name: budget_server_slots
-- reserved_connections exists from PostgreSQL 16 on; current_setting(..., true) is NULL before.
SELECT current_setting('max_connections')::int AS max_connections,
       current_setting('superuser_reserved_connections')::int
         + coalesce(nullif(current_setting('reserved_connections', true), '')::int, 0) AS reserved,
       (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS in_use
