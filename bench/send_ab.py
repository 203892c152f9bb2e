"""Single sends, measured for the pre-ping change (issue 13; figures in bench/NOTES.md).

``python -m bench.send_ab sends N``: N one-by-one sends on a fresh database, nothing else
(run under ``strace -f -c -e trace=sendto`` with N = 0 and N = 200: the difference is the
round trips of 200 sends).

``python -m bench.send_ab ping [BLOCKS] [SIZE]``: the same broker code on two engines in one
process and one database — ``pool_pre_ping`` (as before) and ``make_engine``'s ping after idle —
in alternating blocks of SIZE sends, so a shared machine's drifting load hits both alike.

``python -m bench.send_ab prepared [BLOCKS] [SIZE]``: the single-send statement as sent, against
the same text PREPAREd once and EXECUTEd per send (raw psycopg2, autocommit), alternating blocks.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import psycopg2
import sqlalchemy as sa
from dramatiq.message import Message

from bench import clients, systems
from shared.clock import SystemClock
from shared.db import make_engine
from shared.postgres_broker import PostgresBroker
from shared.settings import load_settings
from shared.sql import queries

SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
#: queue_insert_many's named parameters, in the order of the prepared statement's $n.
PARAMS = ("now", "ids", "queues", "messages", "etas", "priorities")
TYPES = ("timestamptz", "uuid[]", "text[]", "jsonb[]", "timestamptz[]", "smallint[]")


def sends(url: str, n: int) -> None:
    client = clients.client("dramaturg", url)
    client.send(-1)  # connected before the counted sends
    for i in range(n):
        client.send(i)


def alternate(variants: dict[str, Callable[[], None]], blocks: int, size: int) -> None:
    """Run each variant ``size`` times per block, in alternating order; print median rates and paired wins."""
    rates: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    for b in range(blocks):
        for name in names if b % 2 == 0 else reversed(names):
            t = time.perf_counter()
            for _ in range(size):
                variants[name]()
            rates[name].append(size / (time.perf_counter() - t))
    for name, r in rates.items():
        print(f"{name:<10} median {statistics.median(r):6.0f}/s (min {min(r):.0f}, max {max(r):.0f})")
    first, second = names
    wins = sum(a > b for a, b in zip(rates[second], rates[first]))
    print(f"{second} faster in {wins} of {blocks} paired blocks")


def ping(url: str, blocks: int, size: int) -> None:
    settings = load_settings({"DATABASE_URL": url})
    engines = {
        "pre_ping": sa.create_engine(
            sa.make_url(url).set(drivername="postgresql+psycopg2"), pool_size=4, pool_pre_ping=True
        ),
        "idle_ping": make_engine(url, pool_size=4),
    }
    brokers = {}
    for name, engine in engines.items():
        brokers[name] = PostgresBroker()
        brokers[name].bind(engine=engine, clock=SystemClock(), settings=settings)

    def send(broker: PostgresBroker) -> Callable[[], None]:
        def one() -> None:
            message = Message(queue_name="default", actor_name="noop", args=(1,), kwargs={}, options={})
            broker.enqueue(message.copy(message_id=str(uuid.uuid4())))

        return one

    try:
        alternate({name: send(b) for name, b in brokers.items()}, blocks, size)
    finally:
        for b in brokers.values():
            b.close()
            b.engine.dispose()


def prepared(url: str, blocks: int, size: int) -> None:
    text = queries("queue")["queue_insert_many"]
    positional = text
    for i, name in enumerate(PARAMS, 1):
        positional = positional.replace(f"%({name})s", f"${i}")
    execute = "EXECUTE send_one(" + ", ".join(f"%({p})s::{t}" for p, t in zip(PARAMS, TYPES)) + ")"
    body = json.dumps({"queue_name": "default", "actor_name": "noop", "args": [1], "kwargs": {}, "options": {}})
    conn = psycopg2.connect(url)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute(f"PREPARE send_one({', '.join(TYPES)}) AS {positional}")

    def params() -> dict:
        return {
            "now": datetime.now(UTC),
            "ids": [str(uuid.uuid4())],
            "queues": ["default"],
            "messages": [body],
            "etas": [None],
            "priorities": [0],
        }

    def as_sent() -> None:
        cur.execute(text, params())
        cur.fetchall()

    def as_prepared() -> None:
        cur.execute(execute, params())
        cur.fetchall()

    try:
        alternate({"as_sent": as_sent, "prepared": as_prepared}, blocks, size)
        for label, statement in (("as sent", text), ("prepared", execute)):
            cur.execute("EXPLAIN (ANALYZE, SUMMARY) " + statement, params())
            print(label, "; ".join(r[0].strip() for r in cur.fetchall() if "Time:" in r[0]))
    finally:
        conn.close()


def main(argv: list[str]) -> None:
    mode, *numbers = argv or ["ping"]
    url = systems.create_database(SERVER, "dramaturg")
    try:
        if mode == "sends":
            sends(url, int(numbers[0]) if numbers else 200)
        elif mode in ("ping", "prepared"):
            blocks, size = (int(numbers[0]), int(numbers[1])) if len(numbers) == 2 else (20, 250)
            (ping if mode == "ping" else prepared)(url, blocks, size)
        else:
            raise SystemExit(f"unknown mode {mode!r}: sends, ping or prepared")
    finally:
        systems.drop_database(SERVER, url)


if __name__ == "__main__":
    main(sys.argv[1:])
