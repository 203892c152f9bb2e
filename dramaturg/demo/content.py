"""The content app's demo scene: a coffee brand, its website and feed, a broken site, a social account.

When: ``dramaturg up --demo`` with the content app on (the demo enables every
app). :meth:`ContentScene.prepare` starts the remotes (dramaturg/demo/content_remote.py),
seeds the data and returns the environment the workers need;
:meth:`ContentScene.kick` submits the jobs the way ``POST /api/jobs`` does — a
generation, the scheduled scrape, the account's analytics — and the
narrator prints what they changed: items written (offline without
``ANTHROPIC_API_KEY``), pages and entries stored, the broken site turning
unhealthy on its 5th failure in a row, the 429 deferral, the analytics and learnings.

Idempotency key: the demo organization's name — a re-run deletes it (its rows
cascade) and seeds it again.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.markup import escape

from actors.content import tables as t
from actors.content import tokens
from actors.content.config import ContentConfig
from dramaturg.demo.content_remote import METRICS, ContentRemote
from shared.run_actions import resolve_type, submit, validate_payload

logger = logging.getLogger(__name__)
ORG = "Northwind Coffee (demo)"


def seed(session: Any, remote_url: str, start: datetime, token_key: str) -> dict[str, int]:
    """The demo organization, afresh; returns its ids."""
    session.execute(t.organizations.delete().where(t.organizations.c.name == ORG))
    org = session.execute(t.organizations.insert().values(name=ORG).returning(t.organizations.c.id)).scalar_one()
    brand = session.execute(
        t.brands.insert()
        .values(org_id=org, name="Northwind", voice="the head roaster", tone="warm", target_platforms=["x", "linkedin"])
        .returning(t.brands.c.id)
    ).scalar_one()
    for url, kind, failures in (
        (f"{remote_url}/about", "website", 0),
        (f"{remote_url}/feed.xml", "rss", 0),
        (f"{remote_url}/gone", "website", 4),  # one more final failure makes it unhealthy
    ):
        session.execute(
            t.context_sources.insert().values(org_id=org, url=url, kind=kind, consecutive_failures=failures)
        )
    config = ContentConfig.model_validate({"CONTENT_TOKEN_KEY": token_key})
    account = session.execute(
        t.social_accounts.insert()
        .values(
            org_id=org,
            platform="x",
            handle="@northwind",
            access_token=tokens.seal(config, "demo-access-0"),
            refresh_token=tokens.seal(config, "demo-refresh-0"),
            expires_at=start + timedelta(minutes=50),
        )
        .returning(t.social_accounts.c.id)
    ).scalar_one()
    for n, (external, topic) in enumerate(zip(METRICS, ("winter blend", "roastery tours", "winter blend"))):
        session.execute(
            t.posts.insert().values(
                account_id=account, external_id=external, topic=topic, published_at=start - timedelta(hours=3 * n + 1)
            )
        )
    return {"org": org, "brand": brand, "account": account}


class ContentScene:
    def __init__(self, remote: ContentRemote, ids: dict[str, int], env: dict[str, str], narrator: ContentNarrator):
        self.remote, self.ids, self.env, self.narrator = remote, ids, env, narrator

    @classmethod
    def prepare(cls, app: Any, start: datetime, now: Any, console: Console) -> ContentScene:
        from cryptography.fernet import Fernet

        key = Fernet.generate_key().decode()
        remote = ContentRemote().start()
        with app.sessions.begin() as session:
            ids = seed(session, remote.url, start, key)
        env = {
            "DRAMATURG_SCRAPE_ALLOW_PRIVATE": "true",  # the demo's remotes are on 127.0.0.1
            "CONTENT_SOCIAL_API_BASE": remote.url,
            "CONTENT_OAUTH_TOKEN_URL": f"{remote.url}/oauth/token",
            "CONTENT_IMAGE_API_BASE": remote.url,
            "CONTENT_TOKEN_KEY": key,
        }
        narrator = ContentNarrator(app.engine, ids["org"], now, console).start()
        return cls(remote, ids, env, narrator)

    def kick(self, app: Any) -> None:
        """Submit the scene's jobs as the job API would (and the scheduled scrape, as a trigger)."""
        from scheduler.trigger import trigger_job

        for job_type, payload in (
            ("content.generate", {"brand_id": self.ids["brand"], "topic": "the winter blend is back"}),
            ("content.sync_analytics", {"account_id": self.ids["account"]}),
        ):
            target = resolve_type(app.broker, app.registry, job_type)
            submit(app, target, validate_payload(target, payload), org_id=None, acted_by="demo")
        trigger_job(app, "scrape-sources")

    def stop(self) -> None:
        self.narrator.stop()
        self.remote.stop()


class ContentNarrator:
    """Prints what the content jobs changed for the demo organization, once per row."""

    def __init__(self, engine: Any, org: int, now: Any, console: Console, interval: float = 1.0) -> None:
        self.engine, self.org, self.now, self.console, self.interval = engine, org, now, console, interval
        self.seen: set[tuple[str, object]] = set()
        self._stop = threading.Event()

    def start(self) -> ContentNarrator:
        threading.Thread(target=self._run, name="demo-content-narrator", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                with self.engine.connect() as conn:
                    lines = self.poll(conn)
                for line in lines:
                    self.console.print(line, soft_wrap=True)  # one line each, whole, for a log to grep
                if lines:
                    self.console.file.flush()  # a terminal or a log file shows them now, not at exit
            except sa.exc.SQLAlchemyError as exc:
                logger.debug("content narrator: %s", exc)

    def _new(self, kind: str, key: object) -> bool:
        if (kind, key) in self.seen:
            return False
        self.seen.add((kind, key))
        return True

    def poll(self, conn: Any) -> list[str]:
        at = f"[dim]{self.now():%Y-%m-%d %H:%M}[/]"
        lines = []
        items = conn.execute(
            sa.select(t.content_items)
            .join(t.content_requests, t.content_requests.c.id == t.content_items.c.request_id)
            .join(t.brands, t.brands.c.id == t.content_requests.c.brand_id)
            .where(t.brands.c.org_id == self.org)
        ).all()
        lines += [
            f"{at} ✍️  [green]content-generate[/] {r.platform} ({r.generator}): “{escape(r.body)}”"
            for r in items
            if self._new("item", r.id)
        ]
        sources = conn.execute(sa.select(t.context_sources).where(t.context_sources.c.org_id == self.org)).all()
        by_id = {s.id: s for s in sources}
        for s in sources:
            if s.status == "unhealthy" and self._new("unhealthy", s.id):
                lines.append(
                    f"{at} 🚫 source {escape(s.url)} [bold red]unhealthy[/] after {s.consecutive_failures} "
                    f"failures in a row ({escape(s.last_error or '')}); scheduled scrapes skip it"
                )
        stored = conn.execute(sa.select(t.context_items).where(t.context_items.c.source_id.in_(by_id))).all()
        lines += [
            f"{at} 📰 [cyan]{by_id[r.source_id].kind}[/] stored “{escape(r.title or r.key)}”"
            for r in stored
            if self._new("context", r.id)
        ]
        deferred = conn.execute(
            sa.text(
                "SELECT id, error FROM dramaturg.job_history WHERE job_name = 'content.sync_analytics' "
                "AND attempt_log::text LIKE '%not counted as a retry%'"
            )
        ).all()
        lines += [
            f"{at} ⏸  [yellow]sync-analytics[/] got 429 Retry-After 120: re-scheduled without spending a retry"
            for r in deferred
            if self._new("deferred", r.id)
        ]
        learned = conn.execute(sa.select(t.brand_learnings).where(t.brand_learnings.c.org_id == self.org)).all()
        lines += [
            f"{at} 📈 learning [bold]{r.kind}[/]: {escape(str(r.value))}"
            for r in learned
            if self._new("learning", (r.kind, str(r.value)))
        ]
        return lines
