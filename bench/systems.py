"""The brokers under comparison, each built on its own fresh database (or Redis db), with one no-op actor.

Used by the parent (to enqueue) and by the worker subprocess (to consume):
both call :func:`build` with the same system name and URL, so the actor,
its queue and the middleware are identical everywhere. Middleware is
Dramatiq's default list without Prometheus (it opens a port) and without
stock dramatiq-pg's Results, so every broker does the same work per message.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import dramatiq
import psycopg2
from dramatiq.middleware import AgeLimit, Callbacks, Pipelines, Retries, ShutdownNotifications, TimeLimit

ROOT = Path(__file__).resolve().parent.parent
STOCK_SCHEMA = ROOT / "migrations" / "sql" / "dramatiq_pg_schema.sql"
QUEUE = "bench"
FOREIGN = ("pgqueuer", "procrastinate")
PG_SYSTEMS = ("stock", "dramaturg") + FOREIGN
REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_reachable() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:
        return False


def middleware() -> list:
    return [AgeLimit(), TimeLimit(), ShutdownNotifications(), Callbacks(), Pipelines(), Retries(max_retries=0)]


def admin(server: str):
    conn = psycopg2.connect(server)
    conn.autocommit = True
    return conn


def create_database(server: str, system: str) -> str:
    """A fresh database with the system's schema; returns its URL."""
    name = f"bench_{system}_{uuid.uuid4().hex[:8]}"
    if system == "redis":
        return f"{REDIS_URL}#{name}"
    scalar(server, f'CREATE DATABASE "{name}"')
    url = server.rsplit("/", 1)[0] + "/" + name
    if system == "stock":
        scalar(url, STOCK_SCHEMA.read_text())
    elif system in FOREIGN:
        from bench.foreign import install_schema

        install_schema(system, url)
    else:
        from shared.migrate import upgrade

        upgrade(url)
    return url


def drop_database(server: str, url: str) -> None:
    if url.startswith("redis://"):
        import redis

        base, _, namespace = url.partition("#")
        client = redis.Redis.from_url(base)
        for key in client.scan_iter(f"{namespace}:*"):
            client.delete(key)
        return
    name = url.rsplit("/", 1)[1]
    conn = admin(server)
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def build(system: str, url: str, *, threads: int = 8, lease: float = 30.0):
    """The broker for ``system`` bound to ``url``, and its no-op actor (set as Dramatiq's global broker)."""
    if system == "stock":
        from dramatiq_pg import PostgresBroker

        broker = PostgresBroker(url=url, results=False, middleware=middleware())
    elif system == "dramaturg":
        from shared.clock import SystemClock
        from shared.db import make_engine
        from shared.postgres_broker import PostgresBroker
        from shared.settings import load_settings

        settings = load_settings(
            {"DATABASE_URL": url, "DRAMATURG_LEASE_SECONDS": str(lease), "DRAMATURG_WORKER_THREADS": str(threads)}
        )
        broker = PostgresBroker(middleware=middleware())
        broker.bind(engine=make_engine(url, pool_size=threads + 4), clock=SystemClock(), settings=settings)
    elif system == "redis":
        from dramatiq.brokers.redis import RedisBroker

        # "redis://host:port/db#namespace": a fresh namespace per run stands for a fresh database
        base, _, namespace = url.partition("#")
        broker = RedisBroker(url=base, namespace=namespace or "dramatiq", middleware=middleware())
    else:
        raise ValueError(f"unknown system {system!r}")
    broker._bench_url = url
    dramatiq.set_broker(broker)
    actor = dramatiq.actor(_noop, actor_name="bench.noop", queue_name=QUEUE, broker=broker, max_retries=0)
    return broker, actor


def _noop(n: int) -> None:
    """The measured job: nothing, so the figures are the broker's own cost."""


def bulk_insert_stock(url: str, messages) -> None:
    """Prefill stock dramatiq-pg's table with rows exactly as its enqueue writes them (untimed setup)."""
    from psycopg2.extras import Json, execute_values

    conn = admin(url)
    with conn.cursor() as cur:
        execute_values(
            cur,
            "INSERT INTO dramatiq.queue (queue_name, message_id, state, message) VALUES %s",
            [(m.queue_name, m.message_id, "queued", Json(m.asdict())) for m in messages],
            page_size=5000,
        )
    conn.close()


def prefill(system: str, broker, messages) -> None:
    """Put a backlog in place the fastest way each system allows (setup, never timed)."""
    if system == "stock":
        bulk_insert_stock(broker_url(broker), messages)
    elif system == "dramaturg":
        for i in range(0, len(messages), 10_000):
            broker.enqueue_many(messages[i : i + 10_000])
    else:
        for m in messages:
            broker.enqueue(m)


def broker_url(broker) -> str:
    return broker._bench_url


def scalar(url: str, sql: str, params=None):
    conn = admin(url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchone()[0] if cur.description else None
    finally:
        conn.close()


def pending(system: str, url: str) -> int:
    """Messages queued or in flight."""
    if system == "redis":
        import redis

        base, _, namespace = url.partition("#")
        return redis.Redis.from_url(base).hlen(f"{namespace}:{QUEUE}.msgs")
    if system == "pgqueuer":
        return scalar(url, "SELECT count(*) FROM pgqueuer WHERE status IN ('queued', 'picked')")
    if system == "procrastinate":
        return scalar(url, "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')")
    return scalar(url, "SELECT count(*) FROM dramatiq.queue WHERE state IN ('queued', 'consumed')")


def advisory_locks(url: str) -> int:
    return scalar(
        url,
        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
        "WHERE l.locktype = 'advisory' AND d.datname = current_database()",
    )
