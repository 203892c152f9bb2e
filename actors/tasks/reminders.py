"""reminders: deliver each due task reminder on its channel(s), once per channel.

When: every minute (``DRAMATURG_JOB_REMINDERS_SCHEDULE``); missed minutes are
not replayed (catch_up none) because the next run picks up every reminder
still pending with ``remind_at <= now`` anyway.
Fan-out: one ``tasks.reminders.item`` child per pending reminder. The child
delivers on ``web`` (a ``web_notifications`` row) and/or ``chat`` (a POST to
``CHAT_WEBHOOK_URL`` with ``Idempotency-Key: task-reminder-<id>-chat``), then
marks the reminder sent with ``sent_at``.
Idempotency key: (reminder, channel) — a ``task_reminder_deliveries`` row,
written in the same transaction as the web notification and right after a
successful POST; a channel already marked is skipped. Should the transaction
be lost after the POST, the retry re-sends with the same idempotency key, which
the receiver deduplicates.
Failures: a failing channel raises, so the platform retries after 1, 2 and
4 minutes; when retries run out (or the webhook refuses for good) the
reminder becomes ``failed`` with the error and is no longer picked up.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from actors.tasks.config import TasksConfig
from shared.actors import ItemContext, JobContext, cron_job, item_actor
from shared.channels.webhook import WebhookClient
from shared.errors import ChannelRejected
from shared.queues import TASKS
from shared.sql import SqlFile, sa_text

if TYPE_CHECKING:
    from sqlalchemy import RowMapping
    from sqlalchemy.orm import Session

SQL = SqlFile(__package__, "reminders")
CHANNELS = {"web": ("web",), "chat": ("chat",), "both": ("web", "chat")}


class DeliverReminder(BaseModel):
    reminder_id: int


def mark_failed(session: Session, payload: dict[str, Any], error: str, now: datetime) -> None:
    session.execute(sa_text(SQL, "reminder_mark_failed"), {"id": payload["reminder_id"], "error": error})


def _text(row: RowMapping) -> str:
    due = row["due_date"].isoformat() if row["due_date"] else "no due date"
    return f"Reminder: {row['title']} (due {due})"


def _send_web(ctx: ItemContext, row: RowMapping) -> None:
    marked = ctx.session.execute(
        sa_text(SQL, "delivery_mark"), {"id": row["id"], "channel": "web", "now": ctx.now}
    ).scalar()
    if marked is not None:
        ctx.session.execute(
            sa_text(SQL, "web_notification_insert"),
            {
                "user_id": row["user_id"],
                "task_id": row["task_id"],
                "title": row["title"],
                "body": _text(row),
                "now": ctx.now,
            },
        )


def _send_chat(ctx: ItemContext, row: RowMapping) -> None:
    if ctx.session.execute(sa_text(SQL, "delivery_exists"), {"id": row["id"], "channel": "chat"}).scalar():
        return
    if ctx.app.settings.chat_webhook_url is None:
        raise ChannelRejected("CHAT_WEBHOOK_URL is not set: chat reminders cannot be delivered")
    client = WebhookClient(str(ctx.app.settings.chat_webhook_url))
    try:
        client.post(
            {"text": _text(row), "reminder_id": row["id"], "task_id": row["task_id"], "user_id": row["user_id"]},
            idempotency_key=f"task-reminder-{row['id']}-chat",
        )
    finally:
        client.close()
    ctx.session.execute(sa_text(SQL, "delivery_mark"), {"id": row["id"], "channel": "chat", "now": ctx.now})


@item_actor("tasks.reminders.item", queue=TASKS, payload=DeliverReminder, on_exhausted=mark_failed, config=TasksConfig)
def deliver_reminder(ctx: ItemContext, payload: DeliverReminder) -> int:
    row = ctx.session.execute(sa_text(SQL, "reminder_lock"), {"id": payload.reminder_id}).mappings().one_or_none()
    if row is None or row["status"] != "pending":
        return 0  # deleted, already sent, or already failed
    for channel in CHANNELS[row["channel"]]:
        (_send_web if channel == "web" else _send_chat)(ctx, row)
    ctx.session.execute(sa_text(SQL, "reminder_mark_sent"), {"id": row["id"], "now": ctx.now})
    return 1


@cron_job(
    "reminders",
    schedule="* * * * *",
    actor_name="tasks.reminders",
    period="minute",
    catch_up="none",
    description="deliver due task reminders on web and chat",
    config=TasksConfig,
)
def reminders(ctx: JobContext) -> int:
    ids = ctx.session.execute(sa_text(SQL, "reminders_due"), {"now": ctx.now}).scalars()
    return ctx.fan_out(deliver_reminder, ((str(i), {"reminder_id": i}) for i in ids))
