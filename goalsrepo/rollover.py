"""``rollover``: carry the unfinished goals of a period into the next (SPEC §3
"Rollover"). Each goal gets a successor in the next period that ``continues`` it, with its
key results restarted from where they stand; the goal itself becomes ``missed`` if it was
still active.

Candidates are the goals of the period that are active or missed with progress below 1
(or the ones named). A goal that a goal of the next period already continues is not
rolled again: rolling over twice adds nothing. Successor ids are ``<id>-<next>`` with
``-2``, ``-3`` ... when taken; no file is overwritten and no id reused. Every file, the
new period in goalsrepo.yaml included, is written or none is (:mod:`goalsrepo.files.changeset`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from goalsrepo import scaffold
from goalsrepo.closing import (
    LifecycleError,
    check_goal_text,
    done,
    find_period,
    require_valid,
    status_edit,
)
from goalsrepo.files import changeset, edit, loader
from goalsrepo.files.changeset import FileChange
from goalsrepo.files.config import CONFIG_FILE, Period
from goalsrepo.files.model import KEY_ORDER
from goalsrepo.files.repository import Repository
from goalsrepo.gitlog import git
from goalsrepo.numbers import periods
from goalsrepo.numbers.progress import GoalStatus, measure_fields
from goalsrepo.numbers.state import load_state

KR_ORDER = ("id", "title", "unit", "start", "target", "current", "done", "keep", "weight",
            "source")


@dataclass(frozen=True)
class Rolled:
    """A goal of the period and where it went: its successor's id and file, or the goal
    of the next period that already continued it (``already`` true)."""

    id: str
    successor: str
    path: str
    already: bool = False


@dataclass(frozen=True)
class RolloverResult:
    period: Period
    next: Period
    created_period: bool
    goals: tuple[Rolled, ...]
    commit: str | None
    dry_run: bool

    @property
    def new(self) -> list[Rolled]:
        return [g for g in self.goals if not g.already]

    @property
    def message(self) -> str:
        """The commit's subject: ``rollover(2026-Q4 -> 2027-Q1): 3 goals``."""
        count = len(self.new)
        return (f"rollover({self.period.id} -> {self.next.id}): "
                f"{count} goal{'' if count == 1 else 's'}")


def rollover(root: Path, period_id: str, next_id: str, names: Iterable[str] = (), *,
             create_period: bool = False, dry_run: bool = False, commit: bool = False,
             ) -> RolloverResult:
    """Roll the unfinished goals of ``period_id`` (or those in ``names``) into
    ``next_id`` (see the module's docstring)."""
    state = load_state(root)
    repo = state.repo
    require_valid(state)
    period = find_period(repo.config, period_id)
    changes: list[FileChange] = []
    following = repo.config.period(next_id)
    created = following is None
    if following is None:
        if not create_period:
            raise LifecycleError(f"period `{next_id}` is not defined in goalsrepo.yaml: add "
                                 "it, or pass --create-period to add the period that "
                                 f"follows {period.id}")
        following = periods.following(period)
        if following.id != next_id:
            raise LifecycleError(f"the period after {period.id} is {following.id}, not "
                                 f"{next_id}: --create-period adds that one")
        changes.append(_config_change(repo, following))
    if following.id == period.id:
        raise LifecycleError("a period cannot roll over into itself")
    statuses = {s.goal.id: s for s in state.statuses()}
    continued = {s.goal.continues: s.goal for s in statuses.values()
                 if s.goal.continues and s.goal.period == following.id}
    chosen = _candidates(statuses, period, list(names))
    taken = _taken_ids(repo)
    plan: dict[str, str] = {}  # goal -> its successor's id
    rolled: list[Rolled] = []
    for s in chosen:
        earlier = continued.get(s.goal.id)
        if earlier is not None:
            rolled.append(Rolled(s.goal.id, earlier.id, earlier.path, already=True))
            continue
        plan[s.goal.id] = successor_id(s.goal.id, following.id, taken)
        taken.add(plan[s.goal.id])
    for s in chosen:
        if s.goal.id not in plan:
            continue
        new_id = plan[s.goal.id]
        path = scaffold.goal_path(repo.config.goals_dir, new_id, s.goal.team, following.id)
        if (root / path).exists():
            raise LifecycleError(f"{path} exists already: nothing was written")
        text = successor_text(s, _raw(repo, s.goal.path), new_id, following, plan, period)
        check_goal_text(text, path)
        changes.append(FileChange(path, text, new=True))
        if s.goal.status == "active":
            changes.append(status_edit(repo, s.goal.path, "missed"))
        rolled.append(Rolled(s.goal.id, new_id, path))
    rolled.sort(key=lambda r: r.id)
    result = RolloverResult(period, following, created, tuple(rolled), None, dry_run)
    if dry_run or not result.new:
        return result
    changeset.apply(root, changes)
    if commit:
        body = "\n".join(f"- {r.id} -> {r.successor}" for r in result.new)
        sha = git.commit_files(root, [c.path for c in changes], f"{result.message}\n\n{body}")
        result = RolloverResult(period, following, created, tuple(rolled), sha, dry_run)
    return result


def _candidates(statuses: dict[str, GoalStatus], period: Period,
                names: list[str]) -> list[GoalStatus]:
    """The goals to roll: the named ones (each must be a goal of the period that is not
    finished), else every unfinished goal of the period."""
    unfinished = {gid: s for gid, s in statuses.items() if s.goal.period == period.id
                  and s.goal.status in ("active", "missed") and not done(s)}
    for name in names:
        if name not in statuses or statuses[name].goal.period != period.id:
            raise LifecycleError(f"`{name}` is not a goal of {period.id}")
        if name not in unfinished:
            s = statuses[name]
            why = "its progress is 1" if done(s) else f"it is {s.goal.status}"
            raise LifecycleError(f"`{name}` has nothing to roll over: {why}")
    wanted = names or sorted(unfinished)
    return [unfinished[gid] for gid in dict.fromkeys(wanted)]


def _raw(repo: Repository, path: str) -> dict[str, Any]:
    """A goal file's data as written (the model leaves out keys such as ``source``)."""
    doc = loader.parse((repo.root / path).read_bytes().decode("utf-8"), path)
    return doc.data if isinstance(doc.data, dict) else {}


def _taken_ids(repo: Repository) -> set[str]:
    """Every goal id in the repository, of valid files and invalid ones alike."""
    ids = {g.id for g in repo.goals}
    for path, kind in repo.kinds.items():
        data = repo.data_of(path) if kind == "goal" else None
        if isinstance(data, dict) and isinstance(data.get("id"), str):
            ids.add(data["id"])
    return ids


def successor_id(goal_id: str, next_id: str, taken: set[str]) -> str:
    """``<goal>-<next>`` (the next period's id in lower case, as a goal id may hold it),
    shortened to the 64 characters an id may have, with ``-2``, ``-3`` ... when taken."""
    tail = re.sub(r"[^a-z0-9-]+", "-", next_id.lower()).strip("-")
    number = 1
    while True:
        suffix = f"-{tail}" + (f"-{number}" if number > 1 else "")
        candidate = goal_id[:64 - len(suffix)].rstrip("-") + suffix
        if candidate not in taken:
            scaffold.check_id(candidate)
            return candidate
        number += 1


def _config_change(repo: Repository, period: Period) -> FileChange:
    text = (repo.root / CONFIG_FILE).read_bytes().decode("utf-8")
    try:
        return FileChange(CONFIG_FILE, periods.add_period(text, period))
    except edit.EditError as exc:
        raise LifecycleError(f"{CONFIG_FILE}: cannot add period {period.id}: {exc}") from None


def successor_data(status: GoalStatus, raw: dict[str, Any], new_id: str, following: Period,
                   plan: dict[str, str]) -> dict[str, Any]:
    """The successor's data, keys in SPEC §1 order (see the module's docstring). ``raw``
    is the goal file's data: key results keep every key they have (a ``source`` too)."""
    goal = status.goal
    data: dict[str, Any] = {"id": new_id, "title": goal.title, "level": goal.level,
                            "owner": goal.owner, "team": goal.team,
                            "contributors": list(goal.contributors), "period": following.id,
                            "aligns_to": [plan.get(p, p) for p in goal.aligns_to],
                            "status": "active", "continues": goal.id,
                            "description": goal.description}
    krs = []
    for kr, kr_data in zip(goal.key_results, raw.get("key_results", ()), strict=True):
        if kr.kind == "milestone":
            if not kr.done:
                krs.append({**kr_data, "done": False})
        elif kr.kind == "control":
            krs.append(kr_data)
        elif measure_fields(kr_data) < 1:  # reached its target: not carried
            begin = kr.start if kr.current is None else kr.current
            krs.append({**kr_data, "start": begin, "current": begin})
    data["key_results"] = [dict(sorted(kr.items(), key=lambda kv: _rank(KR_ORDER, kv[0])))
                           for kr in krs]
    data["milestones"] = [
        {"title": m.title,
         **({"due": m.due.isoformat()} if m.due and m.due >= following.start else {}),
         **({"owner": m.owner} if m.owner else {})}
        for m in goal.milestones if not m.done]
    data["links"] = [{"title": link.title, "url": link.url} if link.title else
                     {"url": link.url} for link in goal.links]
    return {k: data[k] for k in KEY_ORDER if data.get(k) not in (None, [])}


def _rank(order: tuple[str, ...], key: str) -> int:
    return order.index(key) if key in order else len(order)


class _Dumper(yaml.SafeDumper):
    """Readable YAML, as SPEC §1 shows it: lists indented under their key, Markdown in
    literal blocks, lists of ids on one line, dates unquoted."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if ISO_DAY.fullmatch(value):  # goalsrepo reads a YAML date as its ISO text
        return dumper.represent_scalar("tag:yaml.org,2002:timestamp", value)
    style = "|" if "\n" in value.rstrip("\n") or value.endswith("\n") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.Node:
    flow = bool(value) and all(isinstance(v, str) and "\n" not in v for v in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(list, _list)


def successor_text(status: GoalStatus, raw: dict[str, Any], new_id: str, following: Period,
                   plan: dict[str, str], period: Period) -> str:
    """The successor's file: a comment saying where it came from, then its YAML."""
    data = successor_data(status, raw, new_id, following, plan)
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=88)
    return (f"# Carried over from {status.goal.id} ({period.id}) by `goalsrepo rollover`.\n"
            + body)

