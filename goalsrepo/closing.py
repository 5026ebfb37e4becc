"""``close``: end a period. Every active goal of it becomes ``achieved`` (its progress is 1)
or ``missed``, which fixes its score (SPEC §3): the progress in the commit that closes it.

The status lines are changed with the same in-place edit as a check-in (comments and
formatting stay), all files or none (:mod:`goalsrepo.files.changeset`). Goals named with
``--keep`` stay open; drafts are listed and left as they are; goals that are already
achieved, missed or dropped are not touched, so closing twice changes nothing the second
time.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from goalsrepo.diagnostics import Diagnostic, Severity
from goalsrepo.errors import GoalsrepoError
from goalsrepo.files import changeset, edit, loader, schema
from goalsrepo.files.changeset import FileChange
from goalsrepo.files.config import Config, Period
from goalsrepo.files.model import KEY_ORDER
from goalsrepo.files.repository import Repository
from goalsrepo.gitlog import git
from goalsrepo.numbers.progress import GoalStatus
from goalsrepo.numbers.state import State, load_state

STATUS_AFTER = KEY_ORDER[:KEY_ORDER.index("status")]


class LifecycleError(GoalsrepoError):
    """The period, a goal or the moment is wrong for the command; nothing was written."""


class InvalidGoals(GoalsrepoError):
    """The goals have errors: fix them first. ``diagnostics`` lists them."""

    def __init__(self, diagnostics: tuple[Diagnostic, ...]) -> None:
        super().__init__(f"{len(diagnostics)} error(s) in the goal files: nothing was "
                         "written (run `goalsrepo validate`)")
        self.diagnostics = diagnostics


@dataclass(frozen=True)
class ClosedGoal:
    """One goal of the period: its score and status after the close, and what the close
    did to it: ``closed``, ``kept`` (``--keep``), ``draft`` (left), or ``unchanged``
    (already achieved, missed or dropped)."""

    id: str
    path: str
    score: float | None
    status: str
    action: str


@dataclass(frozen=True)
class CloseResult:
    period: Period
    today: date
    goals: tuple[ClosedGoal, ...]
    commit: str | None
    dry_run: bool

    @property
    def closed(self) -> list[ClosedGoal]:
        return [g for g in self.goals if g.action == "closed"]

    @property
    def message(self) -> str:
        """The commit's subject: ``close(2026-Q4): 12 achieved, 5 missed``."""
        achieved = sum(g.status == "achieved" for g in self.closed)
        missed = sum(g.status == "missed" for g in self.closed)
        return f"close({self.period.id}): {achieved} achieved, {missed} missed"


def commit_day(config: Config) -> date:
    """The day of a commit made now: ``GIT_AUTHOR_DATE`` when set to an ISO 8601 date (as
    git will date the commit), else the clock, in the repository's time zone."""
    pinned = os.environ.get("GIT_AUTHOR_DATE", "")
    try:
        moment = datetime.fromisoformat(pinned)
    except ValueError:
        return datetime.now(config.zone).date()
    return (moment if moment.tzinfo else moment.replace(tzinfo=config.zone)
            ).astimezone(config.zone).date()


def require_valid(state: State) -> None:
    """Refuse to change a repository whose goals have errors."""
    from goalsrepo.validate import check

    repo = state.repo
    errors = [d for d in [*repo.diagnostics, *check(repo)] if d.severity is Severity.ERROR]
    if errors:
        raise InvalidGoals(tuple(sorted(errors, key=Diagnostic.sort_key)))


def find_period(config: Config, period_id: str) -> Period:
    found = config.period(period_id)
    if found is None:
        known = ", ".join(p.id for p in config.periods) or "none"
        raise LifecycleError(f"period `{period_id}` is not defined in goalsrepo.yaml "
                             f"(known: {known})")
    return found


def done(status: GoalStatus) -> bool:
    """Whether a goal's progress is 1 (float noise aside): it is achieved."""
    return round(status.progress, 9) >= 1


def status_edit(repo: Repository, path: str, status: str) -> FileChange:
    """The goal file at ``path`` with its ``status:`` set (added after the keys that come
    before it, when the file has none), checked to still be a valid goal file."""
    text = (repo.root / path).read_bytes().decode("utf-8")
    try:
        changed = edit.set_value(text, ("status",), status, after=STATUS_AFTER)
    except edit.EditError as exc:
        raise LifecycleError(f"{path}: cannot set its status: {exc}") from None
    check_goal_text(changed, path)
    return FileChange(path, changed)


def check_goal_text(text: str, path: str) -> None:
    doc = loader.parse(text, path)
    if doc.diagnostics or schema.check(doc, "goal"):
        raise LifecycleError(f"{path} would not validate after the change; nothing written")


def close(root: Path, period_id: str, *, early: bool = False, keep: Iterable[str] = (),
          dry_run: bool = False, commit: bool = False, today: date | None = None,
          ) -> CloseResult:
    """Close ``period_id`` (see the module's docstring). ``today`` is the day of the
    close (default :func:`commit_day`); before the period's last day it is refused
    unless ``early``."""
    state = load_state(root)
    repo = state.repo
    require_valid(state)
    period = find_period(repo.config, period_id)
    today = today or commit_day(repo.config)
    if today < period.end and not early:
        raise LifecycleError(f"period {period.id} ends on {period.end.isoformat()}: close it "
                             "then, or pass --early to close it now")
    keep = set(keep)
    statuses = sorted((s for s in state.statuses() if s.goal.period == period.id),
                      key=lambda s: s.goal.id)
    unknown = sorted(keep - {s.goal.id for s in statuses})
    if unknown:
        raise LifecycleError(f"--keep {', '.join(unknown)}: not a goal of {period.id}")
    goals, changes = [], []
    for s in statuses:
        goal = s.goal
        if goal.status == "active" and goal.id not in keep:
            new = "achieved" if done(s) else "missed"
            changes.append(status_edit(repo, goal.path, new))
            goals.append(ClosedGoal(goal.id, goal.path, round(s.progress + 1e-9, 1), new,
                                    "closed"))
            continue
        action = ("kept" if goal.status == "active" else
                  "draft" if goal.status == "draft" else "unchanged")
        goals.append(ClosedGoal(goal.id, goal.path, s.score, goal.status, action))
    result = CloseResult(period, today, tuple(goals), None, dry_run)
    if dry_run or not changes:
        return result
    changeset.apply(root, changes)
    if commit:
        body = "\n".join(f"- {g.id}: {g.status}, score {g.score:.1f}"
                         for g in result.closed)
        sha = git.commit_files(root, [c.path for c in changes], f"{result.message}\n\n{body}")
        result = CloseResult(period, today, tuple(goals), sha, dry_run)
    return result
