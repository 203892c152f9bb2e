"""Social accounts: the lookup, re-authorisation, tokens. SQL in accounts.sql beside this file."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.app import App
from shared.db import retry_through_outage
from shared.sql import SqlFile, sa_text

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

SQL = SqlFile(__package__, "accounts")


def load(session: Session, account_id: int) -> Any:
    return session.execute(sa_text(SQL, "account_get"), {"id": account_id}).one_or_none()


def unusable(account: Any) -> str | None:
    """Why a child skips this account (deleted, or not active: e.g. needs_reauth); None: use it."""
    if account is None:
        return "the account was deleted"
    if account.status != "active":
        return f"account {account.id} is {account.status}"
    return None


def mark_needs_reauth(app: App, account_id: int, error: str) -> None:
    """In its own committed transaction: the child raises next, and its own transaction rolls back."""

    def commit() -> None:
        with app.sessions.begin() as session:
            session.execute(sa_text(SQL, "account_needs_reauth"), {"id": account_id, "error": error[:2000]})

    retry_through_outage(commit, what=f"marking account {account_id} needs_reauth")


def set_tokens(
    session: Session, account_id: int, *, access: str, refresh: str | None, expires_at: datetime | None
) -> None:
    session.execute(
        sa_text(SQL, "account_tokens_set"),
        {"id": account_id, "access": access, "refresh": refresh, "expires_at": expires_at},
    )


def synced(session: Session, account_id: int, now: datetime) -> None:
    session.execute(sa_text(SQL, "account_synced"), {"id": account_id, "now": now})
