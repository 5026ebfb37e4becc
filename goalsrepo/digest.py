"""``digest``: the agenda of a goals review meeting, computed from history.

What moved in the window and who moved it, the wins to celebrate (goals achieved, key
results that reached their target, milestones done, credited to the people who did it),
the adjustments made, the goals at risk, off track or stale, and the goals due soon, each
with its owner, whom the chat payloads mention. The window is ``since_days`` calendar days
ending on the as-of date, both ends included: ``--since 7`` on 2026-11-20 covers
2026-11-14 to 2026-11-20.

A :class:`Scope` narrows the agenda: one person's (a one-to-one: what they own or
contribute to, and every check-in they made), or one team's with its sub-teams.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from goalsrepo.errors import GoalsrepoError
from goalsrepo.files.config import Person, Team
from goalsrepo.files.model import Goal
from goalsrepo.gitlog import timeline
from goalsrepo.gitlog.events import Change, Event
from goalsrepo.numbers.progress import GoalStatus
from goalsrepo.numbers.state import load_state

DUE_DAYS = {"all": 7, "team": 7, "person": 14}  # "due soon": days after the as-of date
MENTION = ("at_risk", "stale", "due")  # the sections whose owners must act


class UnknownScope(GoalsrepoError):
    """``--person`` or ``--team`` names no one in people.yaml / teams.yaml (a usage error)."""

    exit_code = 2


@dataclass(frozen=True)
class Scope:
    """Whose agenda: everyone's (``all``), a ``person``'s or a ``team``'s (with its
    sub-teams). Another selector (a period) is one more ``kind``."""

    kind: str = "all"
    id: str | None = None


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
    since: date  # the first day in the window
    as_of: date  # the last day in the window
    moved: tuple[Item, ...]
    wins: tuple[Item, ...]
    at_risk: tuple[Item, ...]
    stale: tuple[Item, ...]
    due: tuple[Item, ...] = ()
    checkins: tuple[Item, ...] = ()  # a person's own check-ins, on any goal
    base_url: str | None = None
    title: str = "Goals"
    scope: Scope = Scope()
    subject: str | None = None  # the person's or team's name
    due_days: int = 7
    people: Mapping[str, Person] = field(default_factory=dict)

    @property
    def days(self) -> int:
        return (self.as_of - self.since).days + 1

    @property
    def heading(self) -> str:
        """``Goals: goals review, 2026-11-14 to 2026-11-20 (7 days)``: which days are in."""
        what = {"person": f"one-to-one with {self.subject}",
                "team": f"{self.subject} goals review"}.get(self.scope.kind, "goals review")
        days = "1 day" if self.days == 1 else f"{self.days} days"
        span = (f"{self.as_of}" if self.days == 1 else f"{self.since} to {self.as_of}")
        return f"{self.title}: {what}, {span} ({days})"

    def owner_name(self, item: Item) -> str:
        found = self.people.get(item.owner)
        return found.name if found else item.owner

    def sections(self) -> list[tuple[str, str, tuple[Item, ...]]]:
        """(key, heading, items) of each section, in the agenda's order; a person's own
        check-ins only in a one-to-one."""
        out = [("moved", "Progress moved", self.moved), ("wins", "Wins to celebrate", self.wins),
               ("at_risk", "At risk or off track", self.at_risk),
               ("stale", "Stale: no recent check-in", self.stale),
               ("due", f"Due in the next {self.due_days} days", self.due)]
        if self.scope.kind == "person":
            out.append(("checkins", f"Check-ins by {self.subject}", self.checkins))
        return out


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


def _sub_teams(teams: Mapping[str, Team], root: str) -> set[str]:
    """``root`` and every team below it (a team cycle is a validation error; the walk stops
    at a team seen before all the same)."""
    below: dict[str, list[str]] = {}
    for team in teams.values():
        if team.parent:
            below.setdefault(team.parent, []).append(team.id)
    found, todo = {root}, [root]
    while todo:
        for child in below.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def build_digest(root: Path, since_days: int = 7, *, scope: Scope = Scope(),
                 allow_shallow: bool = False) -> Digest:
    """The agenda for the ``since_days`` days that end on the as-of date (HEAD's author
    date), both included, for everyone or for ``scope``."""
    state = load_state(root, allow_shallow=allow_shallow)
    config = state.repo.config
    zone = config.zone
    since = state.as_of - timedelta(days=since_days - 1)
    people = state.repo.people_by_email()
    directory = state.repo.people or {}
    names = state.repo.names()
    goals = {g.id: g for g in state.repo.goals}
    subject, mine = _scope(scope, directory, state.repo.teams or {}, goals)
    due_days = DUE_DAYS.get(scope.kind, 7)

    def authors(event: Event) -> tuple[str, ...]:
        """The commit's authors as people ids (or git names when people.yaml lacks them)."""
        return tuple(dict.fromkeys(people.get(a.email.lower(), a.name)
                                   for a in event.commit.authors))

    def credit(event: Event) -> tuple[str, ...]:
        return tuple(names.get(p, p) for p in authors(event))

    moved: list[Item] = []
    wins: list[Item] = []
    checkins: list[Item] = []
    for goal_id, events in sorted(state.history.events.items()):
        goal = goals.get(goal_id)
        if goal is None:
            continue
        for event in events:
            day = event.commit.date.astimezone(zone).date()
            if not since <= day <= state.as_of:
                continue
            if event.is_checkin or event.is_adjustment:
                changes = [c for c in event.changes if c.is_checkin or c.is_adjustment]
                label = "adjusted: " if event.is_adjustment else ""
                item = Item(goal.id, goal.title, goal.owner,
                            label + "; ".join(_describe(c) for c in changes),
                            credit(event), event.commit.id, day)
                if goal.id in mine:
                    moved.append(item)
                if scope.kind == "person" and scope.id in authors(event):
                    checkins.append(item)
        if goal.id in mine:
            wins.extend(_win_items(goal, events, zone, since, state.as_of, credit))
    statuses = sorted((s for s in state.statuses() if s.goal.id in mine),
                      key=lambda s: s.goal.id)

    def entry(status: GoalStatus, what: str) -> Item:
        goal = status.goal
        return Item(goal.id, goal.title, goal.owner, what, (names.get(goal.owner, goal.owner),))

    at_risk = tuple(entry(s, f"{s.health.replace('_', ' ')}: {_pct(s.progress)} done, "
                             f"{_pct(s.expected or 0)} expected")
                    for s in statuses if s.health in ("at_risk", "off_track"))
    stale = tuple(entry(s, "no check-in since " + (s.last_checkin.isoformat()
                                                   if s.last_checkin else "its creation"))
                  for s in statuses if s.stale)
    last_due = state.as_of + timedelta(days=due_days)
    due = tuple(entry(s, f"due {s.due}: {_pct(s.progress)} done")
                for s in sorted(statuses, key=lambda s: (s.due or date.max, s.goal.id))
                if s.goal.status == "active" and s.due and state.as_of <= s.due <= last_due
                and s.progress < 1)
    return Digest(since, state.as_of, tuple(moved), tuple(wins), at_risk, stale, due,
                  tuple(checkins), config.base_url, config.title, scope, subject, due_days,
                  directory)


def _scope(scope: Scope, people: Mapping[str, Person], teams: Mapping[str, Team],
           goals: Mapping[str, Goal]) -> tuple[str | None, set[str]]:
    """The scope's name, and the ids of the goals it covers."""
    if scope.kind == "person":
        person = people.get(scope.id or "")
        if person is None:
            raise UnknownScope(f"--person: no person `{scope.id}` in people.yaml")
        return person.name, {g.id for g in goals.values()
                             if g.owner == person.id or person.id in g.contributors}
    if scope.kind == "team":
        team = teams.get(scope.id or "")
        if team is None:
            raise UnknownScope(f"--team: no team `{scope.id}` in teams.yaml")
        covered = _sub_teams(teams, team.id)
        return team.name, {g.id for g in goals.values() if g.team in covered}
    return None, set(goals)


WIN_TEXT = {"goal": "goal achieved", "milestone": "milestone done: ",
            "key_result": "key result reached its target: "}


def _win_items(goal: Goal, events: list[Event], zone: ZoneInfo, since: date, as_of: date,
               credit: Callable[[Event], tuple[str, ...]]) -> list[Item]:
    """The goal's wins in the window, judged as timeline.read judges them (by the target
    that held at the time), credited to the people of the commit that won them."""
    by_commit = {e.commit.id: e for e in events}
    found = []
    first, last = since.isoformat(), as_of.isoformat()
    for win in timeline.read(goal.id, events, zone).wins:
        if first <= win.day <= last:  # ISO dates sort as the days do
            what = WIN_TEXT[win.what] + (win.name if win.what != "goal" else "")
            found.append(Item(goal.id, goal.title, goal.owner, what,
                              credit(by_commit[win.commit]), win.commit,
                              date.fromisoformat(win.day)))
    return found


def _pct(value: float) -> str:
    return f"{round(value * 100)}%"
