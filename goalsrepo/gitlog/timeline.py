"""What a goal's events mean to the people reading its page: each key result's value over
time, the check-in and adjustment logs, the wins to celebrate and the drift of its targets.

Pure functions of one goal's events (oldest first), replayed in order, so a win is judged
by the target that held when it was won, not by today's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from goalsrepo.gitlog.events import Change, Event
from goalsrepo.numbers.progress import local_date, measure_fields, version_progress
from goalsrepo.numbers.review import Win


class Drift(msgspec.Struct, frozen=True):
    """How a goal's targets and dates moved since it was first committed."""

    goal: str
    first: tuple[tuple[str, str, Any], ...]   # (kr id or "", field, value) at creation
    now: tuple[tuple[str, str, Any], ...]     # the same fields now
    adjustments: tuple[Event, ...]


class Timeline(msgspec.Struct, frozen=True):
    """One goal's history, read for its page."""

    series: Mapping[str, tuple[tuple[date, float], ...]]  # numeric/control KR -> values
    checkins: tuple[Event, ...]
    adjustments: tuple[Event, ...]
    wins: tuple[Win, ...]
    drift: Drift | None
    # The goal's own progress after each day's events (None while it has no key
    # results): what a period's burn-up adds up.
    progress: tuple[tuple[date, float | None], ...] = ()


def day_of(event: Event, zone: ZoneInfo) -> date:
    return local_date(event.commit.date, zone)


def _progress(fields: Mapping[str, Any], field: str, value: Any) -> float:
    """A key result's progress with ``field`` set to ``value``, from the fields it had at
    that moment."""
    return measure_fields({**fields, field: value})


def _reached(fields: Mapping[str, Any], change: Change) -> bool:
    """Whether ``change`` made the key result reach its target, judged by its definition
    at that moment."""
    if change.field not in ("current", "done") or change.new is None:
        return False
    return _progress(fields, change.field, change.old) < 1 <= _progress(
        fields, change.field, change.new)


DRIFT_KR_FIELDS = ("start", "target")
DRIFT_GOAL_FIELDS = ("due", "period")


def read(goal: str, events: Iterable[Event], zone: ZoneInfo) -> Timeline:
    """Replay a goal's events, oldest first."""
    krs: dict[str, dict[str, Any]] = {}
    series: dict[str, list[tuple[date, float]]] = {}
    checkins: list[Event] = []
    adjustments: list[Event] = []
    wins: list[Win] = []
    first: dict[tuple[str, str], Any] | None = None
    current: dict[tuple[str, str], Any] = {}
    progress: list[tuple[date, float | None]] = []
    for event in events:
        day = day_of(event, zone)
        authors = tuple((a.name, a.email) for a in event.commit.authors)
        if event.kind == "created":
            krs.clear()
            current = {}
        for change in event.changes:
            if change.kr is not None:
                fields = krs.setdefault(change.kr, {})
                if event.kind != "created" and _reached(fields, change):
                    wins.append(Win(goal, "key_result", change.kr, day.isoformat(),
                                    event.commit.id, authors))
                fields[change.field] = change.new
                if change.field in DRIFT_KR_FIELDS:
                    current[(change.kr, change.field)] = change.new
                if change.field == "current" and isinstance(change.new, (int, float)) \
                        and not isinstance(change.new, bool):
                    points = series.setdefault(change.kr, [])
                    if points and points[-1][0] == day:
                        points[-1] = (day, float(change.new))  # the day's last value holds
                    else:
                        points.append((day, float(change.new)))
            elif change.field in DRIFT_GOAL_FIELDS:
                current[("", change.field)] = change.new
            elif event.kind != "created" and change.field == "status" \
                    and change.new == "achieved":
                wins.append(Win(goal, "goal", "", day.isoformat(), event.commit.id, authors))
            elif event.kind != "created" and change.field.startswith("milestones[") \
                    and change.new is True and change.old is not True:
                title = change.field[len("milestones["):-len("].done")]
                wins.append(Win(goal, "milestone", title, day.isoformat(), event.commit.id,
                                authors))
        if event.kind == "created" and first is None:
            first = dict(current)
        if event.is_checkin:
            checkins.append(event)
        if event.is_adjustment:
            adjustments.append(event)
        if event.kind != "deleted":
            own = version_progress({(kr, name): value for kr, held in krs.items()
                                    for name, value in held.items() if value is not None})
            if progress and progress[-1][0] == day:
                progress[-1] = (day, own)
            else:
                progress.append((day, own))
    drift = None
    if first is not None and adjustments:
        keys = sorted(set(first) | set(current), key=lambda k: (k[0], k[1]))
        moved = [k for k in keys if first.get(k) != current.get(k)]
        if moved:
            drift = Drift(goal, tuple((k[0], k[1], first.get(k)) for k in moved),
                          tuple((k[0], k[1], current.get(k)) for k in moved),
                          tuple(adjustments))
    return Timeline({k: tuple(v) for k, v in series.items()}, tuple(checkins),
                    tuple(adjustments), tuple(wins), drift, tuple(progress))
