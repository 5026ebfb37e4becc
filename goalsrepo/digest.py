"""``digest``: the agenda of a goals review meeting, computed from history.

What moved since a date and who moved it, the wins to celebrate (goals achieved, key
results that reached their target, milestones done, credited to the people who did it),
the adjustments made, and the goals at risk, off track or stale with their owners.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

from goalsrepo.events import Change, Event
from goalsrepo.model import Goal, KeyResult
from goalsrepo.progress import GoalStatus, kr_progress
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


def _reached(kr: KeyResult | None, change: Change) -> bool:
    """Whether this change made a key result reach its target (a win)."""
    if kr is None or change.field not in ("current", "done") or change.new is None:
        return False
    before = kr_progress(replace(kr, **{change.field: change.old}))
    after = kr_progress(replace(kr, **{change.field: change.new}))
    return before < 1 <= after


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
        for event in events:
            day = event.commit.date.astimezone(zone).date()
            if not since < day <= state.as_of:
                continue
            who = tuple(dict.fromkeys(
                names.get(people.get(a.email.lower(), ""), a.name) for a in event.commit.authors))
            item = _item(goal, event, who, day)
            if event.is_checkin or event.is_adjustment:
                changes = [c for c in event.changes if c.is_checkin or c.is_adjustment]
                label = "adjusted: " if event.is_adjustment else ""
                moved.append(_with(item, label + "; ".join(_describe(c) for c in changes)))
            wins.extend(_wins(goal, event, item))
    statuses = sorted(state.statuses(), key=lambda s: s.goal.id)
    at_risk = tuple(_status_item(s, f"{s.health.replace('_', ' ')}: {_pct(s.progress)} done, "
                                    f"{_pct(s.expected or 0)} expected")
                    for s in statuses if s.health in ("at_risk", "off_track"))
    stale = tuple(_status_item(s, "no check-in since " + (s.last_checkin.isoformat()
                                                          if s.last_checkin else "its creation"))
                  for s in statuses if s.stale)
    return Digest(since, state.as_of, tuple(moved), tuple(wins), at_risk, stale,
                  config.base_url, config.title)


def _item(goal: Goal, event: Event, who: tuple[str, ...], day: date) -> Item:
    return Item(goal.id, goal.title, goal.owner, "", who, event.commit.id, day)


def _with(item: Item, what: str) -> Item:
    return Item(item.goal, item.title, item.owner, what, item.people, item.commit, item.day)


def _wins(goal: Goal, event: Event, item: Item) -> list[Item]:
    krs = {kr.id: kr for kr in goal.key_results}
    found = []
    for change in event.changes:
        if change.kr is None and change.field == "status" and change.new == "achieved":
            found.append(_with(item, "goal achieved"))
        elif change.kr is None and change.field.startswith("milestones[") and change.new is True:
            found.append(_with(item, f"milestone done: {_milestone(change)}"))
        elif change.kr is not None and _reached(krs.get(change.kr), change):
            found.append(_with(item, f"key result reached its target: {change.kr}"))
    return found


def _pct(value: float) -> str:
    return f"{round(value * 100)}%"


def _status_item(status: GoalStatus, what: str) -> Item:
    goal = status.goal
    return Item(goal.id, goal.title, goal.owner, what)
