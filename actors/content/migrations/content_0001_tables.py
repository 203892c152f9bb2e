"""The content platform's tables in schema ``content`` (organizations, brands, requests and items,
context sources and items, social accounts, posts, analytics, learnings).

The first revision of the content app's own alembic branch (branch label
``content``): ``dramaturg migrate`` applies it when ``DRAMATURG_APPS`` names
``content``, and ``alembic downgrade content@base`` removes the app alone,
schema included.

Revision ID: content_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "content_0001"
down_revision = None
branch_labels = ("content",)
depends_on = None

SCHEMA = "content"


def upgrade() -> None:
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    op.create_table(
        "organizations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        schema=SCHEMA,
    )
    op.create_table(
        "brand_learnings",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("value", pg.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["content.organizations.id"], name="brand_learnings_org_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "kind", name="brand_learnings_org_kind_key"),
        schema=SCHEMA,
    )
    op.create_table(
        "brands",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("voice", sa.Text(), server_default=sa.text("''::text"), nullable=False),
        sa.Column("tone", sa.Text(), server_default=sa.text("''::text"), nullable=False),
        sa.Column("target_platforms", pg.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["content.organizations.id"], name="brands_org_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        schema=SCHEMA,
    )
    op.create_table(
        "context_sources",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default=sa.text("'healthy'::text"), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_scraped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("kind in ('website', 'rss', 'document')", name="context_sources_kind_check"),
        sa.CheckConstraint("status in ('healthy', 'unhealthy')", name="context_sources_status_check"),
        sa.ForeignKeyConstraint(
            ["org_id"], ["content.organizations.id"], name="context_sources_org_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        schema=SCHEMA,
    )
    op.create_table(
        "social_accounts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("platform", sa.Text(), nullable=False),
        sa.Column("handle", sa.Text(), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=True),
        sa.Column("refresh_token", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.Text(), server_default=sa.text("'active'::text"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status in ('active', 'needs_reauth')", name="social_accounts_status_check"),
        sa.ForeignKeyConstraint(
            ["org_id"], ["content.organizations.id"], name="social_accounts_org_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        schema=SCHEMA,
    )
    op.create_table(
        "content_requests",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("brand_id", sa.BigInteger(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default=sa.text("'pending'::text"), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status in ('pending', 'generated', 'failed')", name="content_requests_status_check"),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["content.brands.id"], name="content_requests_brand_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", name="content_requests_run_id_key"),
        schema=SCHEMA,
    )
    op.create_table(
        "context_items",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("source_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.Text(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"], ["content.context_sources.id"], name="context_items_source_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_id", "key", name="context_items_source_key"),
        schema=SCHEMA,
    )
    op.create_table(
        "content_items",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("request_id", sa.BigInteger(), nullable=False),
        sa.Column("platform", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("generator", sa.Text(), nullable=False),
        sa.Column("image_url", sa.Text(), nullable=True),
        sa.Column("publish_status", sa.Text(), server_default=sa.text("'draft'::text"), nullable=False),
        sa.Column("publish_error", sa.Text(), nullable=True),
        sa.Column("external_id", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("generator in ('anthropic', 'offline')", name="content_items_generator_check"),
        sa.CheckConstraint(
            "publish_status in ('draft', 'pending', 'sending', 'delivered', 'failed', 'unknown')",
            name="content_items_publish_status_check",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"], ["content.content_requests.id"], name="content_items_request_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id", "platform", name="content_items_request_platform_key"),
        schema=SCHEMA,
    )
    op.create_table(
        "posts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("content_item_id", sa.BigInteger(), nullable=True),
        sa.Column("external_id", sa.Text(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["content.social_accounts.id"], name="posts_account_id_fkey", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["content_item_id"], ["content.content_items.id"], name="posts_content_item_id_fkey", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "external_id", name="posts_account_external_key"),
        schema=SCHEMA,
    )
    op.create_table(
        "post_analytics",
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("impressions", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("likes", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("comments", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("shares", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("metrics", pg.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["content.posts.id"], name="post_analytics_post_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("post_id"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("post_analytics", schema=SCHEMA)
    op.drop_table("posts", schema=SCHEMA)
    op.drop_table("content_items", schema=SCHEMA)
    op.drop_table("context_items", schema=SCHEMA)
    op.drop_table("content_requests", schema=SCHEMA)
    op.drop_table("social_accounts", schema=SCHEMA)
    op.drop_table("context_sources", schema=SCHEMA)
    op.drop_table("brands", schema=SCHEMA)
    op.drop_table("brand_learnings", schema=SCHEMA)
    op.drop_table("organizations", schema=SCHEMA)
    op.execute(f"DROP SCHEMA IF EXISTS {SCHEMA}")  # RESTRICT: refuses if anything else was put there
