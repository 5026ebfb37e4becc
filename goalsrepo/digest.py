"""``digest``: the agenda of a goals review meeting, computed from history.

What moved since a date and who moved it, the wins to celebrate (goals achieved, key
results that reached their target, milestones done, credited to the people who did it),
the adjustments made, and the goals at risk, off track or stale with their owners.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from goalsrepo import timeline
from goalsrepo.events import Change, Event
from goalsrepo.model import Goal
from goalsrepo.progress import GoalStatus
from goalsrepo.state import load_state


@dataclass(frozen=True)
class Item:
    """One line of the agenda: a goal, what happened, who did it, in which commit."""

    goal: str
    title: str
    owner: str
    what: str
    people: tuple[str, ...] = ()
    commit: str | None = None
    day: date | None = None


@dataclass(frozen=True)
class Digest:
    since: date
    as_of: date
    moved: tuple[Item, ...]
    wins: tuple[Item, ...]
    at_risk: tuple[Item, ...]
    stale: tuple[Item, ...]
    base_url: str | None = None
    title: str = "Goals"


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "done" if value else "not done"
    return "none" if value is None else str(value)


def _describe(change: Change) -> str:
    if change.kr is None and change.field.startswith("milestones["):
        return f"milestone “{_milestone(change)}” {_value(change.new)}"
    name = f"{change.kr} {change.field}" if change.kr else change.field
    return f"{name} {_value(change.old)} → {_value(change.new)}"


def _milestone(change: Change) -> str:
    return change.field[len("milestones["):-len("].done")]


def build_digest(root: Path, since_days: int = 7, *, allow_shallow: bool = False) -> Digest:
    """The agenda for the ``since_days`` days up to the as-of date (HEAD's author date)."""
    state = load_state(root, allow_shallow=allow_shallow)
    config = state.repo.config
    zone = config.zone
    since = state.as_of - timedelta(days=since_days)
    people = state.repo.people_by_email()
    names = state.repo.names()
    goals = {g.id: g for g in state.repo.goals}
    moved: list[Item] = []
    wins: list[Item] = []
    for goal_id, events in sorted(state.history.events.items()):
        goal = goals.get(goal_id)
        if goal is None:
            continue

        def credit(event: Event) -> tuple[str, ...]:
            return tuple(dict.fromkeys(names.get(people.get(a.email.lower(), ""), a.name)
                                       for a in event.commit.authors))

        for event in events:
            day = event.commit.date.astimezone(zone).date()
            if not since < day <= state.as_of:
                continue
            if event.is_checkin or event.is_adjustment:
                changes = [c for c in event.changes if c.is_checkin or c.is_adjustment]
                label = "adjusted: " if event.is_adjustment else ""
                moved.append(Item(goal.id, goal.title, goal.owner,
                                  label + "; ".join(_describe(c) for c in changes),
                                  credit(event), event.commit.id, day))
        wins.extend(_win_items(goal, events, zone, since, state.as_of, credit))
    statuses = sorted(state.statuses(), key=lambda s: s.goal.id)
    at_risk = tuple(_status_item(s, f"{s.health.replace('_', ' ')}: {_pct(s.progress)} done, "
                                    f"{_pct(s.expected or 0)} expected")
                    for s in statuses if s.health in ("at_risk", "off_track"))
    stale = tuple(_status_item(s, "no check-in since " + (s.last_checkin.isoformat()
                                                          if s.last_checkin else "its creation"))
                  for s in statuses if s.stale)
    return Digest(since, state.as_of, tuple(moved), tuple(wins), at_risk, stale,
                  config.base_url, config.title)


WIN_TEXT = {"goal": "goal achieved", "milestone": "milestone done: ",
            "key_result": "key result reached its target: "}


def _win_items(goal: Goal, events: list[Event], zone: ZoneInfo, since: date, as_of: date,
               credit: Callable[[Event], tuple[str, ...]]) -> list[Item]:
    """The goal's wins in the window, judged as timeline.read judges them (by the target
    that held at the time), credited to the people of the commit that won them."""
    by_commit = {e.commit.id: e for e in events}
    found = []
    for win in timeline.read(goal.id, events, zone).wins:
        if since < win.day <= as_of:
            what = WIN_TEXT[win.what] + (win.name if win.what != "goal" else "")
            found.append(Item(goal.id, goal.title, goal.owner, what,
                              credit(by_commit[win.commit]), win.commit, win.day))
    return found


def _pct(value: float) -> str:
    return f"{round(value * 100)}%"


def _status_item(status: GoalStatus, what: str) -> Item:
    goal = status.goal
    return Item(goal.id, goal.title, goal.owner, what)
