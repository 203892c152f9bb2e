"""The content app's jobs through the web dyno's POST /api/jobs: each type resolves, its payload model validates."""

from __future__ import annotations

import pytest

from tests.integration.web.helpers import scalar, wait_status

CONTENT_TYPES = {
    "content.generate": {"brand_id": 1, "topic": "launch"},
    "content.scrape_website": {"source_id": 1},
    "content.sync_rss": {"source_id": 1},
    "content.process_document": {"source_id": 1},
    "content.sync_analytics": {"account_id": 1},
    "content.refresh_token": {"account_id": 1},
    "content.publish": {"item_id": 1, "account_id": 1},
    "content.generate_image": {"item_id": 1},
    "scrape-sources": {},
    "sync-analytics": {},
    "refresh-tokens": {},
}


def test_a_content_generation_posted_to_the_api_completes_with_the_created_item_ids(client, worker, raw):
    # Given a brand targeting two platforms
    with raw.cursor() as cur:
        cur.execute("INSERT INTO content.organizations (name) VALUES ('Acme') RETURNING id")
        org = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO content.brands (org_id, name, target_platforms) VALUES (%s, 'Acme', '{x,linkedin}') RETURNING id",
            (org,),
        )
        brand = cur.fetchone()[0]
    # When a generation is posted to the job API
    created = client(
        "POST", "/api/jobs", json={"type": "content.generate", "payload": {"brand_id": brand, "topic": "our launch"}}
    )
    # Then it is acknowledged at once, then completed with the created items as its result
    assert created.status_code == 201, created.text
    done = wait_status(client, created.json()["id"], "COMPLETED", "FAILED")
    assert done["status"] == "COMPLETED", done
    ids = done["result"]["content_item_ids"]
    assert len(ids) == 2 and done["result"]["generator"] == "offline"
    assert scalar(raw, "SELECT count(*) FROM content.content_items WHERE id = ANY(%s)", ids) == 2


@pytest.mark.parametrize("job_type", sorted(CONTENT_TYPES))
def test_every_content_job_type_is_known_to_the_api_and_its_payload_is_validated(client, raw, job_type):
    # A wrong payload is refused naming the field (the type resolved: not unknown_type), nothing enqueued
    if CONTENT_TYPES[job_type]:  # (the cron jobs take no payload)
        wrong = {k: "not-a-number" for k in CONTENT_TYPES[job_type]}
        response = client("POST", "/api/jobs", json={"type": job_type, "payload": wrong})
        assert response.status_code == 422, response.text
        assert response.json()["error"] == "invalid_payload"
        assert {f["field"] for f in response.json()["fields"]} <= set(CONTENT_TYPES[job_type])
        assert scalar(raw, "SELECT count(*) FROM dramatiq.queue") == 0
    # And the right payload is accepted onto the job's own queue
    accepted = client("POST", "/api/jobs", json={"type": job_type, "payload": CONTENT_TYPES[job_type]})
    assert accepted.status_code == 201, accepted.text
    assert scalar(raw, "SELECT count(*) FROM dramatiq.queue") == 1


def test_a_generation_payload_without_a_request_or_a_brand_and_topic_is_422(client):
    response = client("POST", "/api/jobs", json={"type": "content.generate", "payload": {"topic": "x"}})
    assert response.status_code == 422 and "request_id, or brand_id and topic" in response.text
