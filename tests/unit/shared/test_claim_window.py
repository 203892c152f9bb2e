"""The claim window follows the consumer's pace: Dramatiq's 2 × threads for slow jobs, wider for fast ones."""

from __future__ import annotations

from shared.claim_window import HORIZON, MOST, SAMPLE, ClaimWindow


def _run(window: ClaimWindow, per_second: float, seconds: float, start: float = 0.0) -> float:
    """Report outcomes at ``per_second`` for ``seconds``, in cycles of 10 ms; returns the end time."""
    t, owed = start, 0.0
    while t < start + seconds:
        t += 0.01
        owed += per_second * 0.01
        done = int(owed)
        owed -= done
        window.observe(done, t)
    return t


def test_slow_jobs_keep_dramatiqs_prefetch():
    window = ClaimWindow(16)
    _run(window, per_second=8, seconds=3)  # 8 threads on 1 s jobs
    assert window.size == 16 and window.refill_at == 8


def test_fast_jobs_widen_the_window_up_to_its_limit():
    window = ClaimWindow(16)
    _run(window, per_second=5000, seconds=3)
    assert window.size == MOST and window.refill_at == MOST // 2


def test_the_window_holds_about_the_horizon_of_the_pace():
    window = ClaimWindow(4)
    _run(window, per_second=800, seconds=5)
    assert abs(window.size - 800 * HORIZON) <= 2


def test_a_queue_that_slows_down_narrows_again():
    window = ClaimWindow(16)
    t = _run(window, per_second=5000, seconds=2)
    assert window.size == MOST
    _run(window, per_second=0, seconds=10 * SAMPLE, start=t)
    assert window.size == 16


def test_a_fixed_window_never_moves():
    window = ClaimWindow(16, fixed=True)
    _run(window, per_second=5000, seconds=2)
    assert window.size == 16
