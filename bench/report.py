"""Write bench/RESULTS.md: the machine, versions, the command, a table of medians (min–max), the issue's bars, and bench/NOTES.md."""

from __future__ import annotations

import os
import platform
import statistics
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from bench import systems


def _versions() -> str:
    names = (
        "dramatiq",
        "dramatiq-pg",
        "psycopg2-binary",
        "SQLAlchemy",
        "redis",
        "pgqueuer",
        "procrastinate",
        "psycopg",
    )
    out = []
    for name in names:
        try:
            out.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(f"{name} (not installed)")
    return ", ".join(out)


def _machine(server: str) -> str:
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    pg = systems.scalar(server, "SHOW server_version")
    return f"{os.cpu_count()} cores, {ram:.0f} GiB RAM, PostgreSQL {pg}, Python {platform.python_version()}"


def _med(values, key=None):
    vals = [v[key] if key else v for v in values if (v[key] if key else v) is not None] if values else []
    if not vals:
        return None, "n/a"
    m = statistics.median(vals)
    fmt = (lambda v: f"{v:,.1f}") if m < 100 else (lambda v: f"{v:,.0f}")
    spread = f" ({fmt(min(vals))}–{fmt(max(vals))})" if len(vals) > 1 else ""
    return m, fmt(m) + spread


def _table(results: dict) -> list[str]:
    F, names, size = results["figures"], results["systems"], results["size"]
    cols = names + ["raw"]
    rows = ["| figure | " + " | ".join(names + ["raw PG ceiling"]) + " |", "|" + "---|" * (len(cols) + 1)]

    def row(label, fig, key=None, only=None):
        cells = [_med(F.get(fig, {}).get(s), key)[1] if only is None or s in only else "n/a" for s in cols]
        rows.append(f"| {label} | " + " | ".join(cells) + " |")

    row("single enqueue /s", "single_enqueue")
    row(
        f"bulk enqueue /s ({size['bulk']:,}; stock, redis: one-by-one over {size['bulk_oneby']:,}; raw: COPY)",
        "bulk_enqueue",
    )
    row("  raw multi-row INSERT … VALUES (10,000 rows each) /s", "bulk_enqueue_values")
    row(f"drain /s of a {size['drain']:,} backlog (raw: 1 thread, claim 100 + ack)", "drain")
    row("steady processed /s with a concurrent producer", "steady", "processed_per_s")
    row("  producer sends /s meanwhile", "steady", "produced_per_s")
    for p in ("p50", "p95", "p99"):
        row(f"enqueue→start latency {p} ms at 50 msg/s", "latency", p)
    for n in [0] + size["backlogs"]:
        row(f"worker RSS MiB, {n:,} queued", "footprint", f"rss_{n}")
    for n in [0] + size["backlogs"]:
        row(f"advisory locks held, {n:,} queued", "footprint", f"locks_{n}")
    row("rescue after kill -9, s (lease 30 s)", "rescue")
    row("rescue after kill -9, s (lease 5 s)", "rescue_lease5")
    return rows


def _n(v) -> str:
    return "n/a" if v is None else f"{v:,.0f}"


def _bars(results: dict) -> list[tuple[str, str, str]]:
    F, size = results["figures"], results["size"]

    def med(fig, s, key=None):
        return _med(F.get(fig, {}).get(s), key)[0]

    def x(a, b):
        return f"{a / b:.1f}×" if a and b else "n/a"

    def verdict(ok):
        return "n/a" if ok is None else ("**met**" if ok else "**not met**")

    def best(fig, among, key=None):
        vals = [(med(fig, s, key), s) for s in among if med(fig, s, key)]
        return max(vals) if vals else (None, None)

    bars = []
    for fig, key, label, rivals in (
        ("drain", None, "drain", ("pgqueuer", "procrastinate")),
        ("steady", "processed_per_s", "steady", ("pgqueuer", "procrastinate", "redis")),
    ):
        d, s_ = med(fig, "dramaturg", key), med(fig, "stock", key)
        bars.append(
            (
                f"{label} ≥ 10× stock dramatiq-pg",
                f"{x(d, s_)} ({_n(d)} vs {_n(s_)} /s)",
                verdict(d / s_ >= 10 if d and s_ else None),
            )
        )
        b, who = best(fig, rivals, key)
        bars.append(
            (
                f"{label} ahead of the best of {' / '.join(rivals)}",
                f"{_n(d)} vs {who} {_n(b)} /s",
                verdict(d > b if d and b else None),
            )
        )
    d, s_ = med("single_enqueue", "dramaturg"), med("single_enqueue", "stock")
    bars.append(
        (
            "single send ≥ stock dramatiq-pg's one-by-one send",
            f"{_n(d)} vs {_n(s_)} /s ({x(d, s_)})",
            verdict(d >= s_ if d and s_ else None),
        )
    )
    d, copy = med("bulk_enqueue", "dramaturg"), med("bulk_enqueue", "raw")
    bars.append(
        (
            "bulk within 1.25× of raw COPY into the same table",
            f"raw COPY / dramaturg = {copy / d:.2f}× ({_n(copy)} vs {_n(d)} /s)" if d and copy else "n/a",
            verdict(copy / d <= 1.25 if d and copy else None),
        )
    )
    drain = med("drain", "dramaturg")
    for fig, procs in (("fan_out", 1), ("fan_out_2", 2), ("fan_out_4", 4)):
        cps = med(fig, "dramaturg", "children_per_s")
        bars.append(
            (
                f"fan-out of {size['fanout']:,} ≥ 50 % of the no-op drain ({procs} worker process{'es' if procs > 1 else ''})",
                f"{cps / drain:.0%} ({_n(cps)} children/s vs drain {_n(drain)} /s)" if cps and drain else "n/a",
                verdict(cps / drain >= 0.5 if cps and drain else None),
            )
        )
    floor = (F.get("fan_out", {}).get("raw") or [None])[0]
    if floor and drain:
        bars.append(
            (
                f"ceiling, not a bar: the same children's SQL with no framework ({floor['processes']} raw "
                "psycopg2 processes, bench/child_floor.py) against the drain",
                f"{floor['per_s'] / drain:.0%} ({_n(floor['per_s'])} children/s, CPU {floor['busy']:.0%} busy)",
                "reference",
            )
        )
    eps = med("fan_out_chunked", "dramaturg", "children_per_s")
    if eps:
        bars.append(
            (
                f"the same {size['fanout']:,} users with chunk={F['fan_out_chunked']['dramaturg'][0]['chunk']} "
                "(users/s, 1 worker process) ≥ 50 % of the drain",
                f"{eps / drain:.0%} ({_n(eps)} users/s vs drain {_n(drain)} /s)" if drain else "n/a",
                verdict(eps / drain >= 0.5 if drain else None),
            )
        )
    parent = med("fan_out", "dramaturg", "parent_s")
    bars.append(
        (
            f"the parent's select + enqueue of {size['fanout']:,} ≤ 2 s",
            f"{parent:.1f} s" if parent is not None else "n/a",
            verdict(parent <= 2 if parent is not None else None),
        )
    )
    d, s_ = med("latency", "dramaturg", "p99"), med("latency", "stock", "p99")
    bars.append(
        (
            "latency p99 at 50 msg/s ≤ stock's",
            f"{d:.1f} ms vs {s_:.1f} ms" if d and s_ else "n/a",
            verdict(d <= s_ if d and s_ else None),
        )
    )
    top = size["backlogs"][-1]
    e, b = med("footprint", "dramaturg", "rss_0"), med("footprint", "dramaturg", f"rss_{top}")
    bars.append(
        (
            f"RSS with {top:,} queued ≤ 1.2× RSS empty",
            f"{x(b, e)} ({b and round(b)} vs {e and round(e)} MiB)",
            verdict(b / e <= 1.2 if b and e else None),
        )
    )
    lk = max((med("footprint", "dramaturg", f"locks_{n}") or 0) for n in [0] + size["backlogs"])
    bars.append(("advisory locks ≤ worker threads (8)", f"at most {lk:.0f}", verdict(lk <= 8)))
    r30, r5 = med("rescue", "dramaturg"), med("rescue_lease5", "dramaturg")
    shown = ", ".join(f"{r:.1f} s (lease {lease})" for r, lease in ((r30, 30), (r5, 5)) if r)
    bars.append(
        (
            "rescue after kill -9 ≤ lease + 5 s",
            shown or "n/a",
            verdict(all(checks) if (checks := [r <= lim for r, lim in ((r30, 35), (r5, 10)) if r]) else None),
        )
    )
    return bars


def _fanout_line(results: dict) -> str:
    F = results["figures"]
    runs = [
        (p, (F.get(fig, {}).get("dramaturg") or [None])[0])
        for fig, p in (("fan_out", 1), ("fan_out_2", 2), ("fan_out_4", 4))
    ]
    runs = [(p, f) for p, f in runs if f]
    if not runs:
        return "Fan-out: not measured."
    each = "; ".join(
        f"{p} process{'es' if p > 1 else ''}: {f['fan_out_s']:.1f} s ({f['children_per_s']:,.0f} children/s, "
        f"the parent's select + enqueue {f['parent_s']:.1f} s, rows changed {f['changed']:,})"
        for p, f in runs
    )
    return (
        f"Fan-out end to end through the platform (a `@cron_job` triggered with `trigger_job`, "
        f"{results['size']['fanout']:,} `@item_actor` children each doing its UPDATE and its idempotency marker in "
        f"one statement in its own transaction, job_history rows for the run and every child, `dramaturg worker` "
        f"processes with 8 threads each): {each}; the same change as one set-based UPDATE: "
        f"{runs[0][1]['set_update_s']:.2f} s." + _chunked_line(F)
    )


def _chunked_line(F: dict) -> str:
    run = (F.get("fan_out_chunked", {}).get("dramaturg") or [None])[0]
    if not run:
        return ""
    return (
        f" The same users with `fan_out(..., chunk={run['chunk']})` ({run['messages']:,} messages, the child's "
        f"function run per user, the {run['chunk']} in the message's one transaction, one history row per "
        f"message), 1 process: {run['fan_out_s']:.1f} s ({run['children_per_s']:,.0f} users/s, the parent's "
        f"select + enqueue {run['parent_s']:.2f} s, rows changed {run['changed']:,})."
    )


def _load_line(results: dict) -> str:
    """How busy the machine was: the 1-minute load average as each figure started."""
    seen = results.get("load") or []
    measured = (
        f"the 1-minute load average was {min(seen):.1f}–{max(seen):.1f} as the figures started (the benchmark's "
        "own worker threads count in it)"
        if seen
        else "the load average was not recorded for this run"
    )
    return (
        f"- **Noisy**: {measured}; the producer, the worker and PostgreSQL share the 2 cores, so treat differences "
        "under ~30 % as noise."
    )


def write(path: str, results: dict, server: str = "postgresql://postgres@127.0.0.1:5432/postgres") -> None:
    skipped = "".join(f" {s} was skipped: {why}." for s, why in results.get("skipped", {}).items())
    notes = Path(__file__).with_name("NOTES.md")
    lines = [
        "# Broker benchmark",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `{results['command']}` "
        f"({results['runs']} run(s) per figure — footprint, rescue and fan-out once; median, min–max in "
        "brackets when more than one run).",
        "",
        f"- Machine: {_machine(server)}.",
        f"- Packages: {_versions()}.{skipped}",
        "- Every Dramatiq system runs the same no-op actor taking one int, Dramatiq's default middleware minus "
        "Prometheus (and minus stock's Results), one worker process with 8 threads, on its own fresh database "
        "(Redis: a fresh key namespace). pgqueuer and procrastinate run the same no-op job (an `async def` taking "
        "one int, their native form) in their own worker with 8 concurrent jobs (pgqueuer: batch 8, at most 16 "
        "in flight, as its API requires ≥ 2× batch), on their own fresh database with their own schema.",
        "- Raw PG ceilings: bulk = the same encoded messages COPYed straight into the table (also shown: multi-row "
        "INSERT … VALUES of 10,000), no idempotency, no returned ids, no NOTIFY; drain = one thread claiming 100 "
        "rows with SKIP LOCKED and acking them in one UPDATE (no Dramatiq, no actor).",
        "- Steady: producers aim at 5,000 msg/s in total — above every worker's drain rate here, so the backlog "
        "grows and the worker is the limit — using each system's fastest enqueue: dramaturg one thread of "
        "`enqueue_many` batches of 100, pgqueuer one thread of list `enqueue` of 100, procrastinate one thread of "
        "`batch_defer` of 100; stock dramatiq-pg and Redis have no bulk path, so four threads of one-by-one "
        "`send`. Processed/s is counted over the window after a 1 s warm-up.",
        "- Footprint backlogs are written with one `INSERT … SELECT generate_series` in each system's own format "
        "(Redis: the broker's hash + list, pipelined); RSS and advisory locks are the maxima over a fresh worker's "
        "first 3–4 s on that backlog (it is consuming meanwhile).",
        _load_line(results),
        "",
        *_table(results),
        "",
        _fanout_line(results),
        "",
        "## The issue's bars",
        "",
        "| bar | figure | verdict |",
        "|---|---|---|",
        *[f"| {a} | {b} | {c} |" for a, b, c in _bars(results)],
        "",
    ]
    if notes.exists():
        lines += [notes.read_text().rstrip(), ""]
    # Sections other benchmarks keep in this file (bench/web_pages.py's) survive a rewrite.
    previous = Path(path).read_text() if Path(path).exists() else ""
    start, end = "<!-- web_pages:start -->", "<!-- web_pages:end -->"
    if start in previous and end in previous:
        lines += [start + previous.split(start, 1)[1].split(end, 1)[0] + end, ""]
    with open(path, "w") as fh:
        fh.write("\n".join(lines))
