"""refresh-tokens: hourly (``45 * * * *``), one child per active account whose token expires within the hour.

It runs a quarter before the hour's analytics sync, so a token that would
expire during that sync is fresh for it. The child makes the standard OAuth2
refresh grant (RFC 6749 §6: ``grant_type=refresh_token`` with the client's
credentials, form-encoded) against ``CONTENT_OAUTH_TOKEN_URL`` and stores the new
access token (and a rotated refresh token) encrypted. ``invalid_grant`` marks
the account ``needs_reauth`` and fails at once; 5xx and network errors are
retried; 429 waits its Retry-After without spending a retry. Tokens never
appear in a result, a log line or an error. Idempotency key: (job, account, hour).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel

from actors.content import accounts, api, tokens
from actors.content.config import RETRY_DELAYS, ContentConfig
from shared.actors import ItemContext, JobContext, cron_job, item_actor
from shared.errors import ChannelRejected, ChannelTransient
from shared.queues import CONTENT_SUPPORT
from shared.sql import sa_text


class RefreshToken(BaseModel):
    account_id: int


@item_actor(
    "content.refresh_token",
    queue=CONTENT_SUPPORT,
    payload=RefreshToken,
    config=ContentConfig,
    retry_delays=RETRY_DELAYS,
)
def refresh_token(ctx: ItemContext, payload: RefreshToken) -> dict[str, Any]:
    import requests

    account = accounts.load(ctx.session, payload.account_id)
    if (skip := accounts.unusable(account)) is not None:
        return {"items_processed": 0, "skipped": skip}
    config: ContentConfig = ctx.config
    url = api.base(config.oauth_token_url, "CONTENT_OAUTH_TOKEN_URL")
    what = f"account {account.id}"
    refresh = tokens.unseal(config, account.refresh_token, what=what)
    form = {"grant_type": "refresh_token", "refresh_token": refresh, "client_id": config.oauth_client_id}
    if config.oauth_client_secret:
        form["client_secret"] = config.oauth_client_secret
    secrets = (refresh, *config.secrets)
    with requests.Session() as http:
        response = api.call(http, "POST", url, data=form, secrets=secrets)
    if response.status_code in (400, 401):
        code = api.error_code(response) or f"HTTP {response.status_code}"
        error = f"{what}: the token endpoint refused the refresh: {code}"
        if code == "invalid_grant":  # the grant is revoked or expired: only the user can fix it
            accounts.mark_needs_reauth(ctx.app, account.id, error)
        raise ChannelRejected(error)
    if response.status_code >= 300:
        raise ChannelRejected(f"{what}: the token endpoint answered HTTP {response.status_code}")
    body = api.json_object(response, f"{what}: token endpoint")
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise ChannelTransient(f"{what}: the token endpoint's answer has no access_token")
    expires_in = body.get("expires_in")
    expires_at = ctx.now + timedelta(seconds=float(expires_in)) if isinstance(expires_in, (int, float)) else None
    rotated = body.get("refresh_token")
    accounts.set_tokens(
        ctx.session,
        account.id,
        access=tokens.seal(config, access),
        refresh=tokens.seal(config, rotated) if isinstance(rotated, str) and rotated else None,
        expires_at=expires_at,
    )
    return {
        "items_processed": 1,
        "account_id": account.id,
        "expires_at": expires_at.isoformat() if expires_at else None,
        "refresh_token_rotated": bool(rotated),
    }


@cron_job(
    "refresh-tokens",
    schedule="45 * * * *",
    actor_name="content.refresh_tokens",
    period="hour",
    catch_up="latest",
    description="refresh the OAuth tokens of accounts expiring within the hour (one child each)",
    config=ContentConfig,
)
def refresh_tokens(ctx: JobContext) -> dict[str, Any]:
    until = ctx.now + timedelta(seconds=ctx.config.refresh_within_seconds)
    ids = ctx.pages(sa_text(accounts.SQL, "accounts_expiring"), {"until": until}, page_size=ctx.config.fanout_page)
    new = ctx.fan_out(refresh_token, ((str(i), {"account_id": i}) for i in ids))
    return {"items_processed": new, "accounts": new}
