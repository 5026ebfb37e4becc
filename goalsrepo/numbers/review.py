"""The review of a period (SPEC §5): how its goals scored, what was achieved, missed,
dropped and carried over, every adjustment made on the way with its reason, the wins,
and the burn-up (average progress over time against the expected line).

Pure: computed from the goals' numbers (:class:`~goalsrepo.numbers.progress.GoalStatus`) and
rows of their history, so the site's period page and ``digest --period`` show the same
numbers. The score is the one of SPEC §3, as every other view shows it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import msgspec

from goalsrepo.files.config import Period
from goalsrepo.files.model import Goal
from goalsrepo.numbers import progress as numbers
from goalsrepo.numbers.progress import GoalStatus

BUCKETS = 11  # scores 0.0, 0.1, ..., 1.0


class TeamScore(msgspec.Struct, frozen=True):
    team: str | None
    goals: int
    scored: int
    average: float | None  # of the scored goals


class Adjustment(msgspec.Struct, frozen=True):
    """A change of a target, a start or a date, with the commit's message as its reason."""

    goal: str
    day: str
    commit: str
    authors: tuple[tuple[str, str], ...]
    reason: str
    what: str


class Win(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """Something to celebrate: a goal achieved, a key result reaching its target, or a
    milestone done, credited to the authors of the commit that did it. Found by
    :func:`goalsrepo.gitlog.timeline.read`; the site's logbook keeps them (see
    :class:`goalsrepo.web.pages.Derived`), hence the day as an ISO date."""

    goal: str
    what: str  # "goal" | "key_result" | "milestone"
    name: str  # the key result's id, the milestone's title, or "" for the goal
    day: str
    commit: str
    authors: tuple[tuple[str, str], ...]


class AdjustmentRow(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """An :class:`Adjustment` as the site's logbook keeps it, with its goal's."""

    day: str
    commit: str
    authors: tuple[tuple[str, str], ...]
    message: str
    what: str  # what changed, in words


class Carried(msgspec.Struct, frozen=True):
    """A goal of the period and the goal of a later period that continues it; or, for
    an unfinished goal not rolled over yet, ``successor`` None."""

    goal: str
    successor: str | None
    period: str | None


class Review(msgspec.Struct, frozen=True):
    period: Period
    as_of: date
    goals: tuple[str, ...]
    counts: tuple[tuple[str, int], ...]  # achieved, missed, dropped, continued, active, draft
    histogram: tuple[int, ...]  # goals scoring 0.0, 0.1, ..., 1.0
    average: float | None  # of the scored goals
    teams: tuple[TeamScore, ...]
    scores: tuple[tuple[str, float | None, str], ...]  # (goal, score, status), best first
    adjustments: tuple[Adjustment, ...]
    wins: tuple[Win, ...]
    carried: tuple[Carried, ...]  # rolled over (successor) or still to roll (None)
    burnup: tuple[tuple[date, float], ...]  # (day, average progress)

    @property
    def ended(self) -> bool:
        """Once T is past the period's last day, its page is the review."""
        return self.as_of > self.period.end

    def key(self) -> Any:
        """Everything the review shows, as plain data (a page key takes it)."""
        return (self.period.id, self.as_of.isoformat(), self.goals, self.counts,
                self.histogram, self.average,
                tuple((t.team, t.goals, t.scored, t.average) for t in self.teams),
                self.scores,
                tuple((a.goal, a.day, a.commit, a.authors, a.reason, a.what)
                      for a in self.adjustments),
                tuple((w.goal, w.what, w.name, w.day, w.commit, w.authors)
                      for w in self.wins),
                tuple((c.goal, c.successor, c.period) for c in self.carried),
                tuple((d.isoformat(), v) for d, v in self.burnup))


def review(period: Period, statuses: Iterable[GoalStatus], as_of: date, *,
           adjustments: Mapping[str, Sequence[AdjustmentRow]],
           wins: Mapping[str, Sequence[Win]],
           progress: Mapping[str, Sequence[tuple[str, float | None]]],
           with_burnup: bool = True) -> Review:
    """The review of ``period`` from every goal's numbers (``statuses``: all goals, so
    that successors in later periods are found) and, per goal id, its adjustments, wins
    and progress rows ``(day, own progress or None)``. Without ``with_burnup`` the
    burn-up is left empty: the site's page of an ended period does not show it, and it
    costs a rebuild at 10,000 goals a tenth of a second."""
    everything = list(statuses)
    mine = sorted((s for s in everything if s.goal.period == period.id),
                  key=lambda s: s.goal.id)
    ids = {s.goal.id for s in mine}
    successors: dict[str, GoalStatus] = {}  # the first by id of the goals carrying each on
    carrying = [(continued, s) for s in everything
                if (continued := s.goal.continues) in ids and s.goal.period != period.id]
    for continued, s in sorted(carrying, key=lambda pair: pair[1].goal.id):
        successors.setdefault(continued, s)
    status_counts = {k: sum(s.goal.status == k for s in mine)
                     for k in ("achieved", "missed", "dropped", "active", "draft")}
    counts = (("achieved", status_counts["achieved"]), ("missed", status_counts["missed"]),
              ("dropped", status_counts["dropped"]), ("continued", len(successors)),
              ("active", status_counts["active"]), ("draft", status_counts["draft"]))
    scored = [s for s in mine if s.score is not None]
    histogram = [0] * BUCKETS
    for s in scored:
        histogram[round((s.score or 0.0) * 10)] += 1
    teams: dict[str | None, list[GoalStatus]] = {}
    for s in mine:
        teams.setdefault(s.goal.team, []).append(s)
    carried = [Carried(gid, successors[gid].goal.id, successors[gid].goal.period)
               for gid in sorted(successors)]
    carried += [Carried(s.goal.id, None, None) for s in mine
                if s.goal.id not in successors and s.goal.status in ("active", "missed")
                and round(s.progress, 9) < 1]
    return Review(
        period=period, as_of=as_of, goals=tuple(s.goal.id for s in mine),
        counts=counts, histogram=tuple(histogram), average=_average(scored),
        teams=tuple(TeamScore(team, len(group), sum(s.score is not None for s in group),
                              _average([s for s in group if s.score is not None]))
                    for team, group in sorted(teams.items(),
                                              key=lambda kv: (kv[0] is None, kv[0] or ""))),
        scores=tuple((s.goal.id, s.score, s.goal.status) for s in sorted(
            mine, key=lambda s: (s.score is None, -(s.score or 0.0), s.goal.id))),
        adjustments=tuple(sorted(
            (Adjustment(gid, a.day, a.commit, a.authors, a.message, a.what)
             for gid in sorted(ids) for a in adjustments.get(gid, ())),
            key=lambda a: (a.day, a.goal, a.commit))),
        wins=tuple(sorted((w for gid in sorted(ids) for w in wins.get(gid, ())),
                          key=lambda w: (w.day, w.goal, w.commit, w.what, w.name))),
        carried=tuple(carried),
        burnup=burnup(period, mine, progress, as_of) if with_burnup else (),
    )


class _Above(msgspec.Struct, frozen=True):
    """The period's goals in alignment order (a goal before the goals it aligns to), each
    with the goals aligned to it and those it aligns to: what a day's burn-up needs to roll
    up only the goals that moved and the goals above them."""

    order: dict[str, int]
    children: dict[str, list[str]]
    parents: dict[str, list[str]]


def _ancestors(goals: Sequence[Goal]) -> _Above | None:
    """The alignment of ``goals`` among themselves, as :func:`progress.roll_up` reads it;
    None when it has a cycle."""
    by_id = {g.id: g for g in goals}
    children: dict[str, list[str]] = {}
    parents: dict[str, list[str]] = {}
    for goal in by_id.values():
        for parent in goal.aligns_to:
            if parent in by_id:
                children.setdefault(parent, []).append(goal.id)
                parents.setdefault(goal.id, []).append(parent)
    waiting = {gid: len(set(children.get(gid, ()))) for gid in by_id}
    ready = [gid for gid, n in waiting.items() if n == 0]
    order: dict[str, int] = {}
    while ready:
        gid = ready.pop()
        order[gid] = len(order)
        for parent in dict.fromkeys(parents.get(gid, ())):
            waiting[parent] -= 1
            if waiting[parent] == 0:
                ready.append(parent)
    return _Above(order, children, parents) if len(order) == len(by_id) else None


def _roll_up_moved(moved: set[str], above: _Above, own: Mapping[str, float | None],
                   rolled: dict[str, float]) -> None:
    """Update ``rolled`` (every goal's progress) for the goals in ``moved`` and the goals
    above them, each from its own progress, else the average of the goals aligned to it."""
    todo = set(moved)
    stack = list(moved)
    while stack:
        for parent in above.parents.get(stack.pop(), ()):
            if parent not in todo:
                todo.add(parent)
                stack.append(parent)
    for gid in sorted(todo, key=above.order.__getitem__):
        value = own.get(gid)
        if value is None:
            kids = above.children.get(gid, ())
            value = sum(rolled[k] for k in kids) / len(kids) if kids else 0.0
        rolled[gid] = value


def _average(scored: Sequence[GoalStatus]) -> float | None:
    if not scored:
        return None
    return round(sum(s.score or 0.0 for s in scored) / len(scored), 4)


def burnup(period: Period, goals: Sequence[GoalStatus],
           progress: Mapping[str, Sequence[tuple[str, float | None]]],
           as_of: date) -> tuple[tuple[date, float], ...]:
    """The average progress of the period's goals at the start and after each day that
    moved one, up to the end of the period (or T, if sooner): each goal as it stood on
    that day (0 before it was written), a goal without key results taking the average
    of those of the period aligned to it, as progress does. The last point, at T within
    the period, is today's average, the number the page shows beside it."""
    if not goals:
        return ()
    until = min(period.end, as_of)
    # A goal stands on a day at its last row (in history order) dated on or before it.
    # Swept by date: each day raises a goal's latest row index to those dated that day.
    latest: dict[str, int] = {}
    values: dict[str, list[float | None]] = {}
    moves: dict[date, list[tuple[str, int]]] = {}
    for s in goals:
        gid = s.goal.id
        values[gid] = []
        for index, (written, value) in enumerate(progress.get(gid, ())):
            values[gid].append(value)
            when = date.fromisoformat(written)
            if when <= period.start:
                latest[gid] = index
            elif when <= until:
                moves.setdefault(when, []).append((gid, index))
    own: dict[str, float | None] = {s.goal.id: 0.0 for s in goals}
    own.update({gid: values[gid][index] for gid, index in latest.items()})
    plain = [s.goal for s in goals]
    rolled = numbers.all_progress(plain, own)
    above = _ancestors(plain)
    # Summed exactly (fsum), so a day's average does not depend on the order of the goals.
    points = [(period.start, round(math.fsum(rolled.values()) / len(rolled), 4))]
    for day in sorted(moves):
        moved: set[str] = set()
        for gid, index in moves[day]:
            if index >= latest.get(gid, -1):
                latest[gid] = index
                own[gid] = values[gid][index]
                moved.add(gid)
        if above is None:  # a cycle (a validation error): roll everything up, as progress does
            rolled = numbers.all_progress(plain, own)
        else:
            _roll_up_moved(moved, above, own, rolled)
        points.append((day, round(math.fsum(rolled.values()) / len(rolled), 4)))
    if period.start <= as_of <= period.end:
        now = round(sum(s.progress for s in goals) / len(goals), 4)
        if points and points[-1][0] == as_of:
            points[-1] = (as_of, now)
        else:
            points.append((as_of, now))
    return tuple(points)
