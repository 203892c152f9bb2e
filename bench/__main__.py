"""``python -m bench [--quick] [--runs N] [--server URL]``: run every figure side by side, write bench/RESULTS.md.

Each figure runs ``--runs`` times (3; 1 with ``--quick``, which also shrinks
the sizes) for each system, each run on a fresh database, and reports the
median with min–max. Footprint, rescue and fan-out run once (see ``sizes``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import traceback

from bench import child_floor, fanout, figures, footprint, foreign, load, report, systems

DEFAULT_OUT = str(systems.ROOT / "bench" / "RESULTS.md")


def sizes(quick: bool) -> dict:
    if quick:
        # smaller backlogs and windows, no 30 s-lease rescue: about 5 minutes
        return {
            "single": 1000,
            "bulk": 100_000,
            "bulk_oneby": 5_000,
            "drain": 5_000,
            "steady_s": 5,
            "latency_s": 8,
            "backlogs": [100_000],
            "fanout": 10_000,
            "runs": 1,
            "once": 1,
            "rescue30": False,
        }
    # footprint, rescue and the 100k fan-out run once (minutes each); the rest `runs` times
    return {
        "single": 3000,
        "bulk": 100_000,
        "bulk_oneby": 20_000,
        "drain": 10_000,
        "steady_s": 10,
        "latency_s": 15,
        "backlogs": [100_000, 1_000_000],
        "fanout": 100_000,
        "runs": 3,
        "once": 1,
        "rescue30": True,
    }


def repeat(label: str, runs: int, server: str, system: str, fn) -> list:
    values = []
    for i in range(runs):
        url = systems.create_database(server, system)
        try:
            t = time.monotonic()
            values.append(fn(url))
            print(f"  {label:<28} {system:<10} run {i + 1}: {values[-1]}  ({time.monotonic() - t:.1f}s)", flush=True)
        except Exception:
            traceback.print_exc()
            print(f"  {label} {system} run {i + 1} failed", flush=True)
        finally:
            systems.drop_database(server, url)
    return values


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="one run, smaller sizes")
    parser.add_argument("--runs", type=int, help="repetitions per figure (default 3, quick 1)")
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--only", help="comma-separated figure names to run")
    parser.add_argument(
        "--out", default=DEFAULT_OUT, help="with --only, RESULTS.md is written only to an explicit --out"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    size = sizes(args.quick)
    runs = args.runs or size["runs"]
    names = ["stock", "dramaturg"] + (["redis"] if systems.redis_reachable() else [])
    skipped = {}
    for name in foreign.FOREIGN:
        why = foreign.available(name)
        if why:
            skipped[name] = why
        else:
            names.append(name)
    only = set(args.only.split(",")) if args.only else None
    results: dict = {"size": size, "runs": runs, "systems": names, "skipped": skipped, "figures": {}}
    F = results["figures"]
    S = args.server

    def fig(name: str, system: str, fn, n_runs: int | None = None):
        if only and name not in only:
            return
        # the machine's load as each figure starts: the report says how busy the 2 cores were
        results.setdefault("load", []).append(round(os.getloadavg()[0], 2))
        F.setdefault(name, {})[system] = repeat(name, n_runs or runs, S, system, fn)

    for system in names:
        fig("single_enqueue", system, lambda u, s=system: figures.single_enqueue(s, u, size["single"]))
        n = size["bulk"] if system == "dramaturg" or system in foreign.FOREIGN else size["bulk_oneby"]
        fig("bulk_enqueue", system, lambda u, s=system, n=n: figures.bulk_enqueue(s, u, n))
        fig("drain", system, lambda u, s=system: figures.drain(s, u, size["drain"]))
        fig("steady", system, lambda u, s=system: load.steady(s, u, size["steady_s"]))
        fig("latency", system, lambda u, s=system: load.latency(s, u, size["latency_s"]))
        fig("footprint", system, lambda u, s=system: footprint.footprint(s, u, size["backlogs"]), size["once"])
    fig("bulk_enqueue", "raw", lambda u: figures.raw_copy(u, size["bulk"]))
    fig("bulk_enqueue_values", "raw", lambda u: figures.raw_multirow_insert(u, size["bulk"]))
    fig("drain", "raw", lambda u: figures.raw_claim_ack(u, size["drain"]))
    if size["rescue30"]:
        fig("rescue", "dramaturg", lambda u: footprint.rescue("dramaturg", u, 30.0, 60.0), size["once"])
    fig("rescue_lease5", "dramaturg", lambda u: footprint.rescue("dramaturg", u, 5.0, 30.0), size["once"])
    fig("rescue", "stock", lambda u: footprint.rescue("stock", u, 30.0, 45.0), size["once"])
    fig("fan_out", "dramaturg", lambda u: fanout.fan_out(u, size["fanout"]), size["once"])
    for procs in (2, 4):
        fig(f"fan_out_{procs}", "dramaturg", lambda u, p=procs: fanout.fan_out(u, size["fanout"], p), size["once"])
    # the same users, fanned out fanout.CHUNK at a time (fan_out(..., chunk=N)), one worker process
    fig("fan_out_chunked", "dramaturg", lambda u: fanout.fan_out(u, size["fanout"], 1, fanout.CHUNK), size["once"])
    # the same children's SQL with no framework at all: what the machine allows the fan-out bar
    fig("fan_out", "raw", lambda u: child_floor.floor(u, size["fanout"]), size["once"])

    results["command"] = "python -m bench " + " ".join(sys.argv[1:] if argv is None else argv)
    if only:
        print(results)
        if args.out == DEFAULT_OUT:
            return
    with open(args.out.rsplit(".", 1)[0] + ".json", "w") as fh:
        json.dump(results, fh, indent=1)  # the raw runs, to re-render or compare
    report.write(args.out, results)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
