"""``diff``: what a change (a pull request) does to the goals.

Like a forge, it compares HEAD with the merge base of BASE and HEAD, so commits on the base
branch since the fork do not show up as this change's. Goals are matched by id, as in
history, and every field change is sorted into check-ins, adjustments (the changes a
reviewer must notice: targets, starts, due dates, periods), status changes and other edits.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from goalsrepo import lint
from goalsrepo.diagnostics import Diagnostic
from goalsrepo.files import repository
from goalsrepo.files.model import Goal
from goalsrepo.files.repository import Repository
from goalsrepo.gitlog import git, history
from goalsrepo.gitlog.events import Change
from goalsrepo.validate import check


@dataclass(frozen=True)
class GoalChange:
    id: str
    title: str
    checkins: tuple[Change, ...]
    adjustments: tuple[Change, ...]
    status: Change | None
    other: tuple[str, ...]


@dataclass(frozen=True)
class PeriodPlan:
    """What a change plans for one period: the goals it adds there, by team and level,
    and what a reviewer of a plan looks for (SPEC §6): goals aligned to nothing, owners
    who would own more active goals than the lint allows, key results without a unit."""

    period: str | None
    goals: tuple[str, ...]
    by_team_level: tuple[tuple[str | None, str, int], ...]  # (team, level, goals added)
    unaligned: tuple[str, ...]
    overloaded: tuple[tuple[str, int], ...]  # (owner, active goals after the change)
    limit: int  # lint.max_owner_goals
    without_unit: tuple[tuple[str, str], ...]  # (goal, key result)


@dataclass(frozen=True)
class GoalsDiff:
    base: str  # the merge base
    head: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[GoalChange, ...]
    diagnostics: tuple[Diagnostic, ...]
    titles: dict[str, str]
    plan: tuple[PeriodPlan, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def _goals_at(root: Path, commit: str,
              ) -> tuple[dict[str, dict[str, Any]], list[Diagnostic], Repository]:
    """Goal id -> data of every valid goal file at ``commit``, that commit's problems, and
    its goals."""
    repo = repository.load(root, commit)
    found = {}
    for goal in repo.goals:
        data = repo.documents[goal.path].data
        if data is not None:
            found[goal.id] = data
    problems = [*repo.diagnostics, *check(repo), *lint.lint(repo)]
    return found, problems, repo


def plan(repo: Repository, added: set[str]) -> tuple[PeriodPlan, ...]:
    """A :class:`PeriodPlan` for each period that the ``added`` goals of ``repo`` go to."""
    limit = repo.config.lint.max_owner_goals
    active = Counter(g.owner for g in repo.goals if g.status == "active")
    by_period: dict[str | None, list[Goal]] = {}
    for goal in sorted((g for g in repo.goals if g.id in added), key=lambda g: g.id):
        by_period.setdefault(goal.period, []).append(goal)
    out = []
    for period, goals in sorted(by_period.items(), key=lambda kv: (kv[0] is None, kv[0] or "")):
        teams = Counter((g.team, g.level) for g in goals)
        owners = sorted({g.owner for g in goals})
        out.append(PeriodPlan(
            period, tuple(g.id for g in goals),
            tuple((team, level, n) for (team, level), n in sorted(
                teams.items(), key=lambda kv: (kv[0][0] is None, kv[0][0] or "", kv[0][1]))),
            tuple(g.id for g in goals if g.level != "organization" and not g.aligns_to),
            tuple((o, active[o]) for o in owners if active[o] > limit), limit,
            tuple((g.id, kr.id) for g in goals for kr in g.key_results
                  if kr.kind == "numeric" and not kr.unit)))
    return tuple(out)


def diff_revisions(root: Path, base: str, head: str = "HEAD") -> GoalsDiff:
    """Compare ``head`` with the merge base of ``base`` and ``head``."""
    head_commit = git.resolve(root, head)
    base_commit = git.merge_base(root, git.resolve(root, base), head_commit)
    before, _, _ = _goals_at(root, base_commit)
    after, problems, head_repo = _goals_at(root, head_commit)
    changed = []
    for goal_id in sorted(set(before) & set(after)):
        changes = history.diff(history.snapshot(before[goal_id]),
                               history.snapshot(after[goal_id]))
        if not changes:
            continue
        status = next((c for c in changes if c.kr is None and c.field == "status"), None)
        checkins = tuple(c for c in changes if c.is_checkin)
        adjustments = tuple(c for c in changes if c.is_adjustment)
        other = tuple(dict.fromkeys(
            f"{c.kr}.{c.field}" if c.kr else c.field for c in changes
            if c is not status and not c.is_checkin and not c.is_adjustment))
        changed.append(GoalChange(goal_id, str(after[goal_id].get("title", goal_id)),
                                  checkins, adjustments, status, other))
    titles = {g: str(d.get("title", g)) for g, d in {**before, **after}.items()}
    return GoalsDiff(
        base_commit, head_commit, tuple(sorted(set(after) - set(before))),
        tuple(sorted(set(before) - set(after))), tuple(changed),
        tuple(sorted(problems, key=Diagnostic.sort_key)), titles,
        plan(head_repo, set(after) - set(before)),
    )
