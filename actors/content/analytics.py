"""sync-analytics: every hour (``0 * * * *``), one child per active social account.

The child calls the platform's metrics API for each of the account's posts
(``GET {CONTENT_SOCIAL_API_BASE}/v1/posts/{external_id}/metrics`` with the
account's bearer token) and upserts ``post_analytics`` (one current row per
post), then derives the organization's ``brand_learnings`` from every post
with metrics — a deterministic computation (analytics.sql ``learnings_upsert``):

- engagement of a post = likes + 2 × comments + 3 × shares;
- ``best_platform``: the platform with the highest mean engagement per post;
- ``best_hour``: the UTC hour of publication with the highest mean engagement;
- ``top_topics``: the three topics with the highest mean engagement;
  ties go to the smaller platform name, hour or topic.

``429`` with ``Retry-After`` re-schedules the child after that delay without
spending a retry. ``401 invalid_token`` marks the account ``needs_reauth``
and fails the child once, without retries; the fan-out skips such accounts and
a child sent for one does nothing, until the account is re-authorised
(status back to active). Idempotency key: (job, account, hour) for the
fan-out's children; the upserts make any rerun harmless.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel

from actors.content import accounts, api, tokens
from actors.content.config import RETRY_DELAYS, ContentConfig
from shared.actors import ItemContext, JobContext, cron_job, item_actor
from shared.errors import ChannelRejected
from shared.queues import ANALYTICS_SYNC
from shared.sql import SqlFile, sa_text

SQL = SqlFile(__package__, "analytics")
COUNTERS = ("impressions", "likes", "comments", "shares")


class SyncAnalytics(BaseModel):
    account_id: int


def _counter(metrics: dict[str, Any], name: str) -> int:
    value = metrics.get(name, 0)
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0 else 0


@item_actor(
    "content.sync_analytics",
    queue=ANALYTICS_SYNC,
    payload=SyncAnalytics,
    config=ContentConfig,
    retry_delays=RETRY_DELAYS,
)
def sync_account_analytics(ctx: ItemContext, payload: SyncAnalytics) -> dict[str, Any]:
    import requests

    account = accounts.load(ctx.session, payload.account_id)
    if (skip := accounts.unusable(account)) is not None:
        return {"items_processed": 0, "skipped": skip}
    config: ContentConfig = ctx.config
    root = api.base(config.social_api_base, "CONTENT_SOCIAL_API_BASE")
    token = tokens.unseal(config, account.access_token, what=f"account {account.id}")
    secrets = (token, *config.secrets)
    posts = ctx.session.execute(sa_text(SQL, "account_posts"), {"account": account.id}).all()
    synced, missing = [], []
    with requests.Session() as http:
        for post in posts:
            url = f"{root}/v1/posts/{quote(post.external_id, safe='')}/metrics"
            response = api.call(http, "GET", url, headers={"Authorization": f"Bearer {token}"}, secrets=secrets)
            if response.status_code == 401:
                code = api.error_code(response) or "unauthorized"
                error = f"account {account.id}: the metrics API answered 401 {code}; it needs re-authorisation"
                accounts.mark_needs_reauth(ctx.app, account.id, error)
                raise ChannelRejected(error)
            if response.status_code == 404:
                missing.append(post.id)  # deleted on the platform: nothing to collect
                continue
            if response.status_code >= 400:
                raise ChannelRejected(f"GET {url}: HTTP {response.status_code}")
            metrics = api.json_object(response, f"GET {url}")
            ctx.session.execute(
                sa_text(SQL, "post_analytics_upsert"),
                {
                    "post": post.id,
                    **{name: _counter(metrics, name) for name in COUNTERS},
                    "metrics": json.dumps(metrics),
                    "now": ctx.now,
                },
            )
            synced.append(post.id)
    learned = ctx.session.execute(sa_text(SQL, "learnings_upsert"), {"org": account.org_id, "now": ctx.now})
    accounts.synced(ctx.session, account.id, ctx.now)
    return {
        "items_processed": len(synced),
        "account_id": account.id,
        "post_ids": synced,
        "missing_post_ids": missing,
        "learnings": sorted(learned.scalars().all()),
    }


@cron_job(
    "sync-analytics",
    schedule="0 * * * *",
    actor_name="content.sync_analytics_all",
    period="hour",
    catch_up="latest",
    description="collect post metrics of every active social account (one child each)",
    config=ContentConfig,
)
def sync_analytics(ctx: JobContext) -> dict[str, Any]:
    ids = ctx.pages(sa_text(accounts.SQL, "accounts_active"), {}, page_size=ctx.config.fanout_page)
    new = ctx.fan_out(sync_account_analytics, ((str(i), {"account_id": i}) for i in ids))
    return {"items_processed": new, "accounts": new}
