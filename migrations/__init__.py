"""Alembic migrations: the platform's branch (``platform``: the queue, job_history, the scheduler's state) in
``versions/``; each seed domain's own branch lives beside its code, in ``actors/<domain>/migrations/``."""
