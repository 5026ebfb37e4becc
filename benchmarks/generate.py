"""Generate a synthetic goals repository with a year of history, for the benchmark.

    python benchmarks/generate.py --size S|M|L [--seed 1] [--goals N] [--out DIR]

The whole history is one ``git fast-import`` stream written by this process (no git process
per commit). Authors, committers and dates are pinned and every choice comes from one
``random.Random(seed)``, so the same seed gives the same commit ids.

History, in order: one commit with goalsrepo.yaml, people.yaml and teams.yaml; commits adding
the goals in batches; then, until the size's commit count is reached, check-ins (one to three
goals, KR ``current`` values, milestone ``done``), target adjustments, postponements to the
next quarter (an adjustment that also moves the file), status changes, edits, moves to
another team, deletions (of goals nothing refers to) and restorations, and pull requests
merged with a merge commit (side-branch check-ins, sometimes with main moving meanwhile).
Every commit leaves a valid repository: references always resolve, alignment stays a DAG.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO

from synthetic import (
    ORG_PERIOD,
    QUALIFIERS,
    QUARTERS,
    Goal,
    KeyResult,
    Org,
    Person,
    make_org,
    render_config,
    render_goal,
    render_people,
    render_teams,
)

SIZES = {
    "S": (200, 1_000),
    "M": (2_000, 10_000),
    "L": (10_000, 50_000),
    "XL": (100_000, 200_000),
}
FIRST_DAY = int(datetime(2026, 1, 5, 9, tzinfo=timezone.utc).timestamp())
LAST_DAY = int(datetime(2026, 12, 18, 18, tzinfo=timezone.utc).timestamp())
MAIN = "refs/heads/main"
SIDE = "refs/heads/pull-request"
MARKER = "goalsrepo-benchmark.json"
REASONS = (
    "The hiring freeze halves the team for this quarter.",
    "The first month showed the old target was too easy.",
    "Agreed in the quarterly review with the leadership team.",
    "A larger customer moved their launch; we follow.",
    "The baseline measurement was wrong; corrected with the data team.",
)
# Relative weights of the kinds of commit after the goals have been added.
EVENTS = {
    "checkin": 80,
    "pull_request": 5,
    "adjust": 4,
    "status": 4,
    "edit": 2,
    "postpone": 1,
    "move": 1,
    "delete": 1,
}


@dataclass(frozen=True)
class Commit:
    """One commit's worth of change: files written (path -> text) and files deleted."""

    message: str
    author: Person
    writes: dict[str, str]
    deletes: tuple[str, ...] = ()


class FastImport:
    """Writes commits as a ``git fast-import`` stream and hands back their marks."""

    def __init__(self, out: IO[bytes], clock: Iterator[int]) -> None:
        self._out = out
        self._clock = clock
        self._mark = 0

    def commit(
        self, ref: str, commit: Commit, parent: int | None = None, merge: int | None = None
    ) -> int:
        self._mark += 1
        who = f"{commit.author.name} <{commit.author.email}> {next(self._clock)} +0000"
        message = commit.message.encode()
        parts = [
            f"commit {ref}\nmark :{self._mark}\nauthor {who}\ncommitter {who}\n".encode(),
            b"data %d\n%s\n" % (len(message), message),
        ]
        if parent is not None:
            parts.append(b"from :%d\n" % parent)
        if merge is not None:
            parts.append(b"merge :%d\n" % merge)
        parts += [f"D {path}\n".encode() for path in commit.deletes]
        for path, text in commit.writes.items():
            data = text.encode()
            parts.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data))
        parts.append(b"\n")
        self._out.write(b"".join(parts))
        return self._mark


def slot(i: int, n: int) -> int:
    """The start of commit i's equal share of the year, for n commits."""
    return FIRST_DAY + (LAST_DAY - FIRST_DAY) * i // n


def timestamps(rng: random.Random, n: int) -> Iterator[int]:
    """n strictly increasing commit times, each at a random point early in its slot."""
    step = (LAST_DAY - FIRST_DAY) // n
    for i in range(n):
        yield slot(i, n) + int(rng.random() * step * 0.8)


@dataclass
class History:
    """The evolving state of the goals repository and the commits that change it."""

    rng: random.Random
    org: Org
    goals: dict[str, Goal] = field(init=False)
    paths: dict[str, str] = field(init=False, default_factory=dict)
    refs: Counter[str] = field(init=False, default_factory=Counter)
    by_period: dict[str, list[str]] = field(init=False, default_factory=dict)
    restores: list[tuple[int, str]] = field(init=False, default_factory=list)
    people: dict[str, Person] = field(init=False)

    def __post_init__(self) -> None:
        self.goals = {g.id: g for g in self.org.goals}
        self.people = {p.id: p for p in self.org.people}
        for g in self.org.goals:
            self.refs.update(g.aligns_to)
            self.by_period.setdefault(g.period, []).append(g.id)

    # --- the first commits ------------------------------------------------------------

    def setup(self) -> Iterator[Commit]:
        founder = self.people[self.org.teams[0].lead]
        yield Commit(
            "Set up the goals repository\n\nConfiguration, people and teams for 2026.",
            founder,
            {
                "goalsrepo.yaml": render_config("Acme goals 2026"),
                "people.yaml": render_people(self.org.people),
                "teams.yaml": render_teams(self.org.teams),
            },
        )
        goals = self.org.goals
        i = 0
        while i < len(goals):
            batch = goals[i : i + self.rng.randint(20, 60)]
            i += len(batch)
            author = self.people[batch[0].owner]
            yield Commit(f"Add {len(batch)} goals for 2026", author, self._write(*batch))

    # --- the kinds of commit ---------------------------------------------------------

    def checkin(self, when: int, exclude: set[str]) -> Commit | None:
        n = 1 if self.rng.random() < 0.8 else self.rng.randint(2, 3)
        chosen: list[Goal] = []
        for _ in range(n):
            goal = self._pick(self._current(when), self._active, exclude)
            if goal is None:
                break
            exclude.add(goal.id)
            chosen.append(goal)
        if not chosen:
            return None
        lines = [f"{g.id}: {', '.join(self._checkin_goal(g))}" for g in chosen]
        if len(chosen) == 1:
            message = f"Check in {lines[0]}"
        else:
            message = f"Weekly check-in of {len(chosen)} goals\n\n" + "\n".join(lines)
        return Commit(message, self._author(chosen[0]), self._write(*chosen))

    def adjust(self, when: int) -> Commit | None:
        goal = self._pick(self._current(when), self._active, set())
        if goal is None:
            return None
        kr = self.rng.choice([kr for kr in goal.key_results if kr.kind != "milestone"])
        old = kr.target
        if not self._move_target(kr):
            return None
        reason = self.rng.choice(REASONS)
        message = f"Adjust {goal.id}: {kr.id} target {old:g} -> {kr.target:g}\n\n{reason}"
        return Commit(message, self._author(goal), self._write(goal))

    def postpone(self, when: int) -> Commit | None:
        goal = self._pick(self._current(when), self._postponable, set())
        if goal is None:
            return None
        old_period, old_path = goal.period, self.paths[goal.id]
        goal.period, goal.due = QUARTERS[QUARTERS.index(goal.period) + 1], None
        self.by_period[old_period].remove(goal.id)
        self.by_period[goal.period].append(goal.id)
        message = f"Postpone {goal.id} to {goal.period}\n\n{self.rng.choice(REASONS)}"
        return Commit(message, self._author(goal), self._write(goal), (old_path,))

    def status(self, when: int) -> Commit | None:
        q = self._quarter(when)
        periods = [QUARTERS[q], QUARTERS[max(q - 1, 0)]] + ([ORG_PERIOD] if q == 3 else [])
        ids = [gid for p in periods for gid in self.by_period[p]]
        draft = self._pick(ids, lambda g: g.status == "draft", set())
        if draft is not None and self.rng.random() < 0.3:
            draft.status = "active"
            return Commit(f"Activate {draft.id}", self._author(draft), self._write(draft))
        goal = self._pick(ids, self._active, set())
        if goal is None:
            return None
        goal.status = self.rng.choices(("achieved", "missed", "dropped"), (5, 3, 2))[0]
        if goal.status == "achieved":
            self._complete(goal)
        elif goal.status == "dropped" and self.rng.random() < 0.3:
            self._supersede(goal)
        message = f"Mark {goal.id} {goal.status}"
        return Commit(message, self._author(goal), self._write(goal))

    def edit(self) -> Commit:
        goal = self._pick(list(self.paths), lambda g: True, set())
        assert goal is not None  # only goals nothing refers to are deleted: never all
        old = next(q for q in QUALIFIERS if goal.title.endswith(q))
        new = self.rng.choice([q for q in QUALIFIERS if q != old])
        goal.title = goal.title.removesuffix(old) + new
        return Commit(f"Reword the title of {goal.id}", self._author(goal), self._write(goal))

    def move(self) -> Commit | None:
        goal = self._pick(list(self.paths), lambda g: g.level != "organization", set())
        if goal is None:
            return None
        old_path = self.paths[goal.id]
        goal.team = self.rng.choice([t.id for t in self.org.teams[1:] if t.id != goal.team])
        message = f"Move {goal.id} to team {goal.team}\n\nThe work moved in the reorganisation."
        return Commit(message, self._author(goal), self._write(goal), (old_path,))

    def delete(self, index: int) -> Commit | None:
        goal = self._pick(list(self.paths), lambda g: self.refs[g.id] == 0, set())
        if goal is None:
            return None
        path = self.paths.pop(goal.id)
        if self.rng.random() < 0.7:
            self.restores.append((index + self.rng.randint(5, 200), goal.id))
        message = f"Remove {goal.id}\n\nCreated by mistake; the team tracks this elsewhere."
        return Commit(message, self._author(goal), {}, (path,))

    def restore(self, index: int) -> Commit | None:
        due = [r for r in self.restores if r[0] <= index]
        if not due:
            return None
        self.restores.remove(due[0])
        goal = self.goals[due[0][1]]
        return Commit(f"Restore {goal.id}", self._author(goal), self._write(goal))

    def pull_request(self, when: int, fi: FastImport, main_tip: int) -> tuple[int, int]:
        """Check-ins on a side branch, maybe main moving meanwhile, then a merge commit.

        Main's own commits touch other goals, so the merge is the plain union of both sides.
        Returns the new main tip and the number of commits written.
        """
        touched: set[str] = set()
        side_commits = [self.checkin(when, touched) for _ in range(self.rng.randint(1, 3))]
        side = [c for c in side_commits if c is not None]
        if not side:
            return main_tip, 0
        side_tip = fi.commit(SIDE, side[0], parent=main_tip)
        for commit in side[1:]:
            side_tip = fi.commit(SIDE, commit)
        main_commits = [self.checkin(when, touched) for _ in range(self.rng.randint(0, 2))]
        main = [c for c in main_commits if c is not None]
        for commit in main:
            main_tip = fi.commit(MAIN, commit)
        merged = {path: text for c in side for path, text in c.writes.items()}
        author = side[0].author
        number = 100 + main_tip
        message = f"Merge pull request #{number} from {author.email.split('@')[0]}/check-ins"
        main_tip = fi.commit(MAIN, Commit(message, author, merged), merge=side_tip)
        return main_tip, len(side) + len(main) + 1

    # --- helpers ---------------------------------------------------------------------

    def _write(self, *goals: Goal) -> dict[str, str]:
        for g in goals:
            self.paths[g.id] = g.path
        return {g.path: render_goal(g) for g in goals}

    def _author(self, goal: Goal) -> Person:
        candidates = [goal.owner, goal.owner, *goal.contributors]
        return self.people[self.rng.choice(candidates)]

    def _quarter(self, when: int) -> int:
        return (datetime.fromtimestamp(when, timezone.utc).month - 1) // 3

    def _current(self, when: int) -> list[str]:
        """Goals whose period is the quarter of ``when``, and the organisation's goals."""
        return self.by_period[QUARTERS[self._quarter(when)]] + self.by_period[ORG_PERIOD]

    def _pick(
        self, ids: list[str], accept: Callable[[Goal], bool], exclude: set[str]
    ) -> Goal | None:
        """A random present goal from ``ids`` that ``accept`` takes, or None after 50 tries."""
        for _ in range(50 if ids else 0):
            gid = self.rng.choice(ids)
            if gid in self.paths and gid not in exclude and accept(self.goals[gid]):
                return self.goals[gid]
        return None

    def _active(self, goal: Goal) -> bool:
        return goal.status == "active"

    def _postponable(self, goal: Goal) -> bool:
        return goal.status == "active" and goal.period in QUARTERS[:-1]

    def _checkin_goal(self, goal: Goal) -> list[str]:
        """Move one or two KRs (or tick a milestone) and describe the change."""
        open_krs = [kr for kr in goal.key_results if not kr.done]
        changes = [self._checkin_kr(kr) for kr in self.rng.sample(open_krs, min(2, len(open_krs)))]
        todo = [m for m in goal.milestones if not m.done]
        if todo and self.rng.random() < 0.2:
            todo[0].done = True
            changes.append(f"milestone '{todo[0].title}' done")
        return changes

    def _checkin_kr(self, kr: KeyResult) -> str:
        if kr.kind == "milestone":
            kr.done = True
            return f"{kr.id} done"
        old = kr.current if kr.current is not None else kr.start
        assert old is not None and kr.target is not None
        new = self._next_value(kr, old, kr.target)
        kr.current = new
        return f"{kr.id} {old:g} -> {new:g}"

    def _next_value(self, kr: KeyResult, old: float, target: float) -> float:
        """Numeric KRs drift towards the target with setbacks; control KRs hover around it."""
        unit = 10.0**-kr.decimals
        if kr.kind == "control":
            new = max(0.0, old + (target - old) * 0.3 + self.rng.randint(-5, 5) * unit)
        else:
            assert kr.start is not None
            span = target - kr.start
            new = old + span * self.rng.uniform(-0.05, 0.2)
            low, high = sorted((kr.start - 0.2 * span, target + 0.1 * span))
            new = min(max(new, low), high)
        new = round(new, kr.decimals)
        if new == old:
            new = round(old + (unit if target >= old else -unit), kr.decimals)
        return float(new)

    def _move_target(self, kr: KeyResult) -> bool:
        """Change a target, keeping a numeric KR's direction; False when nothing changed."""
        assert kr.target is not None
        unit = 10.0**-kr.decimals
        if kr.kind == "control":
            new = kr.target + self.rng.choice((-1, 1)) * self.rng.randint(1, 5) * unit
        else:
            assert kr.start is not None
            new = kr.target + (kr.target - kr.start) * self.rng.uniform(-0.3, 0.3)
            if (new - kr.start) * (kr.target - kr.start) <= 0:
                return False
        new = round(new, kr.decimals)
        if new in (kr.target, kr.start):
            return False
        kr.target = float(new)
        return True

    def _complete(self, goal: Goal) -> None:
        for kr in goal.key_results:
            if kr.kind == "numeric":
                kr.current = kr.target
            elif kr.kind == "milestone":
                kr.done = True
        for m in goal.milestones:
            m.done = True

    def _supersede(self, goal: Goal) -> None:
        successor = self._pick(
            self.by_period[goal.period],
            lambda g: g.team == goal.team and g.status == "active",
            {goal.id},
        )
        if successor is not None:
            goal.superseded_by = successor.id
            self.refs[successor.id] += 1


def write_history(history: History, fi: FastImport, n_commits: int) -> None:
    """The setup commits, then random events until exactly ``n_commits`` commits."""
    tip = 0
    count = 0
    for commit in history.setup():
        tip = fi.commit(MAIN, commit)
        count += 1
    rng = history.rng
    kinds, weights = list(EVENTS), list(EVENTS.values())
    while count < n_commits:
        when = slot(count, n_commits)
        kind = rng.choices(kinds, weights)[0]
        if kind == "pull_request" and n_commits - count >= 6:
            tip, written = history.pull_request(when, fi, tip)
            count += written
            continue
        commit = history.restore(count) or _event(history, kind, when, count) or history.edit()
        tip = fi.commit(MAIN, commit)
        count += 1


def _event(history: History, kind: str, when: int, index: int) -> Commit | None:
    if kind == "adjust":
        return history.adjust(when)
    if kind == "postpone":
        return history.postpone(when)
    if kind == "status":
        return history.status(when)
    if kind == "edit":
        return history.edit()
    if kind == "move":
        return history.move()
    if kind == "delete":
        return history.delete(index)
    return history.checkin(when, set())


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True)
    return result.stdout.strip()


def generate(size: str, seed: int, out: Path, goals: int | None = None) -> str:
    """Write the repository into ``out`` (created) and return the id of its HEAD commit;
    ``goals`` replaces the size's number of goals (the tests' large site is S's history
    with enough goals that the alignment map starts folded)."""
    n_goals, n_commits = SIZES[size]
    n_goals = goals or n_goals
    rng = random.Random(seed)
    org = make_org(rng, n_goals)
    out.mkdir(parents=True)
    git(out, "init", "--quiet", "--initial-branch=main")
    with subprocess.Popen(
        ["git", "fast-import", "--quiet", "--done"], cwd=out, stdin=subprocess.PIPE
    ) as proc:
        assert proc.stdin is not None
        fi = FastImport(proc.stdin, timestamps(rng, n_commits))
        write_history(History(rng, org), fi, n_commits)
        proc.stdin.write(b"done\n")
        proc.stdin.close()
    if proc.returncode != 0:
        raise SystemExit(f"git fast-import failed with exit code {proc.returncode}")
    git(out, "update-ref", "-d", SIDE)
    git(out, "reset", "--quiet", "--hard")
    marker = {"size": size, "seed": seed, "goals": n_goals, "commits": n_commits}
    (out / ".git" / MARKER).write_text(json.dumps(marker) + "\n")
    return git(out, "rev-parse", "HEAD")


def clear(out: Path) -> None:
    """Remove a previous output of this script; refuse to touch anything else."""
    if not out.exists():
        return
    if not (out / ".git" / MARKER).is_file():
        if any(out.iterdir()):
            raise SystemExit(f"{out} exists and is not a generated benchmark repository")
        out.rmdir()
        return
    shutil.rmtree(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=SIZES, required=True, help="S, M, L or XL")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--goals", type=int, help="number of goals (default: the size's)")
    parser.add_argument("--out", type=Path, help="target folder (default benchmarks/repos/SIZE)")
    args = parser.parse_args(argv)
    out = args.out or Path(__file__).resolve().parent / "repos" / args.size
    clear(out)
    started = time.perf_counter()
    head = generate(args.size, args.seed, out, args.goals)
    n_goals, n_commits = SIZES[args.size]
    n_goals = args.goals or n_goals
    seconds = time.perf_counter() - started
    print(f"{out}: {n_goals} goals, {n_commits} commits, HEAD {head} ({seconds:.1f} s)")


if __name__ == "__main__":
    main()
