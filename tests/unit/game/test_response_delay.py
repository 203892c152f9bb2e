"""Follow-up delays by chapter, and the game configuration's parsing."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from actors.game.config import load_game_config
from actors.game.responses import response_delay
from shared.errors import ConfigError

CFG = load_game_config({})


@pytest.mark.parametrize("chapter, low, high", [(1, 2, 5), (2, 1, 3), (3, 1, 2), (4, 0, 1), (5, 0, 0)])
def test_delay_stays_within_the_chapters_range(chapter, low, high):
    rng = random.Random(chapter)
    delays = [response_delay(chapter, CFG, rng) for _ in range(200)]
    assert all(timedelta(minutes=low) <= d <= timedelta(minutes=high) for d in delays)


def test_chapter_5_answers_at_once():
    assert response_delay(5, CFG, random.Random(1)) == timedelta(0)


def test_unknown_chapter_is_refused():
    with pytest.raises(ValueError):
        response_delay(6, CFG)


def test_per_chapter_values_are_comma_separated_and_errors_name_the_variable():
    assert load_game_config({"GAME_GRACE_HOURS": "1,2,3,4,5"}).grace_hours == (1, 2, 3, 4, 5)
    with pytest.raises(ConfigError, match="GAME_GRACE_HOURS"):
        load_game_config({"GAME_GRACE_HOURS": "1,2"})
    with pytest.raises(ConfigError, match="GAME_DECAY_CAP"):
        load_game_config({"GAME_DECAY_CAP": "-1"})
