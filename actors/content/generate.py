"""content-generate: a topic for a brand → one content_item per target platform.

Sent through ``POST /api/jobs`` (``{"type": "content.generate", "payload":
{"brand_id": 1, "topic": "…"}}``) or by the app itself for a request it
created (``{"request_id": 7}``). Each of the brand's target platforms (or the
payload's ``platforms``) gets one item, written by the model through the
``anthropic`` SDK (``ANTHROPIC_BASE_URL`` honoured) or, without
``ANTHROPIC_API_KEY``, by the deterministic offline generator (actors/content/writer.py).
The job's result lists the created item ids.

Model errors: 5xx / overloaded / 429 are retried at 1, 5 and 15 minutes, then
the request is failed; a 4xx (an invalid request) fails it at once with the
reason. Idempotency key: the request (by id, or the one tied to this run) and
the unique (request, platform) item: a retried run rewrites its items, never adds.
"""

from __future__ import annotations

from typing import Any

from dramatiq.middleware import CurrentMessage
from pydantic import BaseModel, Field, model_validator

from actors.content import writer
from actors.content.config import RETRY_DELAYS, ContentConfig
from shared.actors import ItemContext, item_actor
from shared.db import retry_through_outage
from shared.errors import ChannelRejected, ChannelTransient, PayloadError
from shared.middleware.retries import retry_plan_of
from shared.queues import CONTENT_GENERATION
from shared.redact import redact
from shared.sql import SqlFile, sa_text

SQL = SqlFile(__package__, "generate")


class GenerateContent(BaseModel):
    """Either ``request_id`` (a request the app stored) or ``brand_id`` and ``topic``."""

    request_id: int | None = None
    brand_id: int | None = None
    topic: str | None = Field(None, min_length=1, max_length=500)
    platforms: list[str] | None = Field(None, min_length=1, max_length=20)

    @model_validator(mode="after")
    def _one_way(self) -> GenerateContent:
        if self.request_id is None and (self.brand_id is None or self.topic is None):
            raise ValueError("give request_id, or brand_id and topic")
        return self


def _is_last_attempt(ctx: ItemContext) -> bool:
    message = CurrentMessage.get_current_message()
    return message is None or retry_plan_of(ctx.app.broker, message).last


def _committed(ctx: ItemContext, query: str, params: dict[str, Any]) -> Any:
    """One statement in its own committed transaction (the run's own rolls back if it raises)."""

    def commit() -> Any:
        with ctx.app.sessions.begin() as session:
            result = session.execute(sa_text(SQL, query), params)
            return result.scalar() if getattr(result, "returns_rows", False) else None

    return retry_through_outage(commit, what=f"{query} of a content request")


def _record_failure(ctx: ItemContext, request_id: int, error: str) -> None:
    error = redact(error, ctx.app.settings.secrets) or error
    _committed(ctx, "request_failed_by_id", {"id": request_id, "error": error, "now": ctx.now})


def _request(ctx: ItemContext, payload: GenerateContent) -> tuple[int, Any, str]:
    """(request id, brand, topic). A request for a brand and topic is committed at once, tied to this
    run, so a failure can be recorded on it and a retry of the run finds it again."""
    if payload.request_id is not None:
        request = ctx.session.execute(sa_text(SQL, "request_get"), {"id": payload.request_id}).one_or_none()
        if request is None:
            raise PayloadError(f"no content request {payload.request_id}")
        brand_id, topic = request.brand_id, request.topic
    else:
        brand_id, topic = payload.brand_id, payload.topic or ""
    brand = ctx.session.execute(sa_text(SQL, "brand_get"), {"id": brand_id}).one_or_none()
    if brand is None:
        raise PayloadError(f"no brand {brand_id}")
    if payload.request_id is not None:
        return payload.request_id, brand, topic
    params = {"brand": brand.id, "topic": topic, "run": ctx.run_id, "now": ctx.now}
    return _committed(ctx, "request_for_run", params), brand, topic


@item_actor(
    "content.generate",
    queue=CONTENT_GENERATION,
    payload=GenerateContent,
    config=ContentConfig,
    retry_delays=RETRY_DELAYS,
)
def generate_content(ctx: ItemContext, payload: GenerateContent) -> dict[str, Any]:
    request_id, brand, topic = _request(ctx, payload)
    platforms = list(dict.fromkeys(payload.platforms or brand.target_platforms or []))
    if not platforms:
        raise PayloadError(f"brand {brand.id} has no target platforms and the payload names none")
    try:
        texts = {platform: writer.write(ctx.app.settings, brand, topic, platform) for platform in platforms}
    except ChannelRejected as exc:
        _record_failure(ctx, request_id, str(exc))
        raise
    except ChannelTransient as exc:
        if _is_last_attempt(ctx):
            _record_failure(ctx, request_id, str(exc))
        raise
    item_ids = []
    for platform, written in texts.items():
        item_ids.append(
            ctx.session.execute(
                sa_text(SQL, "item_upsert"),
                {
                    "request": request_id,
                    "platform": platform,
                    "body": written.text,
                    "generator": written.generator,
                    "now": ctx.now,
                },
            ).scalar_one()
        )
    ctx.session.execute(sa_text(SQL, "request_generated"), {"id": request_id, "now": ctx.now})
    generators = sorted({w.generator for w in texts.values()})
    return {
        "items_processed": len(item_ids),
        "request_id": request_id,
        "content_item_ids": item_ids,
        "platforms": platforms,
        "generator": generators[0] if len(generators) == 1 else generators,
    }
