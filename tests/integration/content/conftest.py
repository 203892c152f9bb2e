"""Fixtures for the content app: its remotes on loopback servers, and data helpers.

One routed server stands in for every remote (websites with robots.txt, RSS
feeds, the social platform's metrics and publish API, the OAuth token endpoint,
the image API, the Anthropic Messages API); the settings point the app at it,
with the SSRF guard off (``DRAMATURG_SCRAPE_ALLOW_PRIVATE=true``) since it is on
127.0.0.1 — the guard's own tests turn it back on.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from cryptography.fernet import Fernet

from actors.content import tokens
from actors.content.config import ContentConfig
from scheduler.trigger import wait_for_run
from shared.run_actions import resolve_type, submit, validate_payload
from tests.conftest import T0
from tests.integration.content.routes import RoutedSink

TOKEN_KEY = Fernet.generate_key().decode()
CLIENT_SECRET = "oauth-client-secret-0042"


@pytest.fixture
def remote():
    with RoutedSink() as sink:
        yield sink


@pytest.fixture
def settings_overrides(remote) -> dict:
    return {
        "DRAMATURG_SCRAPE_ALLOW_PRIVATE": "true",
        "CONTENT_SOCIAL_API_BASE": remote.url,
        "CONTENT_OAUTH_TOKEN_URL": f"{remote.url}/oauth/token",
        "CONTENT_OAUTH_CLIENT_ID": "dramaturg-test",
        "CONTENT_OAUTH_CLIENT_SECRET": CLIENT_SECRET,
        "CONTENT_IMAGE_API_BASE": remote.url,
        "CONTENT_TOKEN_KEY": TOKEN_KEY,
    }


def config() -> ContentConfig:
    return ContentConfig(CONTENT_TOKEN_KEY=TOKEN_KEY)


def one(raw, sql: str, *params):
    with raw.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()


def all_rows(raw, sql: str, *params) -> list:
    with raw.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def make_org(raw, name: str = "Acme") -> int:
    return one(raw, "INSERT INTO content.organizations (name) VALUES (%s) RETURNING id", name)[0]


def make_brand(raw, org: int, *, platforms=("x", "linkedin"), voice="Ada", tone="upbeat") -> int:
    return one(
        raw,
        "INSERT INTO content.brands (org_id, name, voice, tone, target_platforms) VALUES (%s, 'Acme', %s, %s, %s) RETURNING id",
        org,
        voice,
        tone,
        list(platforms),
    )[0]


def make_source(raw, org: int, url: str, kind: str = "website", *, status="healthy", failures=0) -> int:
    return one(
        raw,
        "INSERT INTO content.context_sources (org_id, url, kind, status, consecutive_failures) "
        "VALUES (%s, %s, %s, %s, %s) RETURNING id",
        org,
        url,
        kind,
        status,
        failures,
    )[0]


def make_account(
    raw,
    org: int,
    *,
    platform="x",
    access="access-token-abcdef123",
    refresh="refresh-token-zyxw987",
    expires_at: datetime | None = None,
    status="active",
) -> int:
    cfg = config()
    return one(
        raw,
        "INSERT INTO content.social_accounts (org_id, platform, handle, access_token, refresh_token, expires_at, status) "
        "VALUES (%s, %s, '@acme', %s, %s, %s, %s) RETURNING id",
        org,
        platform,
        tokens.seal(cfg, access) if access else None,
        tokens.seal(cfg, refresh) if refresh else None,
        expires_at,
        status,
    )[0]


def make_post(raw, account: int, external_id: str, *, topic="launch", published_at: datetime = T0) -> int:
    return one(
        raw,
        "INSERT INTO content.posts (account_id, external_id, topic, published_at) VALUES (%s, %s, %s, %s) RETURNING id",
        account,
        external_id,
        topic,
        published_at,
    )[0]


def submit_job(app, type_: str, **payload) -> int:
    """Submit a job the way ``POST /api/jobs`` does (resolve, validate, enqueue with its queued row)."""
    target = resolve_type(app.broker, app.registry, type_)
    run_id, _ = submit(app, target, validate_payload(target, payload), org_id=None, acted_by="test")
    return run_id


def run(app, type_: str, timeout: float = 30, **payload) -> dict:
    """Submit a job and wait until it (and any children it fanned out) finished."""
    return wait_for_run(app, submit_job(app, type_, **payload), timeout=timeout)
