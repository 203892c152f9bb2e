-- What `dramaturg migrate` reads before deciding whether alembic needs to run.
-- Calling module: shared/migration_heads.py. Alembic itself owns the table
-- (version_table_schema in migrations/env.py); these only read it.

-- name: version_table
SELECT to_regclass('dramaturg.alembic_version')

-- name: stored_heads
SELECT version_num FROM dramaturg.alembic_version
