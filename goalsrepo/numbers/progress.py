"""The numbers of SPEC §3, as pure functions: no files, no git, no clock.

Every number here must be reproducible by hand from the goal files and the commits, so
each rule is one small function with the formula in its docstring.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, time
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import msgspec

from goalsrepo.files.config import Config, Health
from goalsrepo.files.model import Goal, KeyResult
from goalsrepo.gitlog.events import Activity, Event


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


def scored(status: str, due: date | None, today: date) -> bool:
    """Whether a goal has a score at T: achieved or missed, or active at or after its due
    date. Draft and dropped goals, and active goals before their due date, have none."""
    return status in ("achieved", "missed") or (
        status == "active" and due is not None and today >= due)


def score(status: str, progress: float, due: date | None, today: date) -> float | None:
    """The 0.0-1.0 OKR grade: ``progress`` (as it stood when the score was fixed, see
    :func:`fixed_version`) rounded to one decimal, or None when the goal has no score."""
    if scored(status, due, today):
        return round(progress + 1e-9, 1)
    return None


Version = dict[tuple[str | None, str], Any]  # (kr id or None, field) -> value


def fixed_version(goal: Goal, events: Sequence[Event], due: date | None,
                  zone: ZoneInfo) -> tuple[Version, datetime] | None:
    """The fields of the committed version of ``goal`` that fixes its score (SPEC §3), and
    the moment that fixed it: for an achieved or missed goal, the version of the last
    commit that set that status (its date); for an active goal, the last version
    committed on or before its due date (its first version when it was first committed
    later), and the end of the due date, so check-ins dated after it change nothing.
    None when history holds no such version (no history, or a status not committed
    yet): then the file's own values count."""
    closing = goal.status in ("achieved", "missed")
    fields: Version = {}
    fixed: Version | None = None
    moment: datetime | None = None
    for event in events:
        if not closing and fixed is not None and due is not None \
                and local_date(event.commit.date, zone) > due:
            break
        if event.kind in ("created", "deleted"):
            fields = {}
        for change in event.changes:
            if change.new is None:
                fields.pop((change.kr, change.field), None)
            else:
                fields[(change.kr, change.field)] = change.new
        if event.kind == "deleted":
            continue
        if not closing or any(c.kr is None and c.field == "status" and c.new == goal.status
                              for c in event.changes):
            fixed, moment = dict(fields), event.commit.date
    if fixed is None or moment is None or (
            closing and fields.get((None, "status")) != goal.status):
        return None
    if not closing and due is not None:
        moment = datetime.combine(due, time.max, zone)
    return fixed, moment


def version_progress(version: Version) -> float | None:
    """A goal version's own progress: the weight-averaged progress of the key results it
    held, judged by their definition in that version; None without key results."""
    krs: dict[str, dict[str, Any]] = {}
    for (kr, name), value in version.items():
        if kr is not None:
            krs.setdefault(kr, {})[name] = value
    if not krs:
        return None
    total = done = 0.0
    for fields in krs.values():
        weight = number(fields.get("weight"))
        weight = weight if weight is not None and weight > 0 else 1.0
        total += weight
        done += weight * measure_fields(fields)
    return done / total


def number(value: Any) -> float | None:
    """A number, or None for anything else an old, invalid version may hold."""
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def measure_fields(fields: Mapping[str, Any]) -> float:
    """A key result's progress from its fields as history holds them (the kind follows
    from its keys, as in :class:`~goalsrepo.files.model.KeyResult`)."""
    kind = ("milestone" if fields.get("done") is not None
            else "control" if fields.get("keep") is not None else "numeric")
    return measure(kind, number(fields.get("start")), number(fields.get("target")),
                   number(fields.get("current")), bool(fields.get("done")), fields.get("keep"))


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


class GoalStatus(msgspec.Struct, frozen=True, gc=False):
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

    def numbers(self) -> Numbers:
        """The numbers without the goal (what a site build keeps for the next one)."""
        return Numbers(start=self.start, due=self.due, progress=self.progress,
                       expected=self.expected, health=self.health, stale=self.stale,
                       last_checkin=self.last_checkin, score=self.score,
                       kr_progress=self.kr_progress)

    @classmethod
    def of(cls, goal: Goal, numbers: Numbers) -> GoalStatus:
        """A goal with the numbers a previous build computed for it."""
        return cls(goal=goal, start=numbers.start, due=numbers.due, progress=numbers.progress,
                   expected=numbers.expected, health=numbers.health, stale=numbers.stale,
                   last_checkin=numbers.last_checkin, score=numbers.score,
                   kr_progress=numbers.kr_progress)


class Numbers(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A :class:`GoalStatus` without its goal, as the build memory keeps it. Numbers are
    ``int | float``: a 1 a computation gave must come back as 1, not 1.0 (JSON shows it)."""

    start: date | None
    due: date | None
    progress: int | float
    expected: int | float | None
    health: str
    stale: bool
    last_checkin: date | None
    score: int | float | None
    kr_progress: tuple[int | float, ...]


def _unchanged_since(goal: Goal, act: Activity, due: date | None,
                     zone: ZoneInfo) -> datetime | None:
    """The moment that fixed a goal's score when no key result changed after it (so the
    version that fixed it holds the key results the file holds, and its events need not
    be read); None when one did, or history cannot tell."""
    if goal.key_results and act.kr_changed is None:
        return None  # its creation set them: history that does not say so cannot tell
    if goal.status in ("achieved", "missed"):
        moment = act.status_set
        if moment is None or (act.kr_changed is not None and act.kr_changed > moment):
            return None
        return moment
    if due is None or act.created is None or local_date(act.created, zone) > due:
        return None  # scored on its first version: the events say which
    if act.kr_changed is not None and local_date(act.kr_changed, zone) > due:
        return None
    return datetime.combine(due, time.max, zone)


def score_basis(goals: list[Goal], own: Mapping[str, float | None],
                progress: dict[str, float], dues: Mapping[str, date | None],
                activity: Mapping[str, Activity], events: Callable[[str], Sequence[Event]],
                today: date, zone: ZoneInfo) -> dict[str, float]:
    """The progress each goal's score is taken from: a scored goal's own progress in the
    version that fixed it (:func:`fixed_version`), rolled up like progress; a goal
    without key results averages the goals aligned to it that existed at that moment
    (a successor aligned to a closed goal later does not move its score)."""
    fixed: dict[str, float | None] = {}
    moments: dict[str, datetime] = {}
    nothing = Activity()
    for goal in goals:
        due = dues[goal.id]
        if not scored(goal.status, due, today):
            continue
        act = activity.get(goal.id, nothing)
        moment = _unchanged_since(goal, act, due, zone)
        if moment is not None:  # no key result moved since: the file's values count
            if not goal.key_results:
                fixed[goal.id], moments[goal.id] = None, moment
            continue
        found = fixed_version(goal, events(goal.id), due, zone)
        if found is not None:
            fixed[goal.id] = version_progress(found[0])
            moments[goal.id] = found[1]
    if not fixed:
        return progress
    basis = all_progress(goals, {**own, **fixed})
    children: dict[str, list[str]] = {}
    for goal in goals:
        for parent in goal.aligns_to:
            children.setdefault(parent, []).append(goal.id)
    for gid in (g for g, value in fixed.items() if value is None):
        then = [basis[c] for c in children.get(gid, ()) if c in basis
                and (born := activity.get(c, nothing).created) is not None
                and born <= moments[gid]]
        basis[gid] = sum(then) / len(then) if then else 0.0
    return basis


def compute(goals: Iterable[Goal], config: Config, activity: Mapping[str, Activity],
            today: date, events: Callable[[str], Sequence[Event]] | None = None,
            ) -> list[GoalStatus]:
    """Every number of every goal at ``today`` (T), from the goals and their history's
    :class:`~goalsrepo.gitlog.events.Activity` (latest creation and check-in). ``events(id)``
    gives a goal's events, oldest first, which fix the scores (:func:`fixed_version`);
    without it a score is taken from the file's values."""
    goals = list(goals)
    zone = config.zone
    # Measured per goal, not per id: two files sharing an id (a validation error, GR110)
    # must not pair one file's key results with the other's values.
    measured = [tuple(kr_progress(kr) for kr in g.key_results) for g in goals]
    own = [own_progress(g, values) for g, values in zip(goals, measured, strict=True)]
    own_by_id = {g.id: p for g, p in zip(goals, own, strict=True)}
    progress = all_progress(goals, own_by_id)
    periods = {p.id: p for p in config.periods}
    spans = {g.id: g.span(periods.get(g.period) if g.period else None) for g in goals}
    basis = progress if events is None else score_basis(
        goals, own_by_id, progress, {g: due for g, (_, due) in spans.items()}, activity, events,
        today, zone)
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
            score=score(goal.status, value if basis is progress else basis[goal.id], due,
                        today),
            kr_progress=kr_values,
        ))
    return out
