"""The long run of the differential test (issue 12): incremental runs against cold runs.

    python benchmarks/differential.py --seeds 1,2,3 --steps 1000

Each seed makes a new repository in a temporary folder and applies ``--steps`` random
edits, comparing after each the commands run with goalsrepo's caches (warm) against the
same commands on a copy without them (cold); see ``tests/differential.py``. It stops at the
first difference, printing the seed, the edits so far and the difference, and exits 1.
The short run is ``pytest -m differential`` (in the default suite).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from differential import Difference, differential


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3", help="comma-separated seeds")
    parser.add_argument("--steps", type=int, default=1000, help="edits per seed")
    parser.add_argument("--quiet", action="store_true", help="a line every 50 steps only")
    args = parser.parse_args()
    started = time.monotonic()
    total = 0
    for seed in [int(s) for s in args.seeds.split(",")]:
        def progress(number: int, what: str, seed: int = seed) -> None:
            if not args.quiet or number % 50 == 0:
                print(f"seed {seed} step {number}: {what}", flush=True)

        with tempfile.TemporaryDirectory(prefix=f"differential-{seed}-") as folder:
            try:
                differential(Path(folder), seed, args.steps, progress)
            except Difference as exc:
                print(f"DIFFERENCE\n{exc}", flush=True)
                return 1
        total += args.steps
        print(f"seed {seed}: {args.steps} steps, no difference "
              f"({time.monotonic() - started:.0f} s so far)", flush=True)
    print(f"passed: {total} steps over seeds {args.seeds}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
