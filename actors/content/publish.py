"""publish-content: an item → the social platform (``POST {CONTENT_SOCIAL_API_BASE}/v1/posts``), at most once.

The outbox of the game's delivery (actors/game/outbox.py), on
``content_items.publish_status``: draft/pending → sending (committed before the
HTTP call) → delivered (the platform's post id stored as ``external_id``, a
``posts`` row for analytics) | pending (transient: retried at 1, 5, 15 minutes;
after the last → failed) | failed (rejected) | unknown (no answer after sending).
An item found in 'sending' means an attempt died between the call and the write
(a worker killed -9): it becomes 'unknown', never re-sent blindly. Every request
carries ``Idempotency-Key: content-item-<id>``, so a platform that honours it
dedupes even a deliberate re-send. Each transition is its own committed
transaction. Idempotency key: the item id.
"""

from __future__ import annotations

from typing import Any

from dramatiq.middleware import CurrentMessage
from pydantic import BaseModel

from actors.content import accounts, api, tokens
from actors.content.config import RETRY_DELAYS, ContentConfig
from shared.actors import ItemContext, item_actor
from shared.app import App
from shared.channels.http import post_json
from shared.db import retry_through_outage
from shared.errors import ChannelRejected, ChannelTransient, DeliveryUnknown
from shared.middleware.retries import retry_plan_of
from shared.queues import CONTENT_SUPPORT
from shared.redact import redact
from shared.sql import SqlFile, sa_text

SQL = SqlFile(__package__, "publish")


class PublishContent(BaseModel):
    item_id: int
    account_id: int


def idempotency_key(item_id: int) -> str:
    return f"content-item-{item_id}"


def _write(app: App, name: str, **params: Any) -> None:
    if params.get("error"):
        params["error"] = redact(params["error"], app.settings.secrets)

    def commit() -> None:
        with app.sessions.begin() as session:
            session.execute(sa_text(SQL, name), params)

    retry_through_outage(commit, what=f"recording {name} for content item {params.get('id')}")


def mark_exhausted(session: Any, payload: dict[str, Any], error: str, now: Any) -> None:
    """on_exhausted hook: settle an item the message left pending or sending."""
    session.execute(sa_text(SQL, "item_publish_exhausted"), {"id": payload["item_id"], "error": error, "now": now})


def _claim(app: App, payload: PublishContent, now: Any) -> tuple[str, Any, Any]:
    """Lock the item and decide; 'send' means it is now committed as 'sending'."""
    with app.sessions.begin() as session:
        item = session.execute(sa_text(SQL, "item_lock"), {"id": payload.item_id}).one_or_none()
        if item is None:
            return "skipped", None, None
        account = accounts.load(session, payload.account_id)

        def move(status: str, error: str | None) -> None:
            session.execute(
                sa_text(SQL, "item_publish_set"),
                {"id": item.id, "status": status, "error": error, "now": now, "expect": item.publish_status},
            )

        if item.publish_status == "sending":
            move("unknown", "an earlier attempt was interrupted after sending began; not re-sent")
            return "unknown", item, account
        if item.publish_status not in ("draft", "pending"):
            return "skipped", item, account
        if account is None or account.status != "active":
            why = "no such account" if account is None else f"account {account.id} is {account.status}"
            move("failed", f"not published: {why}")
            return "failed", item, account
        move("sending", None)
    return "send", item, account


def _is_last_attempt(ctx: ItemContext) -> bool:
    message = CurrentMessage.get_current_message()
    return message is None or retry_plan_of(ctx.app.broker, message).last


def _result(outcome: str, item_id: int, **extra: Any) -> dict[str, Any]:
    return {"items_processed": int(outcome == "delivered"), "outcome": outcome, "content_item_id": item_id, **extra}


@item_actor(
    "content.publish",
    queue=CONTENT_SUPPORT,
    payload=PublishContent,
    on_exhausted=mark_exhausted,
    config=ContentConfig,
    retry_delays=RETRY_DELAYS,
)
def publish_content(ctx: ItemContext, payload: PublishContent) -> dict[str, Any]:
    import requests

    config: ContentConfig = ctx.config
    root = api.base(config.social_api_base, "CONTENT_SOCIAL_API_BASE")
    outcome, item, account = _claim(ctx.app, payload, ctx.now)
    if outcome != "send":
        return _result(outcome, payload.item_id)
    iid, now = item.id, ctx.now
    try:
        token = tokens.unseal(config, account.access_token, what=f"account {account.id}")
        with requests.Session() as http:
            response = post_json(
                http,
                f"{root}/v1/posts",
                {"account": account.handle, "platform": item.platform, "text": item.body, "image_url": item.image_url},
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": idempotency_key(iid)},
                redact=(token, *config.secrets),
                target=f"{root}/v1/posts",
            )
        external_id = str(api.json_object(response, "publish").get("id") or "")
        if not external_id:
            raise DeliveryUnknown("the platform accepted the post but named no id")
    except ChannelTransient as exc:
        if _is_last_attempt(ctx):
            _write(ctx.app, "item_publish_set", id=iid, status="failed", error=str(exc), now=now, expect="sending")
        else:
            _write(ctx.app, "item_publish_set", id=iid, status="pending", error=str(exc), now=now, expect="sending")
        raise
    except ChannelRejected as exc:
        _write(ctx.app, "item_publish_set", id=iid, status="failed", error=str(exc), now=now, expect="sending")
        return _result("failed", iid, error=redact(str(exc), ctx.app.settings.secrets))
    except DeliveryUnknown as exc:
        _write(ctx.app, "item_publish_set", id=iid, status="unknown", error=str(exc), now=now, expect="sending")
        raise  # not retried: an operator decides whether it went out
    # The outcome and the post row in one committed transaction.
    with ctx.app.sessions.begin() as session:
        session.execute(sa_text(SQL, "item_delivered"), {"id": iid, "external_id": external_id, "now": now})
        session.execute(
            sa_text(SQL, "post_insert"),
            {"account": account.id, "item": iid, "external_id": external_id, "topic": item.topic, "now": now},
        )
    return _result("delivered", iid, external_id=external_id, account_id=account.id)
