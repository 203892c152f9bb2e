"""The connection budget per process: pool + 1 LISTEN + 1 per consumed queue."""

from __future__ import annotations

import pytest

from shared.budget import pool_limits, pool_max, process_connections
from shared.errors import ConfigError
from shared.settings import load_settings


def test_by_default_the_pool_keeps_threads_plus_4_and_as_many_again_on_demand():
    settings = load_settings({"DRAMATURG_WORKER_THREADS": "8"})
    assert pool_limits(settings) == (12, 12)
    assert process_connections(settings, 7) == 24 + 1 + 7


def test_a_set_pool_size_is_a_hard_cap():
    settings = load_settings({"DRAMATURG_DB_POOL_SIZE": "6"})
    assert pool_limits(settings) == (6, 0) and pool_max(settings) == 6
    assert process_connections(settings, 3) == 6 + 1 + 3


def test_a_process_that_consumes_no_queue_counts_only_its_pool():
    settings = load_settings({"DRAMATURG_DB_POOL_SIZE": "4"})
    assert process_connections(settings) == 4


@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_an_invalid_pool_size_names_the_variable(value):
    with pytest.raises(ConfigError, match="DRAMATURG_DB_POOL_SIZE"):
        load_settings({"DRAMATURG_DB_POOL_SIZE": value})
