"""Adapters for the non-Dramatiq systems (optional ``bench`` extras): pgqueuer and procrastinate.

Each gets its own fresh database with its own schema, the same no-op job
taking one int (an ``async def``, their native and fastest form), and its
fastest enqueue: pgqueuer's list ``enqueue`` and procrastinate's
``batch_defer`` for batches, their single-job call otherwise. The worker
side (:func:`run_worker`) runs inside ``bench.worker`` and reports through
the same stats callback as the Dramatiq workers.
"""

from __future__ import annotations

import asyncio
import json

FOREIGN = ("pgqueuer", "procrastinate")
ENTRYPOINT = "bench_noop"


def available(system: str) -> str | None:
    """None when ``system`` can run here, else why not (shown in RESULTS.md)."""
    try:
        __import__(system)
        __import__("psycopg")
    except ImportError as exc:
        return f"not installed ({exc.name}); `pip install -e .[bench]`"
    return None


def install_schema(system: str, url: str) -> None:
    if system == "pgqueuer":
        asyncio.run(_pgqueuer_install(url))
    else:
        app = _procrastinate_app(url)
        with app.open():
            app.schema_manager.apply_schema()


async def _pgqueuer_install(url: str) -> None:
    import psycopg
    from pgqueuer.db import PsycopgDriver
    from pgqueuer.queries import Queries

    conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
    try:
        await Queries(PsycopgDriver(conn)).install()
    finally:
        await conn.close()


def _procrastinate_app(url: str, on_job=None):
    import procrastinate

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))

    @app.task(name=ENTRYPOINT, queue="bench")
    async def noop(n: int) -> None:  # the measured job: nothing (the worker counts it)
        if on_job is not None:
            on_job(n)

    return app


class Client:
    """The producer side: ``send(n)`` one job, ``send_many(ns)`` a batch, ``close()``."""

    def __init__(self, system: str, url: str) -> None:
        self.system = system
        if system == "pgqueuer":
            import psycopg
            from pgqueuer.db import SyncPsycopgDriver
            from pgqueuer.queries import SyncQueries

            self.conn = psycopg.connect(url, autocommit=True)
            self.queries = SyncQueries(SyncPsycopgDriver(self.conn))
        else:
            self.app = _procrastinate_app(url)
            self.app.open()
            self.task = self.app.tasks[ENTRYPOINT]

    def send(self, n: int) -> None:
        if self.system == "pgqueuer":
            self.queries.enqueue(ENTRYPOINT, json.dumps(n).encode())
        else:
            self.task.defer(n=n)

    def send_many(self, ns) -> None:
        if self.system == "pgqueuer":
            self.queries.enqueue([ENTRYPOINT] * len(ns), [json.dumps(n).encode() for n in ns], [0] * len(ns))
        else:
            self.task.batch_defer(*({"n": n} for n in ns))

    def close(self) -> None:
        if self.system == "pgqueuer":
            self.conn.close()
        else:
            self.app.close()


def run_worker(system: str, url: str, threads: int, on_job, stop) -> None:
    """Run the system's own worker with ``threads`` concurrent jobs until ``stop`` (a threading.Event) is set."""
    asyncio.run(
        _pgqueuer_worker(url, threads, on_job, stop)
        if system == "pgqueuer"
        else _procrastinate_worker(url, threads, on_job, stop)
    )


async def _until(stop) -> None:
    while not stop.is_set():
        await asyncio.sleep(0.05)


async def _pgqueuer_worker(url: str, threads: int, on_job, stop) -> None:
    import psycopg
    from pgqueuer.db import PsycopgDriver
    from pgqueuer.qm import QueueManager
    from pgqueuer.queries import Queries

    conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
    qm = QueueManager(Queries(PsycopgDriver(conn)))

    @qm.entrypoint(ENTRYPOINT)
    async def noop(job) -> None:
        on_job(json.loads(job.payload))

    runner = asyncio.create_task(qm.run(batch_size=threads, max_concurrent_tasks=2 * threads))
    await _until(stop)
    qm.shutdown.set()
    await asyncio.wait_for(runner, 15)
    await conn.close()


async def _procrastinate_worker(url: str, threads: int, on_job, stop) -> None:
    app = _procrastinate_app(url, on_job)
    async with app.open_async():
        runner = asyncio.create_task(
            app.run_worker_async(
                queues=["bench"], concurrency=threads, wait=True, install_signal_handlers=False, delete_jobs="never"
            )
        )
        await _until(stop)
        runner.cancel()
        try:
            await asyncio.wait_for(runner, 15)
        except (TimeoutError, asyncio.CancelledError):
            pass
