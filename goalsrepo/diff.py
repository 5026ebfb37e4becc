"""``diff``: what a change (a pull request) does to the goals.

Like a forge, it compares HEAD with the merge base of BASE and HEAD, so commits on the base
branch since the fork do not show up as this change's. Goals are matched by id, as in
history, and every field change is sorted into check-ins, adjustments (the changes a
reviewer must notice: targets, starts, due dates, periods), status changes and other edits.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from goalsrepo import git, history, lint, repository
from goalsrepo.diagnostics import Diagnostic
from goalsrepo.events import Change
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
class GoalsDiff:
    base: str  # the merge base
    head: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[GoalChange, ...]
    diagnostics: tuple[Diagnostic, ...]
    titles: dict[str, str]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def _goals_at(root: Path, commit: str) -> tuple[dict[str, dict[str, Any]], list[Diagnostic]]:
    """Goal id -> data of every valid goal file at ``commit``, and that commit's problems."""
    repo = repository.load(root, commit)
    found = {}
    for goal in repo.goals:
        data = repo.documents[goal.path].data
        if data is not None:
            found[goal.id] = data
    problems = [*repo.diagnostics, *check(repo), *lint.lint(repo)]
    return found, problems


def diff_revisions(root: Path, base: str, head: str = "HEAD") -> GoalsDiff:
    """Compare ``head`` with the merge base of ``base`` and ``head``."""
    head_commit = git.resolve(root, head)
    base_commit = git.merge_base(root, git.resolve(root, base), head_commit)
    before, _ = _goals_at(root, base_commit)
    after, problems = _goals_at(root, head_commit)
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
    )
