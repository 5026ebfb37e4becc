"""Time the parse cache's codec on a repository's goals: msgspec structs as MessagePack (what
goalsrepo does) against the marshal rows with lazily made key results it replaced (issue 17).

    python benchmarks/records.py [--repo benchmarks/repos/L] [--runs 5] [--logbook FOLDER]

For each codec, the median (and min) over the runs of:

- **write**: encode every goal and write the cache's 16 shard files;
- **read**: read the shard files and decode every goal;
- **touch**: then read every goal's key results (a build's typical access: the marshal
  rows made them on first use);
- **read + touch**, the sum a run after one edit pays.

With ``--logbook`` (the ``.git/goalsrepo/site`` folder of a repository built by this
goalsrepo), also the logbook's derived rows (check-ins, wins, adjustments, drift, progress
of every goal): decoded and encoded as msgspec structs, and as the plain tuples marshal kept
before (the same rows, converted).

The cyclic garbage collector is off, as in every goalsrepo command.

The marshal codec is goalsrepo's own as it was before msgspec (``goalsrepo/model.py`` at
commit ``OLD``, loaded from git, not copied here); its shard files are written and read as
its ``FileCache`` did. Both use :func:`goalsrepo.gitlog.cache.write_file` and ``read_file``.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import marshal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec

from goalsrepo import __version__
from goalsrepo.files.model import Goal
from goalsrepo.files.repository import load
from goalsrepo.gitlog.cache import SHARDS, FileCache, read_file, shard_of, write_file
from goalsrepo.web.pages import Derived

HERE = Path(__file__).resolve().parent
OLD = "774e53a"  # the last commit with marshal rows (Goal.to_row / from_row)
SIGNATURE = (1, 0, 1, 0)  # a file signature old enough to be cached


def old_model() -> ModuleType:
    """``goalsrepo.model`` as it was at ``OLD`` (now ``goalsrepo.files.model``), as a module
    of its own."""
    source = subprocess.run(["git", "show", f"{OLD}:goalsrepo/model.py"], cwd=HERE,
                            check=True, capture_output=True, text=True).stdout
    spec = importlib.util.spec_from_loader("old_model", loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["old_model"] = module  # dataclasses looks the module up
    exec(compile(source, "old_model.py", "exec"), module.__dict__)
    return module


def goal_data(root: Path) -> dict[str, dict[str, Any]]:
    """Every valid goal file's data, by path."""
    repo = load(root)
    return {g.path: repo.documents[g.path].data for g in repo.goals}


def marshal_codec(old: ModuleType, data: dict[str, dict[str, Any]], folder: Path,
                  ) -> dict[str, Callable[[], Any]]:
    goals = [old.Goal.from_data(d, path) for path, d in data.items()]
    key = (5, __version__)

    def write() -> None:
        shards: dict[int, dict[str, Any]] = {n: {} for n in range(SHARDS)}
        for goal in goals:
            shards[shard_of(goal.path)][goal.path] = (SIGNATURE, ("goal", goal.to_row()))
        for n, entries in shards.items():
            write_file(folder / f"{n:02d}.marshal", marshal.dumps((key, entries)))

    def read() -> list[Any]:
        entries: dict[str, Any] = {}
        for n in range(SHARDS):
            stored_key, value = marshal.loads(read_file(folder / f"{n:02d}.marshal"))
            assert tuple(stored_key) == key
            entries.update(value)
        return [old.Goal.from_row(row) for _signature, (_kind, row) in entries.values()]

    return {"write": write, "read": read}


def msgspec_codec(data: dict[str, dict[str, Any]], folder: Path,
                  ) -> dict[str, Callable[[], Any]]:
    goals = [Goal.from_data(d, path) for path, d in data.items()]

    written: list[Path] = []

    def write() -> None:  # into an empty folder: a cache reads what it finds
        written.append(Path(tempfile.mkdtemp(dir=folder)))
        cache = FileCache(written[-1], __version__)
        for goal in goals:
            cache.put(goal.path, SIGNATURE, goal)
        cache.save({g.path for g in goals})

    def read() -> list[Any]:
        cache = FileCache(written[-1], __version__)
        return [cache.get(path, SIGNATURE)[1] for path in cache.entries]

    return {"write": write, "read": read}


def touch(goals: list[Any]) -> int:
    return sum(len(g.key_results) for g in goals)


def timed(step: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = step()
    return time.perf_counter() - started, value


def measure(codec: dict[str, Callable[[], Any]], runs: int) -> dict[str, list[float]]:
    seconds: dict[str, list[float]] = {"write": [], "read": [], "touch": [], "read + touch": []}
    codec["write"]()  # once untimed: the files exist, as they do for a cache being updated
    for _ in range(runs):
        seconds["write"].append(timed(codec["write"])[0])
        read, goals = timed(codec["read"])
        touched, _ = timed(lambda goals=goals: touch(goals))
        seconds["read"].append(read)
        seconds["touch"].append(touched)
        seconds["read + touch"].append(read + touched)
    return seconds


def plain(value: Any) -> Any:
    """Structs and lists as the nested tuples the logbook kept with marshal."""
    if isinstance(value, list | tuple):
        return tuple(plain(item) for item in value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def logbook_rows(folder: Path, runs: int) -> None:
    decoder, encoder = msgspec.msgpack.Decoder(dict[str, Derived]), msgspec.msgpack.Encoder()
    files = [read_file(path) for path in sorted(folder.glob("derived-*.msgpack"))]
    rows = [decoder.decode(raw) for raw in files]
    old = [plain(msgspec.to_builtins(shard)) for shard in rows]
    marshalled = [marshal.dumps(shard) for shard in old]
    steps = {
        "msgspec msgpack": (lambda: [decoder.decode(raw) for raw in files],
                            lambda: [encoder.encode(shard) for shard in rows], files),
        "marshal tuples": (lambda: [marshal.loads(raw) for raw in marshalled],
                           lambda: [marshal.dumps(shard) for shard in old], marshalled),
    }
    print(f"\nlogbook rows of {sum(map(len, rows))} goals; milliseconds, median (min)")
    print(f"{'codec':<20}{'decode':>16}{'encode':>16}{'bytes':>12}")
    for name, (decode, encode, stored) in steps.items():
        cells = ""
        for step in (decode, encode):
            seconds = [timed(step)[0] for _ in range(runs)]
            cells += f"{statistics.median(seconds) * 1000:>9.1f} ({min(seconds) * 1000:>4.0f})"
        print(f"{name:<20}{cells}{sum(map(len, stored)):>12,}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, default=HERE / "repos" / "L")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--logbook", type=Path, help="a built repository's .git/goalsrepo/site")
    args = parser.parse_args()
    gc.disable()  # as the CLI runs (goalsrepo.cli.main)
    data = goal_data(args.repo)
    old = old_model()
    print(f"{len(data)} goals from {args.repo}, {args.runs} runs; milliseconds, median (min)")
    results = {}
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        results["marshal rows, lazy"] = measure(marshal_codec(old, data, Path(a)), args.runs)
        results["msgspec msgpack"] = measure(msgspec_codec(data, Path(b)), args.runs)
        sizes = {name: sum(p.stat().st_size for p in Path(folder).rglob("*.m*"))
                 // (args.runs + 1 if name == "msgspec msgpack" else 1)
                 for name, folder in (("marshal rows, lazy", a), ("msgspec msgpack", b))}
    steps = list(next(iter(results.values())))
    print(f"{'codec':<20}" + "".join(f"{s:>16}" for s in steps) + f"{'bytes':>12}")
    for name, seconds in results.items():
        cells = "".join(f"{statistics.median(v) * 1000:>9.1f} ({min(v) * 1000:>4.0f})"
                        for v in seconds.values())
        print(f"{name:<20}{cells}{sizes[name]:>12,}")
    if args.logbook:
        logbook_rows(args.logbook, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
