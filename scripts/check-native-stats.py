#!/usr/bin/env python3
"""Checks the output folder of a `lockstep native run` whose sweep is `workload.lock: [LOCK...]`
(scripts/test-aarch64-cli.sh): every point's stats.json parses, says it was measured natively,
names its lock, and holds the exact counts the experiment asks for. Correctness only: no
timing is read or printed.

usage: check-native-stats.py DIR throughput|latency LOCK...
Exit 0 when every check passes, 1 otherwise (each failure printed)."""
import csv
import json
import os
import sys


def main(argv):
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    out, mode, locks = argv[1], argv[2], argv[3:]
    failures = []

    def expect(what, got, want):
        if got != want:
            failures.append(f"{what}: got {got!r}, expected {want!r}")

    for i, lock in enumerate(locks):
        point = f"{i:03d}_lock-{lock}"
        path = os.path.join(out, "points", point, "stats.json")
        try:
            with open(path, encoding="utf-8") as f:
                s = json.load(f)
        except (OSError, ValueError) as e:
            failures.append(f"{path}: {e}")
            continue
        w = s["config"]["workload"]
        threads, per_thread = w["threads"], w["acquisitions_per_thread"]
        expect(f"{point} point", s["point"], point)
        expect(f"{point} measured_on", s.get("measured_on"), "native")
        expect(f"{point} native.measure", s["native"]["measure"], mode)
        expect(f"{point} workload.lock", w["lock"], lock)
        # Warm-up acquisitions are outside the window: exactly threads × acquisitions_per_thread.
        expect(f"{point} acquisitions", s["acquisitions"], threads * per_thread)
        per_core = [c["acquisitions"] for c in s["per_core"]]
        if mode == "throughput":
            # Each thread's warm-up is its own: exactly acquisitions_per_thread each in the window.
            expect(f"{point} per_core acquisitions", per_core, [per_thread] * threads)
            expect(f"{point} fairness.min_acquisitions", s["fairness"]["min_acquisitions"], per_thread)
            expect(f"{point} fairness.max_acquisitions", s["fairness"]["max_acquisitions"], per_thread)
        else:
            # The window opens after threads × warmup acquisitions counted globally, so a thread
            # has between per_thread + warmup - threads × warmup and per_thread + warmup in it.
            warm = w["warmup_acquisitions"]
            lo, hi = max(0, per_thread + warm - threads * warm), per_thread + warm
            expect(f"{point} per_core count", len(per_core), threads)
            expect(f"{point} sum of per_core acquisitions", sum(per_core), threads * per_thread)
            if not all(lo <= n <= hi for n in per_core):
                failures.append(f"{point} per_core acquisitions: got {per_core}, expected each in {lo}..{hi}")
            expect(f"{point} fairness.min_acquisitions", s["fairness"]["min_acquisitions"], min(per_core))
            expect(f"{point} fairness.max_acquisitions", s["fairness"]["max_acquisitions"], max(per_core))
        # Coherence is not measurable natively: null, never 0.
        expect(f"{point} coherence.invalidations", s["coherence"]["invalidations"], None)
        if not (isinstance(s["cycles"], int) and s["cycles"] > 0):
            failures.append(f"{point} cycles: got {s['cycles']!r}, expected a positive count")
        if mode == "latency":
            # Every acquisition is timed: the distributions have one sample per acquisition.
            for d in ("wait_cycles", "hold_cycles", "release_cycles"):
                expect(f"{point} {d}.count", s[d]["count"], threads * per_thread)
            h = s["handoff_cycles"]["count"]
            if not (isinstance(h, int) and 0 <= h <= threads * per_thread):
                failures.append(f"{point} handoff_cycles.count: got {h!r}, expected 0..{threads * per_thread}")
        else:
            # Handoffs need every acquisition's timestamps: not measured in throughput mode.
            expect(f"{point} handoff_cycles.count", s["handoff_cycles"]["count"], None)
            expect(f"{point} fairness.reacquires", s["fairness"]["reacquires"], None)

    try:
        with open(os.path.join(out, "summary.csv"), newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        expect("summary.csv points", [r["point"] for r in rows], [f"{i:03d}_lock-{l}" for i, l in enumerate(locks)])
        expect("summary.csv workload.lock", [r["workload.lock"] for r in rows], locks)
    except (OSError, KeyError) as e:
        failures.append(f"summary.csv: {e}")

    for f in failures:
        print(f"FAIL: {out}: {f}", file=sys.stderr)
    if not failures:
        print(f"   {mode}: {', '.join(locks)}: exit 0, stats.json valid, exact acquisition counts")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
