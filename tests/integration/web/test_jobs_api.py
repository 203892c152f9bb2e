"""The job API end to end: real HTTP into the app, a real worker, a real PostgreSQL.

POST /api/jobs, GET /api/jobs (filters, keyset paging), GET /api/jobs/{id},
DELETE /api/jobs/{id} (cancel, also of a prefetched message) and
POST /api/jobs/{id}/retry.
"""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import T0
from tests.integration.web.helpers import queue_state, scalar, wait_status
from tests.support.waiting import wait_until


def test_submitted_job_is_pending_at_once_then_completed_with_its_result(client, worker):
    # When a job is submitted
    created = client("POST", "/api/jobs", json={"type": "webtest.echo", "payload": {"n": 7}})
    # Then it is acknowledged as PENDING with an id
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "PENDING" and body["type"] == "webtest.echo"
    # And the worker completes it; its return value is the result
    done = wait_status(client, body["id"], "COMPLETED")
    assert done["result"] == {"items_processed": 1, "echo": 7}
    assert done["payload"] == {"n": 7, "fail": False}
    assert [a["status"] for a in done["attempts"]] == ["COMPLETED"]
    assert done["acted_by"] == "local" and done["trigger"] == "api"


def test_submission_is_acknowledged_while_every_worker_thread_is_busy(client, worker, gate, raw):
    # Given every worker thread (4) held by a blocking job
    blockers = [client("POST", "/api/jobs", json={"type": "webtest.block"}).json()["id"] for _ in range(4)]
    wait_until(lambda: scalar(raw, "SELECT count(*) FROM dramaturg.job_history WHERE status = 'running'") == 4)
    # When another job is submitted
    created = client("POST", "/api/jobs", json={"type": "webtest.echo", "payload": {"n": 1}})
    # Then it is accepted and waits as PENDING
    assert created.status_code == 201
    assert client("GET", f"/api/jobs/{created.json()['id']}").json()["status"] == "PENDING"
    gate.set()
    for job_id in blockers + [created.json()["id"]]:
        wait_status(client, job_id, "COMPLETED")


def test_plain_actor_returning_a_dict_records_it_as_the_result(client, worker):
    created = client("POST", "/api/jobs", json={"type": "webtest.plain", "payload": {"x": 21}})
    assert created.status_code == 201
    assert wait_status(client, created.json()["id"], "COMPLETED")["result"] == {"doubled": 42}


def test_unknown_type_is_400_with_a_did_you_mean_and_nothing_is_enqueued(client, raw):
    response = client("POST", "/api/jobs", json={"type": "webtest.ecko", "payload": {"n": 1}})
    assert response.status_code == 400
    assert response.json()["error"] == "unknown_type"
    assert "Did you mean 'webtest.echo'" in response.json()["detail"]
    assert scalar(raw, "SELECT count(*) FROM dramatiq.queue") == 0
    assert scalar(raw, "SELECT count(*) FROM dramaturg.job_history") == 0


def test_invalid_payload_is_422_naming_the_field_and_nothing_is_enqueued(client, raw):
    # A wrong type, a missing field, and a plain actor's unknown argument
    wrong = client("POST", "/api/jobs", json={"type": "webtest.echo", "payload": {"n": "seven"}})
    missing = client("POST", "/api/jobs", json={"type": "webtest.echo", "payload": {}})
    plain = client("POST", "/api/jobs", json={"type": "webtest.plain", "payload": {"y": 1}})
    no_type = client("POST", "/api/jobs", json={"payload": {}})
    for response in (wrong, missing, plain, no_type):
        assert response.status_code == 422, response.text
    assert wrong.json()["fields"][0]["field"] == "n" and wrong.json()["error"] == "invalid_payload"
    assert missing.json()["fields"][0]["field"] == "n"
    assert [f["field"] for f in plain.json()["fields"]] == ["y", "x"]
    assert no_type.json()["fields"][0]["field"] == "type"
    assert scalar(raw, "SELECT count(*) FROM dramatiq.queue") == 0
    assert scalar(raw, "SELECT count(*) FROM dramaturg.job_history") == 0


def test_a_body_that_is_not_json_is_422_naming_the_body_and_nothing_is_enqueued(client, raw):
    response = client(
        "POST", "/api/jobs", data='{"type": "webtest.echo", payload}', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_request"
    (field,) = response.json()["fields"]
    assert field["field"] == "body"
    assert field["message"].startswith("not valid JSON at character 25: ") and "double quotes" in field["message"]
    assert scalar(raw, "SELECT count(*) FROM dramatiq.queue") == 0
    assert scalar(raw, "SELECT count(*) FROM dramaturg.job_history") == 0


def test_a_repeated_idempotency_key_returns_the_first_job(client, raw):
    job = {"type": "webtest.echo", "payload": {"n": 3}, "org_id": "acme", "idempotency_key": "order-17"}
    first = client("POST", "/api/jobs", json=job)
    again = client("POST", "/api/jobs", json=job)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert scalar(raw, "SELECT count(*) FROM dramatiq.queue") == 1
    # The key is per organization: another org's same key is another job
    other = client("POST", "/api/jobs", json={**job, "org_id": "globex"})
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]


def test_list_is_newest_first_keyset_paged_and_filters_combine(client, worker):
    ids = {}
    for n, (org, fail) in enumerate([("acme", False), ("acme", True), ("globex", False), ("acme", False)]):
        body = {"type": "webtest.echo", "payload": {"n": n, "fail": fail}, "org_id": org}
        ids[n] = client("POST", "/api/jobs", json=body).json()["id"]
    for n, job_id in ids.items():
        wait_status(client, job_id, "FAILED" if n == 1 else "COMPLETED")
    # Pages of two, newest first, each page continuing after the last id of the previous one
    seen, cursor = [], None
    while True:
        page = client("GET", "/api/jobs", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [j["id"] for j in page["jobs"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(ids.values(), reverse=True)
    # Filters, alone and combined
    failed = client("GET", "/api/jobs", params={"status": "FAILED"}).json()["jobs"]
    assert [j["id"] for j in failed] == [ids[1]]
    acme_done = client("GET", "/api/jobs", params={"org_id": "acme", "status": "COMPLETED"}).json()["jobs"]
    assert [j["id"] for j in acme_done] == [ids[3], ids[0]]
    typed = client("GET", "/api/jobs", params={"type": "webtest.echo", "since": "1h"}).json()["jobs"]
    assert len(typed) == 4
    assert client("GET", "/api/jobs", params={"type": "webtest.plain"}).json()["jobs"] == []
    assert client("GET", "/api/jobs", params={"status": "EXPLODED"}).status_code == 422


def test_failed_job_shows_its_error_traceback_and_attempts(client, worker):
    job_id = client("POST", "/api/jobs", json={"type": "webtest.echo", "payload": {"n": 9, "fail": True}}).json()["id"]
    failed = wait_status(client, job_id, "FAILED")
    assert "echo 9 was told to fail" in failed["error"]
    assert "PayloadError" in failed["traceback"]
    assert failed["attempts"] == [
        {
            "attempt": 1,
            "status": "FAILED",
            "error": failed["error"],
            "started_at": failed["attempts"][0]["started_at"],
            "finished_at": failed["attempts"][0]["finished_at"],
            "duration_ms": failed["duration_ms"],
        }
    ]


def test_each_attempt_keeps_its_own_error(client, worker, raw, clock):
    # Given an example item whose first two attempts fail (retries 1, 2 s apart on the test clock)
    with raw.cursor() as cur:
        cur.execute("INSERT INTO example.example_items (name, fail_first) VALUES ('flaky', 2) RETURNING id")
        item = cur.fetchone()[0]
    job_id = client("POST", "/api/jobs", json={"type": "example.touch.item", "payload": {"item_id": item}}).json()["id"]
    # When time passes until it succeeds
    done = wait_status(client, job_id, "COMPLETED", advance=lambda: clock.advance(timedelta(minutes=1)))
    # Then each attempt is listed with its outcome and error
    assert [(a["attempt"], a["status"]) for a in done["attempts"]] == [
        (1, "RETRYING"),
        (2, "RETRYING"),
        (3, "COMPLETED"),
    ]
    assert "fails attempt 1" in done["attempts"][0]["error"] and "fails attempt 2" in done["attempts"][1]["error"]
    assert done["attempts"][2]["error"] is None


def test_cancelling_a_delayed_job_rejects_its_message(client, raw, worker, clock):
    # Given a job due in an hour
    run_at = (T0 + timedelta(hours=1)).isoformat()
    job_id = client("POST", "/api/jobs", json={"type": "webtest.echo", "payload": {"n": 1}, "run_at": run_at}).json()[
        "id"
    ]
    # When it is cancelled
    response = client("DELETE", f"/api/jobs/{job_id}")
    # Then history says cancelled and its queue row can never run
    assert response.status_code == 200 and response.json()["status"] == "CANCELLED"
    assert queue_state(raw, job_id) == ("rejected", "cancelled")
    clock.advance(timedelta(hours=2))
    assert client("GET", f"/api/jobs/{job_id}").json()["status"] == "CANCELLED"
    # And a second cancel is a conflict
    again = client("DELETE", f"/api/jobs/{job_id}")
    assert again.status_code == 409 and "cancelled" in again.json()["detail"]


def test_cancelling_a_running_or_finished_job_is_a_conflict(client, worker, gate, raw):
    running = client("POST", "/api/jobs", json={"type": "webtest.block"}).json()["id"]
    done = client("POST", "/api/jobs", json={"type": "webtest.echo", "payload": {"n": 2}}).json()["id"]
    wait_status(client, running, "RUNNING")
    wait_status(client, done, "COMPLETED")
    for job_id, state in ((running, "running"), (done, "succeeded")):
        response = client("DELETE", f"/api/jobs/{job_id}")
        assert response.status_code == 409 and state in response.json()["detail"]
    assert client("DELETE", "/api/jobs/999999").status_code == 404
    gate.set()


def test_a_job_cancelled_while_prefetched_by_a_worker_never_runs(client, worker, gate, raw):
    # Given every worker thread busy and one more job claimed (prefetched) by the worker
    blockers = [client("POST", "/api/jobs", json={"type": "webtest.block"}).json()["id"] for _ in range(4)]
    wait_until(lambda: scalar(raw, "SELECT count(*) FROM dramaturg.job_history WHERE status = 'running'") == 4)
    job_id = client("POST", "/api/jobs", json={"type": "webtest.echo", "payload": {"n": 5}}).json()["id"]
    wait_until(lambda: queue_state(raw, job_id)[0] == "consumed", message="the echo job was never prefetched")
    # When it is cancelled, then the workers are freed
    assert client("DELETE", f"/api/jobs/{job_id}").status_code == 200
    gate.set()
    for blocker in blockers:
        wait_status(client, blocker, "COMPLETED")
    wait_until(lambda: scalar(raw, "SELECT count(*) FROM dramatiq.queue WHERE state IN ('queued', 'consumed')") == 0)
    # Then it was skipped at start: never started, no result, still cancelled
    run = client("GET", f"/api/jobs/{job_id}").json()
    assert run["status"] == "CANCELLED" and run["started_at"] is None and run["result"] is None
    assert queue_state(raw, job_id) == ("rejected", "cancelled")


def test_retry_of_a_failed_job_is_a_new_linked_run_and_leaves_the_original(client, worker):
    original = client("POST", "/api/jobs", json={"type": "webtest.echo", "payload": {"n": 4, "fail": True}}).json()[
        "id"
    ]
    before = wait_status(client, original, "FAILED")
    # When it is retried
    response = client("POST", f"/api/jobs/{original}/retry")
    assert response.status_code == 201
    new_id = response.json()["id"]
    # Then the new run is linked to it and runs with the same payload
    retried = wait_status(client, new_id, "FAILED")
    assert retried["retry_of"] == original and retried["payload"] == before["payload"]
    after = client("GET", f"/api/jobs/{original}").json()
    assert {k: v for k, v in after.items() if k != "retries"} == {k: v for k, v in before.items() if k != "retries"}
    assert after["retries"] == [{"id": new_id, "status": "FAILED"}]
    # And a completed job cannot be retried
    ok = client("POST", "/api/jobs", json={"type": "webtest.echo", "payload": {"n": 1}}).json()["id"]
    wait_status(client, ok, "COMPLETED")
    conflict = client("POST", f"/api/jobs/{ok}/retry")
    assert conflict.status_code == 409 and "succeeded" in conflict.json()["detail"]


def test_a_cancelled_job_can_be_retried(client, worker):
    run_at = (T0 + timedelta(days=1)).isoformat()
    job_id = client("POST", "/api/jobs", json={"type": "webtest.echo", "payload": {"n": 8}, "run_at": run_at}).json()[
        "id"
    ]
    client("DELETE", f"/api/jobs/{job_id}")
    new_id = client("POST", f"/api/jobs/{job_id}/retry").json()["id"]
    assert wait_status(client, new_id, "COMPLETED")["result"]["echo"] == 8
