"""The challenge app's jobs in the schedule table: declared schedules, enable/disable flags, manual runs."""

from __future__ import annotations

import pytest

from scheduler.schedule import build_schedule
from scheduler.trigger import trigger_job, wait_for_run
from shared.settings import load_settings
from tests.support.registry import declared_jobs

JOBS = {
    "auto-complete-challenges": "0 0 * * *",
    "refresh-stats": "0 * * * *",
    "streak-reminders": "*/15 * * * *",
    "notification-cleanup": "15 0 * * *",
}


def _enabled_var(job: str) -> str:
    return f"DRAMATURG_JOB_{job.upper().replace('-', '_')}_ENABLED"


@pytest.mark.parametrize(("job", "schedule"), JOBS.items())
def test_job_is_declared_enabled_on_its_schedule(job, schedule):
    entry = build_schedule(load_settings({}), declared_jobs().jobs)[job]
    assert entry.enabled and str(entry.cron) == schedule


def test_auto_complete_runs_at_midnight_utc_whatever_the_default_zone():
    entry = build_schedule(load_settings({"DRAMATURG_TIMEZONE": "Asia/Tokyo"}), declared_jobs().jobs)[
        "auto-complete-challenges"
    ]
    assert entry.zone.key == "UTC"


@pytest.mark.parametrize("job", JOBS)
def test_enabled_false_disables_the_job(job):
    # Given DRAMATURG_JOB_<NAME>_ENABLED=false; Then the schedule table has the job disabled
    assert build_schedule(load_settings({_enabled_var(job): "false"}), declared_jobs().jobs)[job].enabled is False


@pytest.fixture
def settings_overrides() -> dict:
    return {_enabled_var(job): "false" for job in JOBS}


@pytest.mark.parametrize("job", JOBS)
def test_a_disabled_job_can_still_be_triggered_by_hand(app, worker, job):
    # Given the job is disabled for cron
    assert build_schedule(app.settings, app.registry.jobs)[job].enabled is False
    # When it is triggered by hand; Then it runs
    row = wait_for_run(app, trigger_job(app, job), timeout=20)
    assert row["status"] == "succeeded" and row["trigger"] == "manual"
