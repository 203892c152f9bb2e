"""The claim walks the queue's claim index in order and stops at its limit, whatever the statistics say.

A queue table last analyzed when its rows were done, then given a large fan-out:
until an ANALYZE counts the new rows (autovacuum's comes later, or never), a
planner that believes almost nothing is queued would read and sort every queued
row on each claim.
"""

from __future__ import annotations

from shared.sql import queries
from tests.integration.broker.conftest import QUEUE, noop

SQL = queries("queue")


def _walk(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _walk(child)


def test_a_claim_after_a_bulk_enqueue_reads_the_index_in_order_not_every_queued_row(app, raw):
    # Given 100,000 messages COPYed at once into a queue table no ANALYZE has seen
    app.broker.enqueue_many([noop.message(i) for i in range(100_000)])
    with raw.cursor() as cur:
        # When the claim's statements run, its own settings first
        *settings, claim = SQL["queue_claim"].split(";\n")
        statement = cur.mogrify(
            claim,
            {"queue": QUEUE, "now": None, "limit": 64, "owner": app.broker.worker_id, "lease": 30.0},
        ).decode()
        cur.execute("BEGIN")
        for setting in settings:
            cur.execute(setting)
        cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement)
        (plan,) = cur.fetchone()[0]
        cur.execute("ROLLBACK")
    nodes = list(_walk(plan["Plan"]))
    # Then it is an index scan of the claim index, with no bitmap and no sort over the queued rows
    scans = [n for n in nodes if n["Node Type"] == "Index Scan" and n.get("Index Name") == "queue_claim_idx"]
    assert scans, [n["Node Type"] for n in nodes]
    assert not [n["Node Type"] for n in nodes if n["Node Type"].startswith("Bitmap") or n["Node Type"] == "Sort"]
    # And it read only the rows it claimed, not the 20,000
    assert scans[0]["Actual Rows"] == 64
