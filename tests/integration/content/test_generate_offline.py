"""content-generate without ANTHROPIC_API_KEY: the deterministic offline generator, marked as such."""

from __future__ import annotations

from tests.integration.content.conftest import all_rows, make_brand, make_org, one, run


def test_one_item_per_target_platform_written_offline_within_the_platform_limits(app, worker, raw, remote):
    # Given a brand targeting X and LinkedIn, and no model key
    brand = make_brand(raw, make_org(raw), platforms=("x", "linkedin"))
    topic = "our new open-source scheduler " + "with many words " * 20
    # When content is generated for a topic
    done = run(app, "content.generate", brand_id=brand, topic=topic)
    # Then there is one item per platform, written by the offline generator
    assert done["status"] == "succeeded", done["error"]
    items = all_rows(raw, "SELECT id, platform, body, generator FROM content.content_items ORDER BY platform")
    assert [(p, g) for _, p, _, g in items] == [("linkedin", "offline"), ("x", "offline")]
    # And the job's result is the created ids; the request is generated
    assert sorted(done["result"]["content_item_ids"]) == sorted(i for i, *_ in items)
    assert done["result"]["generator"] == "offline"
    request = done["result"]["request_id"]
    assert one(raw, "SELECT status, topic FROM content.content_requests WHERE id = %s", request) == ("generated", topic)
    # And X's 280 characters are respected, cut at a word
    x_text = next(b for _, p, b, _ in items if p == "x")
    assert len(x_text) <= 280 and x_text.endswith("…")
    # And no model was called
    assert remote.requests() == []


def test_the_offline_generator_is_deterministic(app, worker, raw):
    brand = make_brand(raw, make_org(raw), platforms=("x",))
    first = run(app, "content.generate", brand_id=brand, topic="launch week")
    second = run(app, "content.generate", brand_id=brand, topic="launch week")
    texts = all_rows(raw, "SELECT body FROM content.content_items ORDER BY id")
    assert first["result"]["request_id"] != second["result"]["request_id"]
    assert texts[0] == texts[1]
    assert texts[0][0] == "Acme on launch week: a upbeat take in Ada's voice, written for x. #LaunchWeek"


def test_a_stored_request_is_generated_for_its_own_brand_and_platforms_given_in_the_payload(app, worker, raw):
    brand = make_brand(raw, make_org(raw), platforms=("x", "linkedin"))
    request = one(
        raw, "INSERT INTO content.content_requests (brand_id, topic) VALUES (%s, 'pricing') RETURNING id", brand
    )[0]
    done = run(app, "content.generate", request_id=request, platforms=["threads"])
    assert done["result"]["request_id"] == request and done["result"]["platforms"] == ["threads"]
    assert all_rows(raw, "SELECT platform FROM content.content_items WHERE request_id = %s", request) == [("threads",)]


def test_an_unknown_brand_fails_at_once(app, worker, raw):
    done = run(app, "content.generate", brand_id=999, topic="x")
    assert done["status"] == "failed" and "no brand 999" in done["error"] and done["attempt"] == 1
