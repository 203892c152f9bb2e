"""decay end to end: whole overdue hours charged once, per chapter, capped, floored, caught up."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from scheduler.trigger import trigger_job
from tests.conftest import T0
from tests.integration.game.conftest import make_user, row, rows, run_job, settle

H = timedelta(hours=1)
GRACE = {1: 8, 2: 16, 3: 24, 4: 48, 5: 72}
RATE = {1: Decimal("0.80"), 2: Decimal("0.60"), 3: Decimal("0.40"), 4: Decimal("0.30"), 5: Decimal("0.20")}


def _score(raw, user):
    return row(raw, "SELECT score, game_status FROM game.users WHERE id = %s", user)


def _decays(raw, user):
    return rows(
        raw,
        "SELECT score_before, score_after, delta, decay_hour FROM game.score_history "
        "WHERE user_id = %s AND event_type = 'decay' ORDER BY id",
        user,
    )


def _run(app, raw, **kw):
    return run_job(app, raw, "decay", **kw)


def test_each_chapter_charges_its_rate_one_whole_hour_past_grace_and_nothing_just_inside(app, worker, raw):
    # Given, per chapter, a player one whole hour past grace and one 59 minutes past it
    past = {c: make_user(raw, chapter=c, idle=timedelta(hours=g) + H) for c, g in GRACE.items()}
    inside = {c: make_user(raw, chapter=c, idle=timedelta(hours=g, minutes=59)) for c, g in GRACE.items()}
    # When decay runs
    result = _run(app, raw)
    # Then only the overdue players were fanned out, each charged its chapter's rate once
    assert result["status"] == "succeeded" and result["items_processed"] == 5
    for chapter, user in past.items():
        assert _score(raw, user) == (Decimal("50.00") - RATE[chapter], "active")
        assert _decays(raw, user)[0][3] == T0
    # And players within grace (or short of a whole overdue hour) keep their score
    for user in inside.values():
        assert _score(raw, user) == (Decimal("50.00"), "active") and _decays(raw, user) == []


def test_one_run_charges_at_most_20_points_and_forgives_the_rest(app, worker, raw, clock):
    # Given a chapter-1 player 100 hours overdue (80 points owed)
    user = make_user(raw, chapter=1, idle=timedelta(hours=108))
    # When decay runs
    _run(app, raw)
    # Then 20 points are charged and the watermark moves past every overdue hour
    assert _score(raw, user)[0] == Decimal("30.00")
    assert _decays(raw, user) == [(Decimal("50.00"), Decimal("30.00"), Decimal("-20.00"), T0)]
    # When an hour later decay runs again
    clock.advance(H)
    _run(app, raw)
    # Then only the one new hour is charged: forgiven hours are not carried over
    assert _score(raw, user)[0] == Decimal("29.20")


def test_score_stops_at_zero_and_the_game_is_over(app, worker, raw):
    # Given a player with 1 point, 5 hours overdue in chapter 1 (4 points owed)
    user = make_user(raw, chapter=1, score=1, idle=timedelta(hours=13))
    # When decay runs
    _run(app, raw)
    # Then the score is floored at 0, the game is over and both events are recorded
    assert _score(raw, user) == (Decimal("0.00"), "game_over")
    assert [
        r[0] for r in rows(raw, "SELECT event_type FROM game.score_history WHERE user_id = %s ORDER BY id", user)
    ] == [
        "decay",
        "decay_game_over",
    ]


def test_triggering_twice_for_the_same_hour_charges_once(app, worker, raw):
    # Given a player 2 hours overdue
    user = make_user(raw, chapter=2, idle=timedelta(hours=18))
    # When decay is triggered twice in the same hour
    first, second = _run(app, raw), _run(app, raw)
    # Then the second run fans out nothing and the hours are charged once
    assert (first["items_processed"], second["items_processed"]) == (1, 0)
    assert _score(raw, user)[0] == Decimal("48.80") and len(_decays(raw, user)) == 1


def test_overlapping_runs_for_two_hours_charge_each_hour_once(app, worker, raw, clock):
    # Given a player one hour overdue at T0, and the clock two hours later
    user = make_user(raw, chapter=1, idle=timedelta(hours=9))
    clock.set(T0 + 2 * H)
    # When the runs for both missed hours are enqueued together and overlap
    ids = [
        trigger_job(app, "decay", at=T0 + H, replay=True),
        trigger_job(app, "decay", at=T0 + 2 * H, replay=True),
    ]
    for run_id in ids:
        assert settle(app, raw, run_id)["status"] == "succeeded"
    # Then the three overdue hours are charged exactly once in total, whatever the order
    assert _score(raw, user)[0] == Decimal("47.60")
    assert sum(-d[2] for d in _decays(raw, user)) == Decimal("2.40")


def test_catch_up_after_missed_hours_applies_them_once(app, worker, raw, clock):
    # Given a player charged for their first overdue hour at T0
    user = make_user(raw, chapter=1, idle=timedelta(hours=9))
    _run(app, raw)
    assert _score(raw, user)[0] == Decimal("49.20")
    # When three hours pass without a run, then decay runs (twice)
    clock.advance(3 * H)
    _run(app, raw)
    _run(app, raw)
    # Then the three missed hours are charged once
    assert _score(raw, user)[0] == Decimal("46.80")
    assert [d[3] for d in _decays(raw, user)] == [T0, T0 + 3 * H]


def test_players_not_active_are_never_decayed(app, worker, raw):
    # Given long-idle players in a boss fight, who won, or whose game is over
    users = [make_user(raw, status=s, idle=timedelta(hours=100)) for s in ("boss_fight", "won", "game_over")]
    # When decay runs
    result = _run(app, raw)
    # Then nobody is charged
    assert result["items_processed"] == 0
    assert all(_decays(raw, u) == [] for u in users)


class TestChunkedDecay:
    @pytest.fixture
    def settings_overrides(self, settings_overrides) -> dict:
        return {**settings_overrides, "GAME_DECAY_CHUNK": "2"}

    def test_players_in_chunks_are_each_charged_once_however_often_decay_runs(self, app, worker, raw):
        # Given five overdue players, one per chapter, and decay fanning out two per message
        users = {c: make_user(raw, chapter=c, idle=timedelta(hours=g) + H) for c, g in GRACE.items()}
        # When decay runs twice in the same hour
        first, second = _run(app, raw), _run(app, raw)
        # Then the first sent three messages (2 + 2 + 1 players) and the second none
        assert (first["items_processed"], second["items_processed"]) == (3, 0)
        # And every player was charged its chapter's rate exactly once
        for chapter, user in users.items():
            assert _score(raw, user) == (Decimal("50.00") - RATE[chapter], "active")
            assert len(_decays(raw, user)) == 1
