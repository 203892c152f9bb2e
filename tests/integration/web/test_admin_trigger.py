"""POST /api/admin/jobs/{name}/trigger (seeds 000 T4.3, 004): the manual trigger over HTTP, and what a
fan-out run reports — the chat game's deliver run counts delivered / failed / skipped (spec 001 T2.3)."""

from __future__ import annotations

import pytest

from tests.integration.game.conftest import BOT_TOKEN, make_event, make_user
from tests.integration.web.helpers import scalar
from tests.support.http_sink import sink_fixture

sink = pytest.fixture(sink_fixture)


@pytest.fixture
def settings_overrides(sink) -> dict:
    return {"TELEGRAM_API_BASE": sink.url, "TELEGRAM_BOT_TOKEN": BOT_TOKEN, "VOICE_API_BASE": sink.url}


def test_trigger_returns_the_history_id_at_once_and_records_who(client, raw):
    response = client("POST", "/api/admin/jobs/example-touch/trigger")
    assert response.status_code == 201
    run_id = response.json()["id"]
    with raw.cursor() as cur:
        cur.execute("SELECT job_name, status, trigger, acted_by FROM dramaturg.job_history WHERE id = %s", (run_id,))
        assert cur.fetchone() == ("example-touch", "queued", "manual", "local")


def test_trigger_with_wait_answers_with_the_outcome_and_children(client, worker, raw):
    with raw.cursor() as cur:
        cur.execute("INSERT INTO example.example_items (name) VALUES ('a'), ('b')")
    response = client("POST", "/api/admin/jobs/example-touch/trigger", json={"wait": True, "timeout": 30})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "COMPLETED" and body["items_processed"] == 2
    assert body["children"] == {"COMPLETED": 2}


def test_unknown_job_is_400_with_a_did_you_mean(client, raw):
    response = client("POST", "/api/admin/jobs/example-tuch/trigger")
    assert response.status_code == 400 and "Did you mean 'example-touch'" in response.json()["detail"]
    assert scalar(raw, "SELECT count(*) FROM dramaturg.job_history") == 0


def test_a_malformed_instant_is_422_naming_the_field_and_nothing_is_enqueued(client, raw):
    response = client("POST", "/api/admin/jobs/example-touch/trigger", json={"at": "not-a-time"})
    assert response.status_code == 422 and response.json()["fields"][0]["field"] == "at"
    assert scalar(raw, "SELECT count(*) FROM dramaturg.job_history") == 0


def test_arguments_a_job_does_not_take_are_422_naming_them_and_nothing_is_enqueued(client, raw):
    # A job without an args model takes none; a job with one refuses a key it does not know
    none = client("POST", "/api/admin/jobs/prune-queue/trigger", json={"args": {"limit": 3}})
    typo = client("POST", "/api/admin/jobs/example-touch/trigger", json={"args": {"chnk": 3}})
    api = client("POST", "/api/jobs", json={"type": "example-touch", "payload": {"chnk": 3}})
    for response in (none, typo, api):
        assert response.status_code == 422, response.text
    assert none.json()["fields"] == [{"field": "limit", "message": "unexpected argument: the job takes none"}]
    assert "takes no arguments" in none.json()["detail"]
    assert typo.json()["fields"] == api.json()["fields"] == [{"field": "chnk", "message": "unexpected argument"}]
    assert scalar(raw, "SELECT count(*) FROM dramatiq.queue") == 0
    assert scalar(raw, "SELECT count(*) FROM dramaturg.job_history") == 0


def test_deliver_run_reports_delivered_failed_and_skipped_counts(client, worker, raw, sink):
    # Given three due events: one deliverable, one without a chat id, one of a finished game
    make_event(raw, make_user(raw))
    make_event(raw, make_user(raw, chat_id=None))
    make_event(raw, make_user(raw, status="game_over"))
    # When deliver runs
    response = client("POST", "/api/admin/jobs/deliver/trigger", json={"wait": True, "timeout": 30})
    assert response.status_code == 200, response.text
    # Then its run reports the children's outcomes, summed
    run = client("GET", f"/api/jobs/{response.json()['id']}").json()
    assert run["children"]["totals"]["delivered"] == 1
    assert run["children"]["totals"]["failed"] == 1
    assert run["children"]["totals"]["skipped"] == 1
    assert run["children"]["total"] == 3 and run["result"]["claimed"] == 3
