"""Small helpers shared by the web tests."""

from __future__ import annotations

from tests.support.waiting import wait_until


def wait_status(client, job_id: int, *statuses: str, timeout: float = 20, key="default", advance=None) -> dict:
    """GET the job until its status is one of ``statuses``; ``advance()`` runs each poll (moves a FrozenClock)."""

    def check():
        if advance is not None:
            advance()
        body = client("GET", f"/api/jobs/{job_id}", key=key).json()
        return body if body.get("status") in statuses else None

    return wait_until(check, timeout=timeout, message=lambda: f"job {job_id} never reached {statuses}")


def scalar(raw, sql: str, *params):
    with raw.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()[0]


def queue_state(raw, run_id: int) -> tuple | None:
    with raw.cursor() as cur:
        cur.execute(
            "SELECT q.state::text, q.reason FROM dramatiq.queue q JOIN dramaturg.job_history h ON h.message_id = q.message_id "
            "WHERE h.id = %s",
            (run_id,),
        )
        return cur.fetchone()
