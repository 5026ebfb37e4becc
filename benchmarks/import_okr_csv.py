"""Time ``goalsrepo import okr-csv`` of a large OKR spreadsheet, as a whole process.

    python benchmarks/import_okr_csv.py [--goals 2500] [--krs 4] [--runs 3] [--seed 1]

Writes a seeded CSV (the layout OKR templates use: the objective on the first row of its
key results and blank below it, owners by e-mail, teams and quarters by name, a percent
and a thousands separator here and there), then imports it into a fresh repository for
each run and reports the median, min and max wall time, the median CPU time (user + system:
on a machine shared with other work, the wall time mostly measures the others) and the
peak memory of the child.
The target (issue 16): 10,000 key results in 2,500 goals in under 10 s.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIG = """\
periods:
  - id: 2026-Q4
    name: Q4 2026
    start: 2026-10-01
    end: 2026-12-31
"""
WORDS = ("grow", "reduce", "ship", "delight", "launch", "hire", "retain", "simplify", "automate",
         "scale", "secure", "measure", "expand", "partner", "improve", "cut", "win", "close")
NOUNS = ("revenue", "churn", "onboarding", "deploys", "pipeline", "support", "hiring",
         "billing", "latency", "margins", "pilots", "renewals", "docs", "search", "mobile")


def write_csv(path: Path, goals: int, krs: int, seed: int) -> None:
    rnd = random.Random(seed)
    people = [(f"Person {n}", f"person{n}@example.org") for n in range(200)]
    teams = [f"Team {n}" for n in range(20)]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["Objective", "Key result", "Owner", "Team", "Quarter", "Start",
                      "Target", "Current", "Unit", "Description"])
        for g in range(goals):
            title = (f"{rnd.choice(WORDS).capitalize()} {rnd.choice(NOUNS)} and "
                     f"{rnd.choice(NOUNS)} for segment {g}")
            owner = rnd.choice(people)
            for k in range(krs):
                start = rnd.randint(0, 5000)
                target = start + rnd.randint(1, 5000) * rnd.choice((1, -1))
                current = rnd.randint(min(start, target), max(start, target))
                percent = rnd.random() < 0.2
                row = [title if k == 0 else "", f"Key result {k} of {title.lower()}",
                       owner[1] if rnd.random() < 0.7 else owner[0],
                       rnd.choice(teams) if k == 0 else "", "Q4 2026" if k == 0 else "",
                       f"{start}%" if percent else f"{start:,}", f"{target}%" if percent
                       else f"{target:,}", str(current), "" if percent else "customers",
                       "Why this matters, in a sentence." if k == 0 else ""]
                out.writerow(row)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--goals", type=int, default=2500)
    parser.add_argument("--krs", type=int, default=4, help="key results per goal")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    goalsrepo = shutil.which("goalsrepo") or sys.exit("goalsrepo is not on PATH")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "okrs.csv"
        write_csv(source, args.goals, args.krs, args.seed)
        times, cpus, peaks = [], [], []
        for run in range(args.runs):
            root = Path(tmp) / f"repo{run}"
            root.mkdir()
            subprocess.run(["git", "init", "--quiet", str(root)], check=True)
            (root / "goalsrepo.yaml").write_text(CONFIG, encoding="utf-8")
            started = time.perf_counter()
            child = subprocess.Popen([goalsrepo, "import", "okr-csv", str(source), "-C",
                                      str(root), "--format", "json"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            _, status, usage = os.wait4(child.pid, 0)
            times.append(time.perf_counter() - started)
            peaks.append(usage.ru_maxrss / 1024)
            cpus.append(usage.ru_utime + usage.ru_stime)
            if os.waitstatus_to_exitcode(status) != 0:
                assert child.stderr is not None
                sys.exit(f"import failed: {child.stderr.read().decode()[:2000]}")
            written = sum(1 for _ in root.glob("goals/**/*.yaml"))
            assert written == args.goals, f"{written} goal files written"
    rows = args.goals * args.krs
    print(f"import okr-csv: {args.goals:,} goals, {rows:,} key results, {args.runs} runs: "
          f"median {statistics.median(times):.2f} s (min {min(times):.2f}, max "
          f"{max(times):.2f}), CPU median {statistics.median(cpus):.2f} s, peak "
          f"{max(peaks):.0f} MiB, load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
