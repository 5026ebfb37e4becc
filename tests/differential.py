"""The differential test of issue 12: an incremental run gives exactly what a cold run gives.

A seeded random sequence of edits is made to one real git repository (goal files added,
deleted, moved, copied, ids changed, alignment cycles and dangling references made and
broken, people, teams and config edited, check-ins and target changes, commits, amends,
resets and rebases, two saves within one second, damaged cache files). After each step a
random choice of commands runs twice:

- **warm**: in the repository itself, whose caches under ``.git/goalsrepo`` (parsed-file
  shards, history index and segments, logbook, build memory and page keys, compiled
  templates) come from the steps before, and whose site folder holds the previous build;
- **cold**: in a copy of the repository with ``.git/goalsrepo`` removed, into an empty
  site folder.

The cold side is a copy, not a fresh clone: a clone would leave out what is not committed
(a step may leave edits in the work tree, as a user does between commits), the index and
the reflog, while a copy is the same repository, file for file, and the removal of
goalsrepo's folder in its git directory is exactly "no cache". Exit codes, stdout and
stderr (paths and timings masked), the JSON of ``validate``, ``status``, ``tree`` and
``history`` and every byte of the built site must be equal; a failed build must leave the
previous site as it was. Every difference is a bug in goalsrepo, never a thing to filter.

Used by ``tests/test_differential.py`` (a short seed in CI) and
``benchmarks/differential.py`` (the long run).
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from goalsrepo.cli import cli
from goalsrepo.web.serve import LiveSite

ISOLATED = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"}
PEOPLE = ["alice", "bob", "carol", "dan", "erin"]
TEAMS = ["platform", "sales", "support"]
START = datetime(2026, 9, 20, 9, 0, tzinfo=timezone.utc)


class Difference(AssertionError):
    """The warm and the cold run disagree (the message says where and how)."""


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str


def run(root: Path, *args: str) -> Outcome:
    """``goalsrepo -C ROOT ARGS`` in this process, exceptions included as output: a
    traceback on one side only is a difference like any other."""
    result = CliRunner().invoke(cli, [*args[:1], "-C", str(root), *args[1:]])
    err = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        err += f"\nEXCEPTION {type(result.exception).__name__}: {result.exception}"
    return Outcome(result.exit_code, result.stdout, err)


def read_tree(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (relative path -> bytes)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            out[path.relative_to(folder).as_posix()] = path.read_bytes()
    return out


@dataclass
class Differential:
    """One seeded sequence of edits to the repository at ``root`` (made by :meth:`setup`),
    with ``work`` a scratch folder for the cold copies and the sites."""

    root: Path
    work: Path
    seed: int
    rng: random.Random = field(init=False)
    clock: datetime = START
    log: list[str] = field(default_factory=list)
    site: dict[str, bytes] | None = None  # the warm site after its last good build
    counter: int = 0
    # serve's watcher, and what it saw at the last build with what that build gave
    live: LiveSite | None = None
    watched: tuple[Any, Any] | None = None

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    # -- git ---------------------------------------------------------------------------

    def git(self, *args: str, check: bool = True) -> str:
        stamp = self.clock.isoformat()
        env = {**os.environ, **ISOLATED, "GIT_AUTHOR_NAME": "Alice Archer",
               "GIT_AUTHOR_EMAIL": "alice@example.com", "GIT_COMMITTER_NAME": "Alice Archer",
               "GIT_COMMITTER_EMAIL": "alice@example.com", "GIT_AUTHOR_DATE": stamp,
               "GIT_COMMITTER_DATE": stamp, "GIT_EDITOR": "true"}
        done = subprocess.run(["git", *args], cwd=self.root, capture_output=True, text=True,
                              env=env, check=False)
        if check and done.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr}")
        return done.stdout

    def tick(self) -> None:
        """Move the clock on: hours to a few days, never back."""
        self.clock += timedelta(hours=self.rng.choice([1, 5, 20, 30, 70]))

    def commit(self, message: str) -> None:
        self.tick()
        self.git("add", "--all", "--", ".")
        self.git("commit", "--quiet", "--no-verify", "--allow-empty", "-m", message)

    # -- the repository ---------------------------------------------------------------

    def setup(self) -> None:
        """A small goals repository with a few weeks of history."""
        self.root.mkdir(parents=True)
        self.git("init", "--quiet", "--initial-branch=main")
        self.write_yaml("goalsrepo.yaml", {"title": "Differential goals", "checkin_days": 14})
        self.restore_directory()
        self.write_yaml("goals/company/top.yaml", self.new_goal("top", level="organization"))
        for i in range(5):
            gid = f"goal-{i}"
            self.write_yaml(f"goals/{TEAMS[i % 3]}/{gid}.yaml",
                            self.new_goal(gid, aligns_to=["top"] if i < 3 else [f"goal-{i - 3}"]))
        self.commit("Add the goals")
        for _ in range(4):
            self.edit_checkin()
            self.commit("Weekly check-in")

    def write_yaml(self, relpath: str, data: Any) -> None:
        path = self.root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")

    def read_yaml(self, relpath: str) -> Any:
        try:
            return yaml.safe_load((self.root / relpath).read_text(encoding="utf-8"))
        except (yaml.YAMLError, OSError, UnicodeDecodeError):
            return None

    def new_goal(self, gid: str, **fields: Any) -> dict[str, Any]:
        rng = self.rng
        krs: list[dict[str, Any]] = []
        for k in range(rng.randint(0 if fields.get("level") == "organization" else 1, 4)):
            kind = rng.choice(["numeric", "numeric", "milestone", "control"])
            if kind == "numeric":
                start = rng.randint(0, 50)
                krs.append({"id": f"kr{k}", "title": f"Measure number {k}", "unit": "n",
                            "start": start, "target": start + rng.choice([-30, 10, 40]),
                            "current": start + rng.randint(-5, 20)})
            elif kind == "milestone":
                krs.append({"id": f"kr{k}", "title": f"Ship milestone {k}",
                            "done": rng.random() < 0.3})
            else:
                krs.append({"id": f"kr{k}", "title": f"Keep level {k}", "unit": "%",
                            "keep": "below", "target": 5, "current": rng.randint(1, 9)})
        data: dict[str, Any] = {
            "id": gid, "title": f"Make goal {gid} happen this quarter",
            "owner": rng.choice(PEOPLE), "team": rng.choice(TEAMS),
            "period": rng.choice(["2026-Q4", "2026-Q4", "2027-Q1"]),
            "status": rng.choice(["active"] * 6 + ["draft", "achieved", "missed"]),
        }
        data.update(fields)
        if krs:
            data["key_results"] = krs
        if rng.random() < 0.3:
            data["milestones"] = [{"title": "First step", "due": "2026-11-01",
                                   "done": rng.random() < 0.5}]
        return data

    def goal_files(self) -> list[str]:
        return sorted(p.relative_to(self.root).as_posix()
                      for p in (self.root / "goals").rglob("*.yaml") if p.is_file())

    def goal_ids(self) -> list[str]:
        ids = []
        for path in self.goal_files():
            data = self.read_yaml(path)
            if isinstance(data, dict) and isinstance(data.get("id"), str):
                ids.append(data["id"])
        return sorted(set(ids))

    def some_goal(self) -> tuple[str, dict[str, Any]] | None:
        """A goal file that parses, and its data."""
        files = [p for p in self.goal_files() if isinstance(self.read_yaml(p), dict)]
        if not files:
            return None
        path = self.rng.choice(files)
        return path, self.read_yaml(path)

    # -- the edits ----------------------------------------------------------------------

    def edit_add(self) -> str:
        self.counter += 1
        gid = f"new-{self.seed}-{self.counter}"
        ids = self.goal_ids()
        parents = self.rng.sample(ids, k=min(len(ids), self.rng.randint(0, 2)))
        team = self.rng.choice(TEAMS)
        self.write_yaml(f"goals/{team}/{gid}.yaml", self.new_goal(gid, aligns_to=parents))
        return f"add {gid} aligned to {parents}"

    def edit_delete(self) -> str:
        files = self.goal_files()
        if not files:
            return self.edit_add()
        path = self.rng.choice(files)
        (self.root / path).unlink()
        return f"delete {path}"

    def _sibling(self, path: str, before: bool) -> str:
        folder, name = path.rsplit("/", 1)
        if self.rng.random() < 0.3:
            folder = f"goals/{self.rng.choice(['aaa', 'zzz', *TEAMS])}"
        return f"{folder}/{'0' if before else 'zz'}-{name}"

    def edit_move(self) -> str:
        files = self.goal_files()
        if not files:
            return self.edit_add()
        path = self.rng.choice(files)
        new = self._sibling(path, self.rng.random() < 0.5)
        if (self.root / new).exists():
            return "move skipped"
        (self.root / new).parent.mkdir(parents=True, exist_ok=True)
        os.rename(self.root / path, self.root / new)
        return f"move {path} -> {new}"

    def edit_copy(self) -> str:
        """A copy sharing the id: the same content, or other content (fewer or more key
        results), sorting before or after the original."""
        found = self.some_goal()
        if found is None:
            return self.edit_add()
        path, data = found
        new = self._sibling(path, self.rng.random() < 0.5)
        if self.rng.random() < 0.5:
            (self.root / new).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(self.root / path, self.root / new)
            return f"copy {path} -> {new} (same content)"
        krs = data.get("key_results") or []
        data["key_results"] = krs[:1] if len(krs) > 1 else [
            *krs, {"id": "extra", "title": "One more thing", "done": False}]
        self.write_yaml(new, data)
        return f"copy {path} -> {new} (changed)"

    def edit_id(self) -> str:
        found = self.some_goal()
        if found is None:
            return self.edit_add()
        path, data = found
        ids = self.goal_ids()
        self.counter += 1
        data["id"] = self.rng.choice([*ids, f"renamed-{self.seed}-{self.counter}"])
        self.write_yaml(path, data)
        return f"id of {path} -> {data['id']}"

    def edit_align(self) -> str:
        """Make or break a cycle or a dangling reference."""
        found = self.some_goal()
        if found is None:
            return self.edit_add()
        path, data = found
        ids = self.goal_ids()
        choice = self.rng.random()
        if choice < 0.4 and ids:
            data["aligns_to"] = [self.rng.choice(ids)]
        elif choice < 0.55:
            data["aligns_to"] = ["no-such-goal"]
        elif choice < 0.8:
            data.pop("aligns_to", None)
        else:  # a cycle through this goal's children: align it to one of them
            kids = [g for g in ids
                    if data.get("id") in (self._data_of(g) or {}).get("aligns_to", [])]
            data["aligns_to"] = [self.rng.choice(kids)] if kids else [data.get("id")]
        self.write_yaml(path, data)
        return f"aligns_to of {path} -> {data.get('aligns_to')}"

    def _data_of(self, gid: str) -> dict[str, Any] | None:
        for path in self.goal_files():
            data = self.read_yaml(path)
            if isinstance(data, dict) and data.get("id") == gid:
                return data
        return None

    def edit_checkin(self) -> str:
        found = self.some_goal()
        if found is None:
            return self.edit_add()
        path, data = found
        krs = [k for k in data.get("key_results") or [] if isinstance(k, dict)]
        if not krs:
            return self.edit_target()
        kr = self.rng.choice(krs)
        current = kr.get("current")
        if "done" in kr:
            kr["done"] = not kr["done"]
        elif isinstance(current, (int, float)) or current is None:
            kr["current"] = (current or 0) + self.rng.choice([-3, 1, 2, 5, 8])
        else:  # a value a break left: a number again
            kr["current"] = 1
        self.write_yaml(path, data)
        return f"check in {path} {kr.get('id')}"

    def edit_checkin_cli(self) -> str:
        """A check-in through ``goalsrepo checkin``, sometimes with ``--commit``."""
        found = self.some_goal()
        if found is None:
            return self.edit_add()
        _path, data = found
        krs = [k for k in data.get("key_results") or []
               if isinstance(k, dict) and "done" not in k
               and isinstance(k.get("current", 0), (int, float))]
        if not krs:
            return self.edit_checkin()
        kr = self.rng.choice(krs)
        args = ["checkin", "-C", str(self.root), str(data["id"]), str(kr["id"]),
                str((kr.get("current") or 0) + self.rng.randint(1, 9))]
        if self.rng.random() < 0.5:
            self.tick()
            args.append("--commit")
        stamp = self.clock.isoformat()
        env = {**ISOLATED, "GIT_AUTHOR_NAME": "Bob Example", "GIT_AUTHOR_EMAIL":
               "bob@example.com", "GIT_COMMITTER_NAME": "Bob Example",
               "GIT_COMMITTER_EMAIL": "bob@example.com", "GIT_AUTHOR_DATE": stamp,
               "GIT_COMMITTER_DATE": stamp}
        CliRunner(env=env).invoke(cli, args)
        return "goalsrepo " + " ".join(a for a in args[3:])

    def edit_target(self) -> str:
        found = self.some_goal()
        if found is None:
            return self.edit_add()
        path, data = found
        krs = [k for k in data.get("key_results") or []
               if isinstance(k, dict) and isinstance(k.get("target"), (int, float))]
        if not krs:
            data["due"] = "2026-12-15"
        else:
            kr = self.rng.choice(krs)
            kr["target"] = kr["target"] + self.rng.choice([-7, 3, 11])
        self.write_yaml(path, data)
        return f"adjust {path}"

    def edit_status(self) -> str:
        found = self.some_goal()
        if found is None:
            return self.edit_add()
        path, data = found
        data["status"] = self.rng.choice(["active", "achieved", "missed", "dropped", "draft"])
        self.write_yaml(path, data)
        return f"status of {path} -> {data['status']}"

    def edit_break(self) -> str:
        """A file that does not parse, or fails its schema (fixed by a later edit)."""
        files = self.goal_files()
        if not files:
            return self.edit_add()
        path = self.rng.choice(files)
        text = (self.root / path).read_text(encoding="utf-8", errors="replace")
        broken = self.rng.choice([text + "\n  bad: [", text.replace("title:", "titel:", 1),
                                  "id: no\n", ""])
        (self.root / path).write_text(broken, encoding="utf-8")
        return f"break {path}"

    def edit_people(self) -> str:
        data = self.read_yaml("people.yaml") or {"people": []}
        people = data.get("people") or []
        choice = self.rng.random()
        if choice < 0.3 and people:
            gone = people.pop(self.rng.randrange(len(people)))
            what = f"remove person {gone.get('id')}"
        elif choice < 0.5 and people:
            people.append(dict(self.rng.choice(people)))
            what = "duplicate a person"
        elif choice < 0.8:
            missing = [p for p in PEOPLE if p not in {x.get("id") for x in people}]
            pid = self.rng.choice(missing or PEOPLE)
            people.append({"id": pid, "name": pid.title() + " Again",
                           "email": f"{pid}@example.com"})
            what = f"add person {pid}"
        else:
            if people:
                people[0]["name"] = self.rng.choice(["Alice Renamed", "Al Archer", "A. A."])
            what = "rename a person"
        data["people"] = people
        self.write_yaml("people.yaml", data)
        return what

    def edit_teams(self) -> str:
        data = self.read_yaml("teams.yaml") or {"teams": []}
        teams = data.get("teams") or []
        choice = self.rng.random()
        if choice < 0.3 and teams:
            teams.pop(self.rng.randrange(len(teams)))
        elif choice < 0.45 and teams:
            teams.append(dict(self.rng.choice(teams)))
        elif choice < 0.7:
            missing = [t for t in TEAMS if t not in {x.get("id") for x in teams}]
            tid = self.rng.choice(missing or TEAMS)
            teams.append({"id": tid, "name": tid.title()})
        elif teams:
            teams[-1]["name"] = self.rng.choice(["Platform Team", "Sales & Co", "Help"])
        data["teams"] = teams
        self.write_yaml("teams.yaml", data)
        return "edit teams"

    def edit_config(self) -> str:
        data = self.read_yaml("goalsrepo.yaml") or {}
        choice = self.rng.random()
        if choice < 0.5:
            data["checkin_days"] = self.rng.choice([3, 7, 10, 14, 21, 30])
            what = f"checkin_days {data['checkin_days']}"
        elif choice < 0.7:
            data["health"] = {"at_risk": self.rng.choice([0.05, 0.1, 0.2]), "off_track": 0.3}
            what = "health margins"
        elif choice < 0.85:
            data["title"] = self.rng.choice(["Differential goals", "Acme goals"])
            what = "title"
        else:
            periods = data.get("periods") or []
            if len(periods) > 1:
                periods.pop()
            else:
                periods.append({"id": "2027-Q1", "start": "2027-01-01", "end": "2027-03-31"})
            data["periods"] = periods
            what = "periods"
        self.write_yaml("goalsrepo.yaml", data)
        return f"config: {what}"

    def edit_twice(self) -> str:
        """Two saves of one file within one second: the same size, and the file's
        modification time set back to the first save's, as a coarse clock would."""
        files = [p for p in self.goal_files() if isinstance(self.read_yaml(p), dict)]
        if not files:
            return self.edit_add()
        path = self.root / self.rng.choice(files)
        text = path.read_text(encoding="utf-8")
        match = re.search(r"current: (\d)", text) or re.search(r"title: \w", text)
        if match is None:
            return "edit twice skipped"
        position = match.end() - 1
        stamp = path.stat()
        first = text[:position] + str((int(text[position], 36) + 1) % 10) + text[position + 1:]
        path.write_text(first, encoding="utf-8")
        os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
        self.compare_some()  # the warm side caches what it sees of the first save
        second = text[:position] + str((int(text[position], 36) + 2) % 10) + text[position + 1:]
        path.write_text(second, encoding="utf-8")
        os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
        return f"edit {path.name} twice in one second"

    def edit_corrupt(self) -> str:
        """Damage one cache file: truncated, a byte changed, emptied, garbage or gone."""
        folder = self.root / ".git" / "goalsrepo"
        files = sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
        kinds: dict[str, list[Path]] = {}  # one kind of cache file as likely as another
        for path in files:
            kind = path.parent.name
            if kind != "templates":  # else by name: index, segments, buckets, shards ...
                kind += "/" + re.sub(r"[-.\d].*", "", path.name)
            kinds.setdefault(kind, []).append(path)
        if not kinds:
            return "corrupt skipped (no cache yet)"
        path = self.rng.choice(kinds[self.rng.choice(sorted(kinds))])
        data = path.read_bytes()
        how = self.rng.choice(["truncate", "flip", "empty", "garbage", "delete"])
        if how == "truncate":
            path.write_bytes(data[:self.rng.randrange(max(len(data), 1))])
        elif how == "flip" and data:
            i = self.rng.randrange(len(data))
            path.write_bytes(data[:i] + bytes([data[i] ^ 0x5A]) + data[i + 1:])
        elif how == "empty":
            path.write_bytes(b"")
        elif how == "garbage":
            path.write_bytes(bytes(self.rng.randrange(256) for _ in range(64)))
        else:
            path.unlink()
        return f"corrupt {path.relative_to(folder)} ({how})"

    def edit_commit(self) -> str:
        self.commit("Update goals")
        return "commit"

    def edit_amend(self) -> str:
        self.tick()
        self.git("add", "--all", "--", ".")
        self.git("commit", "--quiet", "--no-verify", "--amend", "--allow-empty", "-m",
                 "Update goals (amended)")
        return "amend"

    def edit_reset(self) -> str:
        count = int(self.git("rev-list", "--count", "HEAD").strip())
        if count < 3:
            return self.edit_commit()
        back = self.rng.randint(1, 2)
        mode = self.rng.choice(["--hard", "--soft", "--mixed"])
        self.git("reset", "--quiet", mode, f"HEAD~{back}")
        return f"reset {mode} HEAD~{back}"

    def edit_rebase(self) -> str:
        """Rewrite history: replay the last commits with new ids, or drop one of them."""
        count = int(self.git("rev-list", "--count", "HEAD").strip())
        if count < 4:
            return self.edit_commit()
        self.commit("Work in progress")  # rebase wants a clean tree
        self.tick()
        if self.rng.random() < 0.5:
            self.git("rebase", "--quiet", "--force-rebase", "HEAD~3")
            return "rebase --force-rebase HEAD~3"
        done = self.git("rebase", "--quiet", "--onto", "HEAD~2", "HEAD~1", check=False)
        if "CONFLICT" in done or (self.root / ".git" / "rebase-apply").exists() \
                or (self.root / ".git" / "rebase-merge").exists():
            self.git("rebase", "--abort", check=False)
            return "rebase dropping HEAD~1 (conflict, aborted)"
        return "rebase dropping HEAD~1"

    def edit_merge(self) -> str:
        """A check-in on a branch, merged with a merge commit."""
        self.commit("Before the branch")
        self.git("checkout", "--quiet", "-b", "topic")
        self.edit_checkin()
        self.commit("Check-in on a branch")
        self.git("checkout", "--quiet", "main")
        self.tick()
        done = self.git("merge", "--quiet", "--no-ff", "-m", "Merge topic", "topic", check=False)
        if self.git("status", "--porcelain").strip() and "CONFLICT" in done:
            self.git("merge", "--abort", check=False)
        self.git("branch", "--quiet", "-D", "topic")
        return "merge a branch"

    def edit_repair(self) -> str:
        """Fix what validation rejects, so that builds succeed again: broken or duplicate
        goal files restored from HEAD or removed, references to nothing dropped, cycles
        cut, people and teams restored."""
        for _ in range(4):
            found = run(self.root, "validate", "--format", "json")
            try:
                report = json.loads(found.stdout)
            except ValueError:
                return "repair: validate printed no JSON"
            errors = [d for d in report["diagnostics"] if d["severity"] == "error"]
            if not errors:
                return "repair"
            for diagnostic in errors:
                name = diagnostic["file"] or ""
                if name in ("people.yaml", "teams.yaml", "goalsrepo.yaml"):
                    self.restore_directory()
                elif name and (self.root / name).exists():
                    data = self.read_yaml(name)
                    if diagnostic["code"] in ("GR120", "GR121") and isinstance(data, dict):
                        data.pop("aligns_to", None)
                        data["owner"] = "alice"
                        data.pop("team", None)
                        data["period"] = "2026-Q4"
                        data.pop("superseded_by", None)
                        for item in data.get("milestones") or []:
                            item.pop("owner", None)
                        data.pop("contributors", None)
                        self.write_yaml(name, data)
                    else:
                        (self.root / name).unlink()
        return "repair (partly)"

    def restore_directory(self) -> None:
        self.write_yaml("people.yaml", {"people": [
            {"id": p, "name": p.title() + " Example", "email": f"{p}@example.com",
             "team": TEAMS[i % len(TEAMS)]} for i, p in enumerate(PEOPLE)]})
        self.write_yaml("teams.yaml", {"teams": [{"id": t, "name": t.title()} for t in TEAMS]})
        data = self.read_yaml("goalsrepo.yaml")
        if not isinstance(data, dict):
            data = {"title": "Differential goals"}
        data["periods"] = [{"id": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"},
                           {"id": "2027-Q1", "start": "2027-01-01", "end": "2027-03-31"}]
        self.write_yaml("goalsrepo.yaml", data)

    EDITS: tuple[tuple[str, int], ...] = (
        ("edit_add", 6), ("edit_delete", 3), ("edit_move", 4), ("edit_copy", 5),
        ("edit_id", 3), ("edit_align", 5), ("edit_checkin", 10), ("edit_checkin_cli", 4),
        ("edit_target", 4), ("edit_status", 3), ("edit_break", 2), ("edit_people", 3),
        ("edit_teams", 2), ("edit_config", 4), ("edit_twice", 3), ("edit_corrupt", 6),
        ("edit_commit", 12), ("edit_amend", 3), ("edit_reset", 3), ("edit_rebase", 2),
        ("edit_merge", 2), ("edit_repair", 14),
    )

    # -- the comparison ---------------------------------------------------------------

    def step(self) -> str:
        names, weights = zip(*self.EDITS, strict=True)
        edit: Callable[[], str] = getattr(self, self.rng.choices(names, weights)[0])
        what = edit()
        self.log.append(what)
        self.compare_some()
        return what

    def compare_some(self) -> None:
        """Run a random choice of commands warm and cold, and compare."""
        commands: list[tuple[str, ...]] = [
            ("validate",), ("validate", "--format", "json"), ("status", "--format", "json"),
            ("tree", "--format", "json"), ("build",)]
        ids = self.goal_ids()
        for gid in self.rng.sample(ids, k=min(2, len(ids))):
            commands.append(("history", gid, "--format", "json"))
        chosen = [c for c in commands if self.rng.random() < 0.6] or [("build",)]
        self.rng.shuffle(chosen)
        self.compare(chosen)

    def compare(self, commands: list[tuple[str, ...]]) -> dict[tuple[str, ...], Outcome]:
        """Run ``commands`` warm and cold, in this order; the warm outcomes, once they
        are known to equal the cold ones."""
        cold = self.work / "cold"
        shutil.rmtree(cold, ignore_errors=True)
        self.copy_without_cache(cold / "repo")
        outcomes = {}
        for command in commands:
            if command == ("build",):
                outcomes[command] = self.compare_build(cold)
                continue
            warm_out = run(self.root, *command)
            cold_out = run(cold / "repo", *command)
            self.expect_same(" ".join(command), self.mask(warm_out, self.root),
                             self.mask(cold_out, cold / "repo"))
            outcomes[command] = warm_out
        return outcomes

    def copy_without_cache(self, target: Path) -> None:
        """The repository without ``.git/goalsrepo``: the work tree, index, refs and
        reflog copied, the objects shared (git's alternates), as they are read-only."""
        git_dir = self.root / ".git"

        def skip(folder: str, names: list[str]) -> set[str]:
            return {"objects", "goalsrepo"} & set(names) if Path(folder) == git_dir else set()

        shutil.copytree(self.root, target, symlinks=True, ignore=skip)
        (target / ".git" / "objects" / "info").mkdir(parents=True)
        (target / ".git" / "objects" / "info" / "alternates").write_text(
            str(git_dir / "objects") + "\n")

    def compare_build(self, cold: Path) -> Outcome:
        warm_site = self.work / "warm-site"
        warm = run(self.root, "build", "-o", str(warm_site))
        cold_out = self.mask(run(cold / "repo", "build", "-o", str(cold / "site")),
                             cold / "repo", cold / "site")
        self.expect_same("build", self.mask(warm, self.root, warm_site), cold_out)
        if warm.code != 0:
            self.check_watcher(cold_out, {})
            now = read_tree(warm_site) if warm_site.exists() else None
            if now != self.site:
                raise Difference(self.report("build failed, and the previous site changed"))
            return warm
        warm_files, cold_files = read_tree(warm_site), read_tree(cold / "site")
        self.check_watcher(cold_out, cold_files)
        if warm_files != cold_files:
            names = sorted(n for n in {*warm_files, *cold_files}
                           if warm_files.get(n) != cold_files.get(n))
            raise Difference(self.report(f"the sites differ in {names[:10]}"))
        self.site = warm_files
        return warm

    def check_watcher(self, cold: Outcome, files: dict[str, bytes]) -> None:
        """``serve`` rebuilds when its watcher sees a change: whenever a build gives
        another site (or other errors) than the last, the watcher must have seen one."""
        if self.live is None:
            self.live = LiveSite(self.root, self.work / "serve", as_of=None,
                                 allow_shallow=False, echo=print, warn=print, loopback=True)
        seen = self.live.look()
        outcome = (cold.code, cold.stderr, files)
        if self.watched is not None and self.watched[0] == seen \
                and self.watched[1] != outcome:
            raise Difference(self.report("the site changed, but serve's watcher saw nothing"))
        self.watched = (seen, outcome)

    @staticmethod
    def mask(outcome: Outcome, *paths: Path) -> Outcome:
        """Paths of the two sides and timings are the only things allowed to differ;
        so is the number of pages a build rendered (the point of the cache)."""
        def clean(text: str) -> str:
            for path in paths:
                text = text.replace(str(path.resolve()), "<ROOT>").replace(str(path), "<ROOT>")
            text = re.sub(r"\(\d+ rendered\) in [\d.]+ s \([\d.]+ s reading history\)",
                          "(N rendered) in T", text)
            return text
        return Outcome(outcome.code, clean(outcome.stdout), clean(outcome.stderr))

    def expect_same(self, what: str, warm: Outcome, cold: Outcome) -> None:
        if warm != cold:
            raise Difference(self.report(
                f"`{what}` differs:\n--- warm (exit {warm.code})\n{warm.stdout}\n{warm.stderr}"
                f"\n--- cold (exit {cold.code})\n{cold.stdout}\n{cold.stderr}"))

    def report(self, message: str) -> str:
        steps = "\n".join(f"  {i + 1}. {s}" for i, s in enumerate(self.log))
        return f"seed {self.seed}, after {len(self.log)} steps:\n{steps}\n{message}"


def differential(root: Path, seed: int, steps: int,
                 progress: Callable[[int, str], None] | None = None) -> None:
    """Run ``steps`` random edits with ``seed`` in a new repository under ``root``;
    :class:`Difference` at the first disagreement."""
    started = time.monotonic()
    case = Differential(root / "repo", root, seed)
    case.setup()
    for number in range(steps):
        what = case.step()
        if progress is not None:
            progress(number + 1, f"{what} ({time.monotonic() - started:.0f} s)")
