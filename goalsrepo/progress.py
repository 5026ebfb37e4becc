"""The numbers of SPEC §3, as pure functions: no files, no git, no clock.

Every number here must be reproducible by hand from the goal files and the commits, so
each rule is one small function with the formula in its docstring.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from goalsrepo.config import Config, Health
from goalsrepo.events import Activity
from goalsrepo.model import Goal, KeyResult


def clamp(value: float) -> float:
    return max(0.0, min(1.0, value))


def kr_progress(kr: KeyResult) -> float:
    """A key result's progress (SPEC §3); see :func:`measure`."""
    return measure(kr.kind, kr.start, kr.target, kr.current, kr.done, kr.keep)


def measure(kind: str, start: float | None, target: float | None, current: float | None,
            done: bool | None, keep: str | None) -> float:
    """numeric: clamp((current - start) / (target - start)), a missing current counting as
    start; milestone: 1 if done else 0; control: 1 while current is on the right side of
    target, inclusive, else 0 (and 0 before a first measurement). A key result too
    incomplete to measure (an old version in history, or target == start, a validation
    error, GR131) is 0: never a division by zero."""
    if kind == "milestone":
        return 1.0 if done else 0.0
    if kind == "control":
        if current is None or target is None:
            return 0.0
        ok = current <= target if keep == "below" else current >= target
        return 1.0 if ok else 0.0
    if start is None or target is None or target == start:
        return 0.0
    current = start if current is None else current
    return clamp((current - start) / (target - start))


def own_progress(goal: Goal, kr_values: tuple[float, ...] | None = None) -> float | None:
    """The weight-averaged progress of a goal's key results (``kr_values`` when already
    measured); None without key results."""
    if not goal.key_results:
        return None
    if kr_values is None:
        kr_values = tuple(kr_progress(kr) for kr in goal.key_results)
    total = sum(kr.weight for kr in goal.key_results)
    return sum(kr.weight * v for kr, v in zip(goal.key_results, kr_values, strict=True)) / total


T = TypeVar("T")


def roll_up(goals: Iterable[Goal], own: Mapping[str, T | None],
            combine: Callable[[list[T]], T], empty: T) -> dict[str, T]:
    """Each goal's own value, else ``combine`` of the values of the goals aligned to it
    (recursively), else ``empty``. Cycles (a validation error) end in ``empty``."""
    by_id = {g.id: g for g in goals}
    children: dict[str, list[str]] = {}
    for goal in by_id.values():
        for parent in goal.aligns_to:
            children.setdefault(parent, []).append(goal.id)
    result: dict[str, T] = {g: v for g, v in own.items() if v is not None and g in by_id}
    for goal_id in by_id:
        if goal_id in result:
            continue
        # Iterative post-order walk: a 10,000-deep chain must not hit the recursion limit.
        stack = [(goal_id, False)]
        visiting: set[str] = set()
        while stack:
            current, expanded = stack.pop()
            if current in result:
                continue
            kids = [k for k in children.get(current, ()) if k in by_id]
            if not kids:
                result[current] = empty
                continue
            if expanded:
                visiting.discard(current)
                result[current] = combine([result.get(k, empty) for k in kids])
                continue
            visiting.add(current)
            stack.append((current, True))
            stack.extend((k, False) for k in kids if k not in result and k not in visiting)
    return result


def all_progress(goals: Iterable[Goal],
                 own: Mapping[str, float | None] | None = None) -> dict[str, float]:
    """Progress of every goal: its own (``own`` when already measured), else the plain
    average of the goals aligned to it (recursively), else 0."""
    goals = list(goals)
    if own is None:
        own = {g.id: own_progress(g) for g in goals}
    return roll_up(goals, own, lambda values: sum(values) / len(values), 0.0)


def _latest(values: list[date | None]) -> date | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def expected(start: date | None, due: date | None, today: date) -> float | None:
    """clamp((T - start) / (due - start)); a zero-length span is 1 from its day on; None
    without both dates."""
    if start is None or due is None:
        return None
    if due <= start:
        return 1.0 if today >= due else 0.0
    return clamp((today - start).days / (due - start).days)


def health(status: str, progress: float, expected_progress: float | None,
           margins: Health) -> str:
    """A status other than active decides; else done at 1, on_track when progress >=
    expected - at_risk, at_risk when >= expected - off_track, else off_track. Without
    dates nothing is expected yet."""
    if status != "active":
        return status
    if progress >= 1.0:
        return "done"
    wanted = expected_progress or 0.0
    # Round away float noise: 0.3 - 0.1 must compare as 0.2, as it does by hand.
    if round(progress - (wanted - margins.at_risk), 9) >= 0:
        return "on_track"
    if round(progress - (wanted - margins.off_track), 9) >= 0:
        return "at_risk"
    return "off_track"


def score(status: str, progress: float, due: date | None, today: date) -> float | None:
    """The 0.0-1.0 OKR grade: progress rounded to one decimal, at or after the due date or
    once achieved or missed; None before."""
    if status in ("achieved", "missed") or (due is not None and today >= due):
        return round(progress + 1e-9, 1)
    return None


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar day of a commit in the repository's time zone (SPEC §3)."""
    return moment.astimezone(zone).date()


def stale(status: str, last: date | None, created: date | None, today: date,
          checkin_days: int) -> bool:
    """Active, and the later of the last check-in and the latest creation is more than
    ``checkin_days`` days before T: a deleted and re-added goal restarts the clock, even
    when it was checked in during its earlier life. Without history nothing is stale."""
    since = max((d for d in (last, created) if d is not None), default=None)
    return status == "active" and since is not None and (today - since).days > checkin_days


@dataclass(frozen=True)
class GoalStatus:
    """A goal with every computed number of SPEC §3 at the as-of date."""

    goal: Goal
    start: date | None
    due: date | None
    progress: float
    expected: float | None
    health: str
    stale: bool
    last_checkin: date | None
    score: float | None
    kr_progress: tuple[float, ...]

    def to_row(self) -> tuple[Any, ...]:
        """The numbers as plain values (what a site build keeps for the next one)."""
        kept: tuple[Any, ...] | None = self.__dict__.get("_row")
        if kept is not None:  # read from a row: the same row, without ten thousand dates
            return kept
        return (_iso(self.start), _iso(self.due), self.progress, self.expected, self.health,
                self.stale, _iso(self.last_checkin), self.score, self.kr_progress)

    @classmethod
    def from_row(cls, goal: Goal, row: tuple[Any, ...]) -> GoalStatus:
        start, due, progress, expected, health_, stale_, last, score_, krs = row
        # Set as a frozen dataclass's __init__ would, without its object.__setattr__ per
        # field: a build after a check-in reads 10,000 of these.
        status = object.__new__(cls)
        status.__dict__.update(
            goal=goal, start=_day(start), due=_day(due), progress=progress,
            expected=expected, health=health_, stale=stale_, last_checkin=_day(last),
            score=score_, kr_progress=tuple(krs),
            _row=row)  # not a field, as Goal's: to_row gives it back
        return status


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def compute(goals: Iterable[Goal], config: Config, activity: Mapping[str, Activity],
            today: date) -> list[GoalStatus]:
    """Every number of every goal at ``today`` (T), from the goals and their history's
    :class:`~goalsrepo.events.Activity` (latest creation and check-in)."""
    goals = list(goals)
    zone = config.zone
    # Measured per goal, not per id: two files sharing an id (a validation error, GR110)
    # must not pair one file's key results with the other's values.
    measured = [tuple(kr_progress(kr) for kr in g.key_results) for g in goals]
    own = [own_progress(g, values) for g, values in zip(goals, measured, strict=True)]
    progress = all_progress(goals, {g.id: p for g, p in zip(goals, own, strict=True)})
    periods = {p.id: p for p in config.periods}
    nothing = Activity()
    checkins: dict[str, date | None] = {}
    for goal in goals:
        moment = activity.get(goal.id, nothing).last_checkin
        checkins[goal.id] = local_date(moment, zone) if moment else None
    # A goal with nothing to check in (no key results, no milestones) is checked in through
    # the goals aligned to it: their latest check-in is its own.
    rolled = roll_up(goals, {g.id: checkins[g.id] for g in goals
                             if g.key_results or g.milestones}, _latest, None)
    out = []
    for goal, kr_values, own_value in zip(goals, measured, own, strict=True):
        value = progress[goal.id] if own_value is None else own_value
        start, due = goal.span(periods.get(goal.period) if goal.period else None)
        act = activity.get(goal.id, nothing)
        last = checkins[goal.id] if goal.key_results or goal.milestones else rolled[goal.id]
        created = local_date(act.created, zone) if act.created else None
        exp = expected(start, due, today)
        out.append(GoalStatus(
            goal=goal, start=start, due=due, progress=value, expected=exp,
            health=health(goal.status, value, exp, config.health),
            stale=stale(goal.status, last, created, today, config.checkin_days),
            last_checkin=last,
            score=score(goal.status, value, due, today),
            kr_progress=kr_values,
        ))
    return out
