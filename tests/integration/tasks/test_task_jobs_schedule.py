"""The task app's jobs in the schedule table: declared schedules, enable/disable flags, manual runs."""

from __future__ import annotations

import pytest

from scheduler.schedule import build_schedule
from scheduler.trigger import trigger_job, wait_for_run
from shared.settings import load_settings
from tests.support.registry import declared_jobs

JOBS = {"recurring-tasks": "*/5 * * * *", "reminders": "* * * * *", "overdue-scan": "*/15 * * * *"}


@pytest.mark.parametrize(("job", "schedule"), JOBS.items())
def test_job_is_declared_enabled_on_its_schedule(job, schedule):
    entry = build_schedule(load_settings({}), declared_jobs().jobs)[job]
    assert entry.enabled and str(entry.cron) == schedule


@pytest.mark.parametrize("job", JOBS)
def test_enabled_false_disables_the_job(job):
    # Given DRAMATURG_JOB_<NAME>_ENABLED=false
    var = f"DRAMATURG_JOB_{job.upper().replace('-', '_')}_ENABLED"
    settings = load_settings({var: "false"})
    # Then the schedule table has the job disabled
    assert build_schedule(settings, declared_jobs().jobs)[job].enabled is False


@pytest.fixture
def settings_overrides(sink) -> dict:
    from tests.integration.tasks.conftest import CHAT_PATH

    return {
        "CHAT_WEBHOOK_URL": sink.url + CHAT_PATH,
        **{f"DRAMATURG_JOB_{job.upper().replace('-', '_')}_ENABLED": "false" for job in JOBS},
    }


@pytest.mark.parametrize("job", JOBS)
def test_a_disabled_job_can_still_be_triggered_by_hand(app, worker, job):
    # Given the job is disabled for cron
    assert build_schedule(app.settings, app.registry.jobs)[job].enabled is False
    # When it is triggered by hand; Then it runs
    row = wait_for_run(app, trigger_job(app, job), timeout=20)
    assert row["status"] == "succeeded" and row["trigger"] == "manual"
