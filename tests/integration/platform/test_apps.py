"""Opt-in apps: a disabled domain's jobs are neither scheduled nor triggerable, and say which app to enable."""

from __future__ import annotations

import pytest

from scheduler.schedule import build_schedule
from scheduler.trigger import trigger_job
from shared.errors import ConfigError, UnknownJob
from shared.runtime import build_app
from shared.settings import load_settings
from tests.support.registry import import_every_domain

MAINTENANCE = {"prune-history", "prune-queue"}


@pytest.fixture
def build(db_url, clock):
    built = []

    def make(**env: str):
        values = {"DATABASE_URL": db_url, **env}
        app = build_app(load_settings(values), clock=clock, environ=values)
        built.append(app)
        return app

    yield make
    for app in built:
        app.close()


def _declared_here(app) -> set[str]:
    """The App's jobs, leaving out those other test modules of this session declared for themselves."""
    return {name for name, spec in app.registry.jobs.items() if not spec.actor.fn_impl.__module__.startswith("tests.")}


def test_without_apps_only_the_platforms_jobs_are_loaded(build):
    # Given every domain's actors declared in this process (other tests imported them)
    import_every_domain()
    # When an App is built with no app enabled (the default)
    app = build()
    # Then its registry and schedule hold the built-in maintenance jobs only
    assert _declared_here(app) == MAINTENANCE
    assert set(build_schedule(app.settings, app.registry.jobs)) & _declared_here(app) == MAINTENANCE


def test_enabled_apps_bring_their_jobs_and_only_theirs(build):
    app = build(DRAMATURG_APPS="tasks")
    assert _declared_here(app) == MAINTENANCE | {"recurring-tasks", "reminders", "overdue-scan"}
    assert "decay" not in app.registry and "example-touch" not in app.registry


def test_the_content_app_brings_its_cron_jobs_and_actors_on_its_own_queues(build):
    app = build(DRAMATURG_APPS="content")
    assert _declared_here(app) == MAINTENANCE | {"scrape-sources", "sync-analytics", "refresh-tokens"}
    schedules = {name: app.registry.jobs[name].schedule for name in _declared_here(app) - MAINTENANCE}
    assert schedules == {"scrape-sources": "0 */6 * * *", "sync-analytics": "0 * * * *", "refresh-tokens": "45 * * * *"}
    queues = {a.actor_name: a.queue_name for a in app.broker.actors.values() if a.actor_name.startswith("content.")}
    assert {q for q in queues.values()} == {
        "cron",
        "content-generation",
        "context-scraping",
        "analytics-sync",
        "content-support",
    }
    assert queues["content.generate"] == "content-generation" and queues["content.sync_analytics"] == "analytics-sync"
    # And its queues' cluster-wide caps and leases (spec 002: 10 / 5 min, 30 / 2 min, 60 / 3 min)
    limits = {q: (lim.concurrency, lim.lease_seconds) for q, lim in app.broker.limited_queues().items()}
    assert {q: limits.get(q) for q in ("content-generation", "context-scraping", "analytics-sync")} == {
        "content-generation": (10, 300),
        "context-scraping": (30, 120),
        "analytics-sync": (60, 180),
    }


def test_a_disabled_apps_job_cannot_be_triggered_and_the_error_names_the_app(build, raw):
    # Given the task app enabled, the game not
    app = build(DRAMATURG_APPS="tasks")
    # When the game's decay is triggered
    # Then it is refused, naming the app to enable, and nothing is enqueued
    with pytest.raises(UnknownJob, match="job 'decay' belongs to the app 'game', which is not enabled.*DRAMATURG_APPS"):
        trigger_job(app, "decay")
    with raw.cursor() as cur:
        cur.execute("SELECT count(*) FROM dramatiq.queue")
        assert cur.fetchone()[0] == 0


def test_a_setting_for_a_disabled_apps_job_says_apps_are_off(build):
    app = build(DRAMATURG_JOB_DECAY_SCHEDULE="15 * * * *")
    with pytest.raises(ConfigError, match="no job named 'decay'.*apps not in DRAMATURG_APPS"):
        build_schedule(app.settings, app.registry.jobs)


def test_a_disabled_apps_settings_are_not_validated(build):
    # A domain's own variables matter only where the domain is on: a bad one cannot stop the platform.
    app = build(GAME_DECAY_CAP="not a number")
    assert _declared_here(app) == MAINTENANCE
