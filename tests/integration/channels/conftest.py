"""Fixtures for channel-client tests: a loopback HTTP sink and a secret-leak check."""

from __future__ import annotations

import traceback

import pytest

from tests.support.http_sink import sink_fixture

sink = pytest.fixture(sink_fixture)


@pytest.fixture
def assert_redacted():
    """Return a checker: no secret in ``str``, ``repr`` or the formatted traceback of ``exc``."""

    def check(exc: BaseException, *secrets: str) -> None:
        text = str(exc) + repr(exc) + "".join(traceback.format_exception(exc))
        for secret in secrets:
            assert secret not in text, f"secret leaked: {text}"

    return check
