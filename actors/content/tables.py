"""The content platform's tables in schema ``content`` (created by its branch, actors/content/migrations/).

- ``organizations`` and their ``brands`` (voice, tone, target platforms).
- ``content_requests`` (a topic for a brand; ``run_id`` ties one created by a job to
  its job_history run, so a retried run reuses it) and ``content_items``: one per
  target platform (unique per request and platform), with the generator that wrote
  it, its image URL and its publish outbox state (pending → sending → delivered /
  failed / unknown) with the platform's external id.
- ``context_sources`` (website, rss or document; healthy or unhealthy after
  consecutive final failures; the feed's ETag / Last-Modified) and
  ``context_items`` (unique per source and key: an entry's guid or a page's URL;
  ``content_hash`` lets an unchanged page be skipped).
- ``social_accounts``: tokens are stored encrypted (Fernet, ``CONTENT_TOKEN_KEY``),
  never in clear; ``status`` active or needs_reauth.
- ``posts`` (what was published where), ``post_analytics`` (one current row per
  post) and ``brand_learnings`` (one row per organization and kind).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from shared.tables import metadata

SCHEMA = "content"
TZ = sa.DateTime(timezone=True)


def _id() -> sa.Column[Any]:
    return sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True)


def _fk(column: str, target: str, name: str, *, nullable: bool = False, ondelete: str = "CASCADE") -> sa.Column[Any]:
    return sa.Column(
        column,
        sa.BigInteger,
        sa.ForeignKey(f"{SCHEMA}.{target}.id", name=name, ondelete=ondelete),
        nullable=nullable,
    )


def _created() -> sa.Column[Any]:
    return sa.Column("created_at", TZ, nullable=False, server_default=sa.text("now()"))


organizations = sa.Table(
    "organizations",
    metadata,
    _id(),
    sa.Column("name", sa.Text, nullable=False),
    _created(),
    schema=SCHEMA,
)

brands = sa.Table(
    "brands",
    metadata,
    _id(),
    _fk("org_id", "organizations", "brands_org_id_fkey"),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("voice", sa.Text, nullable=False, server_default=sa.text("''::text")),
    sa.Column("tone", sa.Text, nullable=False, server_default=sa.text("''::text")),
    sa.Column("target_platforms", pg.ARRAY(sa.Text), nullable=False, server_default=sa.text("'{}'::text[]")),
    _created(),
    schema=SCHEMA,
)

content_requests = sa.Table(
    "content_requests",
    metadata,
    _id(),
    _fk("brand_id", "brands", "content_requests_brand_id_fkey"),
    sa.Column("topic", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default=sa.text("'pending'::text")),
    sa.Column("error", sa.Text),
    sa.Column("run_id", sa.BigInteger),
    _created(),
    sa.Column("updated_at", TZ),
    sa.UniqueConstraint("run_id", name="content_requests_run_id_key"),
    sa.CheckConstraint("status in ('pending', 'generated', 'failed')", name="content_requests_status_check"),
    schema=SCHEMA,
)

content_items = sa.Table(
    "content_items",
    metadata,
    _id(),
    _fk("request_id", "content_requests", "content_items_request_id_fkey"),
    sa.Column("platform", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("generator", sa.Text, nullable=False),
    sa.Column("image_url", sa.Text),
    sa.Column("publish_status", sa.Text, nullable=False, server_default=sa.text("'draft'::text")),
    sa.Column("publish_error", sa.Text),
    sa.Column("external_id", sa.Text),
    _created(),
    sa.Column("updated_at", TZ),
    sa.UniqueConstraint("request_id", "platform", name="content_items_request_platform_key"),
    sa.CheckConstraint("generator in ('anthropic', 'offline')", name="content_items_generator_check"),
    sa.CheckConstraint(
        "publish_status in ('draft', 'pending', 'sending', 'delivered', 'failed', 'unknown')",
        name="content_items_publish_status_check",
    ),
    schema=SCHEMA,
)

context_sources = sa.Table(
    "context_sources",
    metadata,
    _id(),
    _fk("org_id", "organizations", "context_sources_org_id_fkey"),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default=sa.text("'healthy'::text")),
    sa.Column("consecutive_failures", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("last_scraped_at", TZ),
    sa.Column("last_error", sa.Text),
    sa.Column("etag", sa.Text),
    sa.Column("last_modified", sa.Text),
    _created(),
    sa.CheckConstraint("kind in ('website', 'rss', 'document')", name="context_sources_kind_check"),
    sa.CheckConstraint("status in ('healthy', 'unhealthy')", name="context_sources_status_check"),
    schema=SCHEMA,
)

context_items = sa.Table(
    "context_items",
    metadata,
    _id(),
    _fk("source_id", "context_sources", "context_items_source_id_fkey"),
    sa.Column("key", sa.Text, nullable=False),  # the entry's guid (else its link), or the page's URL
    sa.Column("url", sa.Text),
    sa.Column("title", sa.Text),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("content_hash", sa.Text, nullable=False),
    sa.Column("fetched_at", TZ, nullable=False),
    sa.UniqueConstraint("source_id", "key", name="context_items_source_key"),
    schema=SCHEMA,
)

social_accounts = sa.Table(
    "social_accounts",
    metadata,
    _id(),
    _fk("org_id", "organizations", "social_accounts_org_id_fkey"),
    sa.Column("platform", sa.Text, nullable=False),
    sa.Column("handle", sa.Text, nullable=False),
    sa.Column("access_token", sa.Text),  # Fernet ciphertext
    sa.Column("refresh_token", sa.Text),  # Fernet ciphertext
    sa.Column("expires_at", TZ),
    sa.Column("status", sa.Text, nullable=False, server_default=sa.text("'active'::text")),
    sa.Column("last_error", sa.Text),
    sa.Column("last_synced_at", TZ),
    _created(),
    sa.CheckConstraint("status in ('active', 'needs_reauth')", name="social_accounts_status_check"),
    schema=SCHEMA,
)

posts = sa.Table(
    "posts",
    metadata,
    _id(),
    _fk("account_id", "social_accounts", "posts_account_id_fkey"),
    _fk("content_item_id", "content_items", "posts_content_item_id_fkey", nullable=True, ondelete="SET NULL"),
    sa.Column("external_id", sa.Text, nullable=False),
    sa.Column("topic", sa.Text),
    sa.Column("published_at", TZ, nullable=False),
    sa.UniqueConstraint("account_id", "external_id", name="posts_account_external_key"),
    schema=SCHEMA,
)

post_analytics = sa.Table(
    "post_analytics",
    metadata,
    sa.Column(
        "post_id",
        sa.BigInteger,
        sa.ForeignKey(f"{SCHEMA}.posts.id", name="post_analytics_post_id_fkey", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("impressions", sa.BigInteger, nullable=False, server_default=sa.text("0")),
    sa.Column("likes", sa.BigInteger, nullable=False, server_default=sa.text("0")),
    sa.Column("comments", sa.BigInteger, nullable=False, server_default=sa.text("0")),
    sa.Column("shares", sa.BigInteger, nullable=False, server_default=sa.text("0")),
    sa.Column("metrics", pg.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("collected_at", TZ, nullable=False),
    schema=SCHEMA,
)

brand_learnings = sa.Table(
    "brand_learnings",
    metadata,
    _id(),
    _fk("org_id", "organizations", "brand_learnings_org_id_fkey"),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("value", pg.JSONB, nullable=False),
    sa.Column("computed_at", TZ, nullable=False),
    sa.UniqueConstraint("org_id", "kind", name="brand_learnings_org_kind_key"),
    schema=SCHEMA,
)
