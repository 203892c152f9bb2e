"""``python -m bench.capped [--runs N]``: the claim path of an uncapped and a capped queue, side by side.

One PostgresConsumer claims 8 rows and acks them, cycle after cycle, through a
10,000-message backlog of no-op messages (no Dramatiq threads: the broker's SQL
and bookkeeping alone), on a fresh database per run; the modes alternate so a
noisy machine weighs on both. Capped: a cap of 1000, never reached, so the
figure is the cost of the per-queue lock and count alone.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench import systems
from shared.postgres_consumer import PostgresConsumer

BACKLOG = 10_000
BATCH = 8


def claim_rate(server: str, cap: int | None) -> float:
    url = systems.create_database(server, "dramaturg")
    try:
        broker, actor = systems.build("dramaturg", url, threads=8)
        if cap is not None:
            broker.limit_queue(actor.queue_name, concurrency=cap)
        systems.prefill("dramaturg", broker, [actor.message(i) for i in range(BACKLOG)])
        consumer = PostgresConsumer(broker=broker, queue_name=actor.queue_name, prefetch=16, timeout=100)
        done = 0
        started = time.perf_counter()
        while done < BACKLOG:
            consumer._cycle(True, BATCH)
            while consumer.buffer:
                consumer.ledger.ack(consumer.buffer.popleft().claim)
                done += 1
        consumer._write_outcomes()
        rate = BACKLOG / (time.perf_counter() - started)
        consumer.close()
        broker.close()
        broker.engine.dispose()
        return rate
    finally:
        systems.drop_database(server, url)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.capped")
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args(argv)
    rates: dict[str, list[float]] = {"uncapped": [], "capped": []}
    for _ in range(args.runs):
        rates["uncapped"].append(claim_rate(args.server, None))
        rates["capped"].append(claim_rate(args.server, 1000))
    for mode, values in rates.items():
        print(
            f"{mode:<9} claim+ack msg/s: median {statistics.median(values):.0f} (runs {sorted(round(v) for v in values)})"
        )


if __name__ == "__main__":
    main()
