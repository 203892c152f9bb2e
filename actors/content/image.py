"""generate-image: an item → an image from the image API (``POST {CONTENT_IMAGE_API_BASE}/v1/images``), its URL stored.

The prompt is the item's text. An item that already has an image is left as
it is (a rerun asks nothing). Asking again after a lost answer only makes
another image, so every failure but a refusal is retried. Idempotency key: the
item's ``image_url``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from actors.content import api
from actors.content.config import RETRY_DELAYS, ContentConfig
from shared.actors import ItemContext, item_actor
from shared.channels.http import post_json
from shared.errors import ChannelTransient, DeliveryUnknown
from shared.queues import CONTENT_SUPPORT
from shared.sql import SqlFile, sa_text

SQL = SqlFile(__package__, "image")


class GenerateImage(BaseModel):
    item_id: int


def _url_of(body: dict[str, Any]) -> str | None:
    url = body.get("url")
    data = body.get("data")
    if not isinstance(url, str) and isinstance(data, list) and data and isinstance(data[0], dict):
        url = data[0].get("url")  # the OpenAI-style shape
    return url if isinstance(url, str) else None


@item_actor(
    "content.generate_image",
    queue=CONTENT_SUPPORT,
    payload=GenerateImage,
    config=ContentConfig,
    retry_delays=RETRY_DELAYS,
)
def generate_image(ctx: ItemContext, payload: GenerateImage) -> dict[str, Any]:
    import requests

    item = ctx.session.execute(sa_text(SQL, "item_get"), {"id": payload.item_id}).one_or_none()
    if item is None:
        return {"items_processed": 0, "skipped": "the item was deleted"}
    if item.image_url:
        return {
            "items_processed": 0,
            "content_item_id": item.id,
            "image_url": item.image_url,
            "skipped": "has an image",
        }
    config: ContentConfig = ctx.config
    root = api.base(config.image_api_base, "CONTENT_IMAGE_API_BASE")
    headers = {"Authorization": f"Bearer {config.image_api_key}"} if config.image_api_key else {}
    with requests.Session() as http:
        try:
            response = post_json(
                http,
                f"{root}/v1/images",
                {"prompt": item.body, "platform": item.platform},
                headers=headers,
                redact=config.secrets,
                timeout=(3.05, 60.0),
            )
        except DeliveryUnknown as exc:
            raise ChannelTransient(str(exc)) from None  # a lost answer costs one image, never a duplicate post
    url = _url_of(api.json_object(response, "image API"))
    if not url:
        raise ChannelTransient("the image API's answer has no url")
    ctx.session.execute(sa_text(SQL, "item_image_set"), {"id": item.id, "url": url, "now": ctx.now})
    return {"items_processed": 1, "content_item_id": item.id, "image_url": url}
