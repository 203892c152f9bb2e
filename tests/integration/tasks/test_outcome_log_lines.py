"""The outcome log lines name what a run touched, at INFO: the cron run's fanned-out entities, the child's
entity and the instance it created."""

from __future__ import annotations

import io
import logging

from scheduler.trigger import trigger_job, wait_for_run
from shared.logging_setup import log_handler
from tests.conftest import T0
from tests.integration.tasks.conftest import rows


def test_recurring_tasks_outcome_lines_carry_the_task_ids(app, worker, raw, make_task):
    # Given a completed daily task, and the worker's log lines as a process writes them
    parent = make_task(due_date=T0, completed=True, is_recurring=True, recurrence_type="daily")
    stream = io.StringIO()
    handler = log_handler(app.settings, stream=stream)
    handler.setLevel(logging.INFO)
    outcome_logger = logging.getLogger("shared.middleware.job_history")
    outcome_logger.addHandler(handler)
    previous = outcome_logger.level
    outcome_logger.setLevel(logging.INFO)
    try:
        # When the job runs
        run_id = trigger_job(app, "recurring-tasks")
        row = wait_for_run(app, run_id, timeout=30)
    finally:
        outcome_logger.removeHandler(handler)
        outcome_logger.setLevel(previous)
    assert row["status"] == "succeeded"
    [child] = rows(raw, "SELECT id FROM tasks.tasks WHERE parent_task_id = %s", (parent,))
    lines = stream.getvalue().splitlines()
    # Then the cron run's line names the task it fanned out to
    cron_line = next(line for line in lines if f"run={run_id} " in line and "succeeded" in line)
    assert f"entities={parent}" in cron_line and " INFO " in cron_line
    # And the child's line names its task and the new instance, at INFO
    child_line = next(line for line in lines if f"created_task_id={child['id']}" in line)
    assert f"entities=task_id={parent}" in child_line and " INFO " in child_line
