"""Alembic migrations: one chain owning the broker's queue table, job_history and every domain table."""
