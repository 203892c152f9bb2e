"""The soak's bars (issue 13) from its samples, and the Markdown it prints (see :mod:`bench.soak`).

What "bounded" means here: the peak of the second half is at most 1.25 × the
peak of the first (dead tuples), the size at the end at most 1.25 × the size at
half-time (the table with its indexes and TOAST; autovacuum makes space
reusable but never gives it back, so a bounded table plateaus). RSS growth is
counted from the end of the first minute, once imports, pools and claim windows
are in place; growth from the first sample is shown beside it.
"""

from __future__ import annotations

import argparse
import os
from typing import Any


def _rate(samples: list[dict[str, Any]]) -> float:
    return sum(s["processed"] for s in samples) / sum(s["seconds"] for s in samples)


def bars(result: dict[str, Any], minutes: float) -> list[tuple[str, str, str, bool]]:
    """(figure, measured, bar, met) for each bar of the issue."""
    samples = result["samples"]
    end = minutes * 60
    first = [s for s in samples if s["t"] <= 60.5]
    last = [s for s in samples if s["t"] > end - 59.5]
    first_rate, last_rate = _rate(first), _rate(last)
    warm_rss = first[-1]["rss"]  # after the first minute: imports, pools and claim windows are in place
    end_rss = samples[-1]["rss"]
    half = [s for s in samples if s["t"] <= end / 2]
    second = [s for s in samples if s["t"] > end / 2]
    dead_1, dead_2 = max(s["dead"] for s in half), max(s["dead"] for s in second)
    size_half, size_end = half[-1]["size"], samples[-1]["size"]
    st = result["status"]
    mb = 2**20
    return [
        (
            "processed/s, last minute vs first",
            f"{last_rate:.0f} vs {first_rate:.0f} ({last_rate / first_rate:.0%})",
            "≥ 90 %",
            last_rate >= 0.9 * first_rate,
        ),
        (
            "worker RSS, end vs end of the first minute (first sample)",
            f"{end_rss / mb:.1f} MB vs {warm_rss / mb:.1f} MB ({end_rss / warm_rss - 1:+.1%}; "
            f"{end_rss / samples[0]['rss'] - 1:+.1%} from {samples[0]['rss'] / mb:.1f} MB)",
            "< +10 %",
            end_rss < 1.1 * warm_rss,
        ),
        (
            "queue dead tuples, peak of the second half vs the first",
            f"{dead_2:,} vs {dead_1:,}",
            "bounded (≤ 1.25 ×)",
            dead_2 <= 1.25 * max(dead_1, 1),
        ),
        (
            "queue table size (with indexes and TOAST), end vs half-time",
            f"{size_end / mb:.1f} MB vs {size_half / mb:.1f} MB",
            "bounded (≤ 1.25 ×)",
            size_end <= 1.25 * size_half,
        ),
        (
            "`dramaturg status`, cold process (wall, median; max)",
            f"{st['cold_wall'] * 1000:.0f} ms; {st['cold_wall_max'] * 1000:.0f} ms (CPU {st['cold_cpu'] * 1000:.0f} ms)",
            "< 200 ms",
            st["cold_wall"] < 0.2,
        ),
        (
            "status queries in-process (warm, median; max)",
            f"{st['warm'] * 1000:.1f} ms; {st['warm_max'] * 1000:.1f} ms",
            "< 200 ms",
            st["warm"] < 0.2,
        ),
    ]


def report(result: dict[str, Any], args: argparse.Namespace, steady: float, share: float, autovacuum: bool) -> str:
    """The bars as a Markdown table, then what else the run saw (rates, cron runs, autovacuum, load)."""
    samples = result["samples"]
    lines = [
        "| figure | measured | bar | met |",
        "|---|---|---|---|",
        *(f"| {f} | {m} | {b} | {'met' if ok else 'not met'} |" for f, m, b, ok in bars(result, args.minutes)),
        "",
        f"- steady rate {steady:.0f}/s ({'measured' if not args.rate else 'given'}); producer aimed at "
        f"{share * steady:.0f}/s and sent {result['sent_rate']:.0f}/s; backlog at the end {samples[-1]['backlog']:,}, "
        f"peak {max(s['backlog'] for s in samples):,}",
        f"- cron runs: {', '.join(f'{k} ×{n} ({items or 0:,} items)' for k, (n, items) in result['runs'].items())}",
        f"- queue table: peak {max(s['live'] for s in samples):,} live rows, autovacuum ran "
        f"{samples[-1]['autovacuums']} times, autoanalyze {samples[-1]['autoanalyzes']}",
        f"- load average {' '.join(f'{x:.2f}' for x in result['load_before'])} at the start, "
        f"{' '.join(f'{x:.2f}' for x in result['load_after'])} at the end, {os.cpu_count()} cores",
        *(
            [
                f"- any Python process under the same load, for comparison with the cold `status`: "
                f"`python -c pass` {st['bare_python_wall'] * 1000:.0f} ms, "
                f"`python -c 'import psycopg2, pydantic_settings'` {st['least_imports_wall'] * 1000:.0f} ms (wall, medians)"
            ]
            if "bare_python_wall" in (st := result["status"])
            else []
        ),
        f"- server: {'--server ' + args.server if args.server else 'embedded PostgreSQL'}, autovacuum "
        f"{'on' if autovacuum else 'OFF (dead tuples are then only reclaimed by the prune and by nothing else)'}",
    ]
    return "\n".join(lines)
