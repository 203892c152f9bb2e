"""API keys and tenancy: org keys see only their organization; admin keys see all and trigger cron jobs.

No key configured: every request is the local admin (the dyno then listens
on loopback only, see test_server.py). Once a key exists: no key → 401,
wrong scope → 403, another organization's job → 404 (never its data).
"""

from __future__ import annotations

import json

import pytest
import requests

from shared import api_keys
from shared.errors import ConfigError
from tests.integration.web.helpers import scalar


def _submit(client, org: str, n: int = 1, **extra) -> int:
    response = client("POST", "/api/jobs", json={"type": "webtest.echo", "payload": {"n": n}, "org_id": org, **extra})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_without_any_key_the_local_operator_is_admin(client):
    assert client("GET", "/api/jobs").status_code == 200
    assert client("POST", "/api/admin/jobs/example-touch/trigger").status_code == 201


def test_once_a_key_exists_requests_need_a_valid_one(client, make_key, app):
    token = make_key(admin=True)
    missing = client("GET", "/api/jobs", key=None)
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"] == "Bearer"
    assert client("GET", "/api/jobs", key="dk_00000000_not-a-real-key").status_code == 401
    assert client("GET", "/api/jobs", key=token).status_code == 200
    # A revoked key stops working at once
    with app.engine.begin() as conn:
        api_keys.revoke(conn.connection.dbapi_connection, token.split("_")[1], now=app.clock.now())
    assert client("GET", "/api/jobs", key=token).status_code == 401


def test_an_org_key_sees_and_acts_on_its_own_organization_only(client, make_key):
    admin, acme, globex = make_key(admin=True), make_key(org="acme"), make_key(org="globex")
    # Given jobs of two organizations (submitted with their own keys; the org defaults to the key's)
    mine = _submit(client.as_key(acme), "acme")
    theirs = client(
        "POST",
        "/api/jobs",
        key=globex,
        json={"type": "webtest.echo", "payload": {"n": 2}, "run_at": "2030-01-01T00:00"},
    ).json()["id"]
    # Then each key lists only its own; the admin key lists both
    assert [j["id"] for j in client("GET", "/api/jobs", key=acme).json()["jobs"]] == [mine]
    assert [j["id"] for j in client("GET", "/api/jobs", key=globex).json()["jobs"]] == [theirs]
    assert {j["id"] for j in client("GET", "/api/jobs", key=admin).json()["jobs"]} == {mine, theirs}
    # Another organization's job is not found, whatever the action
    assert client("GET", f"/api/jobs/{theirs}", key=acme).status_code == 404
    assert client("DELETE", f"/api/jobs/{theirs}", key=acme).status_code == 404
    assert client("POST", f"/api/jobs/{theirs}/retry", key=acme).status_code == 404
    assert client("GET", f"/api/jobs/{theirs}", key=globex).json()["status"] == "PENDING"
    # Asking for another organization explicitly is a wrong scope
    assert client("GET", "/api/jobs", key=acme, params={"org_id": "globex"}).status_code == 403
    assert (
        client(
            "POST", "/api/jobs", key=acme, json={"type": "webtest.echo", "payload": {"n": 1}, "org_id": "globex"}
        ).status_code
        == 403
    )


def test_only_an_admin_key_triggers_cron_jobs(client, make_key, raw):
    make_key(admin=True)
    acme = make_key(org="acme")
    assert client("POST", "/api/admin/jobs/example-touch/trigger", key=acme).status_code == 403
    assert client("POST", "/api/jobs", key=acme, json={"type": "example-touch"}).status_code == 403
    assert scalar(raw, "SELECT count(*) FROM dramaturg.job_history") == 0


def test_an_org_key_probing_a_thousand_other_ids_gets_only_404s(client, make_key):
    acme, globex = make_key(org="acme"), make_key(org="globex")
    theirs = [_submit(client.as_key(globex), "globex", n) for n in range(5)]
    mine = _submit(client.as_key(acme), "acme")
    probes = theirs + [i for i in range(1, 2000) if i not in theirs and i != mine][: 1000 - len(theirs)]
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {acme}"
        answers = [http.get(f"{client.base}/api/jobs/{i}", timeout=10) for i in probes]
    assert len(answers) == 1000
    assert {a.status_code for a in answers} == {404}
    # and a 404 carries no data of the run
    assert {a.json()["error"] for a in answers} == {"not_found"}
    assert all("echo" not in a.text and "globex" not in a.text for a in answers)


def test_tokens_never_appear_in_responses_or_history(client, make_key, raw):
    token = make_key(org="acme")
    job_id = _submit(client.as_key(token), "acme")
    body = client("GET", f"/api/jobs/{job_id}", key=token).text
    assert token not in body
    with raw.cursor() as cur:
        cur.execute("SELECT row_to_json(h)::text FROM dramaturg.job_history h")
        history = json.dumps(cur.fetchall())
        cur.execute("SELECT row_to_json(k)::text FROM dramaturg.api_keys k")
        keys = json.dumps(cur.fetchall())
    assert token not in history and token not in keys
    assert f"key:{token.split('_')[1]}" in history  # who acted: the visible prefix only


def test_unknown_scope_combinations_are_refused_when_creating_keys(app):
    with app.engine.begin() as conn:
        raw = conn.connection.dbapi_connection
        for scope, org in (("org", None), ("admin", "acme"), ("root", None)):
            with pytest.raises(ConfigError):
                api_keys.create(raw, scope=scope, org_id=org, now=app.clock.now())
