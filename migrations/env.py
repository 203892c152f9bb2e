"""Alembic environment: the URL comes from the caller (``dramaturg migrate``) or the settings."""

from alembic import context

from shared.tables import metadata

config = context.config


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from shared.runtime import database_url
    from shared.settings import load_settings

    return database_url(load_settings())


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from shared.db import make_engine

    engine = make_engine(_url(), pool_size=1)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_schemas=True,
        compare_type=True,
        # One advisory lock around the whole upgrade: two releases migrating at
        # once (two dynos, or `up` racing `migrate`) then apply each step once.
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        connection.exec_driver_sql("select pg_advisory_xact_lock(hashtext('dramaturg.migrate'))")
        context.run_migrations()


run_migrations_online()
