"""Actors the web tests submit through the API (queue ``webtest``).

``webtest.echo`` is an item actor with a pydantic payload; ``webtest.plain`` a
plain Dramatiq actor returning a dict; ``webtest.block`` holds a worker thread
until the test opens ``GATE`` (to keep every worker busy, or a message prefetched).
"""

from __future__ import annotations

import threading

import dramatiq
from pydantic import BaseModel

from shared.actors import ItemContext, item_actor
from shared.broker import broker
from shared.errors import PayloadError

QUEUE = "webtest"
GATE = threading.Event()


class Echo(BaseModel):
    n: int
    fail: bool = False


class Block(BaseModel):
    tag: str = ""


@item_actor("webtest.echo", queue=QUEUE, payload=Echo)
def echo(ctx: ItemContext, payload: Echo) -> dict:
    if payload.fail:
        raise PayloadError(f"echo {payload.n} was told to fail")  # not retried: fails at once
    return {"items_processed": 1, "echo": payload.n}


@item_actor("webtest.block", queue=QUEUE, payload=Block)
def block(ctx: ItemContext, payload: Block) -> int:
    GATE.wait(timeout=60)  # the test opens the gate; the timeout only bounds a broken test
    return 1


def plain(x: int) -> dict:
    return {"doubled": 2 * x}


plain_actor = dramatiq.actor(plain, actor_name="webtest.plain", queue_name=QUEUE, broker=broker, max_retries=0)
