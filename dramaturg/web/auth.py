"""Who is asking: an API key from ``Authorization: Bearer <key>`` (or the dashboard's cookie).

- An **org key** sees and acts on its own organization's jobs only.
- An **admin key** sees every organization, triggers cron jobs and uses the
  dashboard's actions.
- With **no key configured** at all, the dyno only listens on loopback (see
  ``server.py``) and every request is the local operator, with admin rights.
  Once a key exists, a request without one gets 401.

Tokens are looked up by their SHA-256; they never reach a log or a response.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, Request

from dramaturg.web.errors import forbidden, unauthorized
from dramaturg.web.state import raw_connection
from shared import api_keys

COOKIE = "dramaturg_key"


@dataclass(frozen=True)
class Principal:
    kind: str  # "admin" | "org" | "local"
    org_id: str | None
    #: Recorded as job_history.acted_by: the key's visible prefix, never the token.
    label: str

    @property
    def is_admin(self) -> bool:
        return self.kind in ("admin", "local")

    @property
    def org_scope(self) -> str | None:
        """The organization reads are limited to (None: every organization)."""
        return None if self.is_admin else self.org_id


LOCAL = Principal("local", None, "local")


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(COOKIE) or None


def resolve(request: Request) -> Principal:
    """The request's principal.

    Raises:
        ApiError: 401 for a missing (while keys exist), unknown or revoked key.
    """
    token = _token(request)
    with raw_connection(request) as raw:
        if token:
            key = api_keys.lookup(raw, token)
            if key is None:
                raise unauthorized("the API key is unknown or revoked")
            return Principal(key.scope, key.org_id, f"key:{key.prefix}")
        if api_keys.any_active(raw):
            raise unauthorized("an API key is required: Authorization: Bearer <key>")
    return LOCAL


def current(request: Request) -> Principal:
    """FastAPI dependency: any valid key (or the local operator)."""
    principal = resolve(request)
    request.state.principal = principal
    return principal


def admin(principal: Principal = Depends(current)) -> Principal:
    """FastAPI dependency: an admin key.

    Raises:
        ApiError: 403 for an org key.
    """
    if not principal.is_admin:
        raise forbidden("this needs an admin key")
    return principal
