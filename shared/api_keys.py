"""API keys for the web dyno: created, looked up by token, revoked. SQL in ``shared/sql/api_keys.sql``.

A token reads ``dk_<prefix>_<secret>``: the prefix (8 characters) is stored in
clear so a key can be listed and revoked by it; the whole token is stored only
as its SHA-256, so the table never holds a usable secret. The token is shown
once, when the key is created. A key is scoped to one organization (it sees and
acts on that organization's jobs only) or is an admin key.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from psycopg2.extensions import connection as PgConnection
from psycopg2.extras import RealDictCursor

from shared.errors import ConfigError
from shared.sql import queries

SQL = queries("api_keys")
TOKEN_START = "dk_"
SCOPES = ("admin", "org")


@dataclass(frozen=True)
class ApiKey:
    """A key as the web dyno sees it (never the token)."""

    id: int
    prefix: str
    scope: str
    org_id: str | None
    name: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.scope == "admin"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create(
    raw: PgConnection, *, scope: str, org_id: str | None, now: datetime, name: str | None = None
) -> tuple[str, ApiKey]:
    """Create a key in the caller's transaction; returns ``(token, key)`` — the token is not stored.

    Raises:
        ConfigError: an org key without an organization, or an admin key with one.
    """
    if scope not in SCOPES:
        raise ConfigError(f"key scope must be one of {SCOPES}, got {scope!r}")
    if (scope == "org") != bool(org_id):
        raise ConfigError("an org key needs --org ORG; an admin key takes no organization")
    prefix = secrets.token_hex(4)
    token = f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(24)}"
    with raw.cursor() as cur:
        cur.execute(
            SQL["api_key_insert"],
            dict(prefix=prefix, sha=token_hash(token), scope=scope, org_id=org_id, name=name, now=now),
        )
        (key_id,) = cast(tuple[int], cur.fetchone())
    return token, ApiKey(key_id, prefix, scope, org_id, name)


def lookup(raw: PgConnection, token: str) -> ApiKey | None:
    """The active key whose token this is, or None."""
    if not token.startswith(TOKEN_START):
        return None
    with raw.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(SQL["api_key_by_hash"], {"sha": token_hash(token)})
        row = cur.fetchone()
    if row is None:
        return None
    return ApiKey(row["id"], row["prefix"], row["scope"], row["org_id"], row["name"])


def any_active(raw: PgConnection) -> bool:
    """Whether any key is configured; without one the web dyno only listens on loopback."""
    with raw.cursor() as cur:
        cur.execute(SQL["api_key_any_active"])
        return bool(cast(tuple[bool], cur.fetchone())[0])


def revoke(raw: PgConnection, ref: str, *, now: datetime) -> dict[str, Any] | None:
    """Revoke the active key with this prefix (``dk_ab12cd34`` or ``ab12cd34``) or id; None if there is none."""
    ref = ref.strip()
    if ref.startswith(TOKEN_START):
        ref = ref[len(TOKEN_START) :].split("_", 1)[0]
    with raw.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(SQL["api_key_revoke"], {"ref": ref, "now": now})
        row = cur.fetchone()
    return dict(row) if row else None


def list_keys(raw: PgConnection) -> list[dict[str, Any]]:
    with raw.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(SQL["api_key_list"])
        return [dict(r) for r in cur.fetchall()]
