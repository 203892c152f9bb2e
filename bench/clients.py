"""The producer side of every system: ``send(n)`` one job, ``send_many(ns)`` with its fastest batch path.

Dramatiq brokers are thread-safe, so producer threads share one client;
pgqueuer and procrastinate clients hold one connection each (one per thread).
"""

from __future__ import annotations

from bench.systems import FOREIGN, build


class DramatiqClient:
    """The producer side of a Dramatiq broker: ``send(n)``, ``send_many(ns)`` (its fastest batch path)."""

    shared = True  # thread-safe: producer threads share one

    def __init__(self, system: str, url: str) -> None:
        self.system = system
        self.broker, self.actor = build(system, url)

    def send(self, n: int) -> None:
        self.actor.send(n)

    def send_many(self, ns) -> None:
        if self.system == "dramaturg":
            self.broker.enqueue_many([self.actor.message(n) for n in ns])
        else:  # stock dramatiq-pg and Redis have no bulk enqueue
            for n in ns:
                self.actor.send(n)

    def close(self) -> None:
        pass


def client(system: str, url: str):
    if system in FOREIGN:
        from bench.foreign import Client

        return Client(system, url)
    return DramatiqClient(system, url)


def fill(system: str, url: str, n: int) -> None:
    """Queue ``n`` no-op jobs for the foreign systems through their own bulk call (setup, never timed)."""
    c = client(system, url)
    try:
        for i in range(0, n, 5000):
            c.send_many(list(range(i, min(n, i + 5000))))
    finally:
        c.close()
