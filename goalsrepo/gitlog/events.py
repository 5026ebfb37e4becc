"""Events of a goal's history as values: who changed what, when, and what kind of change
it was (SPEC §3 "Check-in" and "Adjustment"). Shared by the history reader, its cache and
every view of history."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import msgspec

GOAL_FIELDS = ("title", "status", "owner", "team", "level", "period", "start", "due",
               "aligns_to", "contributors", "superseded_by")
KR_FIELDS = ("title", "unit", "start", "target", "current", "done", "keep", "weight")
CHECKIN_KR_FIELDS = frozenset({"current", "done"})
ADJUSTMENT_KR_FIELDS = frozenset({"target", "start"})
ADJUSTMENT_GOAL_FIELDS = frozenset({"due", "period"})


class Author(msgspec.Struct, frozen=True):
    name: str
    email: str


class Change(msgspec.Struct, frozen=True):
    """One field moving from ``old`` to ``new``; ``kr`` is None for goal-level fields.

    Milestones have no id; their ``done`` is tracked as the field
    ``milestones[<title>].done`` with ``kr`` None.
    """

    kr: str | None
    field: str
    old: Any
    new: Any

    @property
    def is_checkin(self) -> bool:
        if self.kr is not None:
            return self.field in CHECKIN_KR_FIELDS
        return self.field.startswith("milestones[") and self.field.endswith("].done")

    @property
    def is_adjustment(self) -> bool:
        if self.kr is not None:
            return self.field in ADJUSTMENT_KR_FIELDS
        return self.field in ADJUSTMENT_GOAL_FIELDS


class Commit(msgspec.Struct, frozen=True):
    """A first-parent commit: its id, author date, the people credited, its message."""

    id: str
    date: datetime
    authors: tuple[Author, ...]
    message: str

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0]


class Event(msgspec.Struct, frozen=True):
    """What one commit did to one goal. ``kind`` is the most telling of what happened:
    created, deleted, adjustment, checkin, status, moved, edit (in that order)."""

    goal: str
    commit: Commit
    kind: str
    changes: tuple[Change, ...]
    path: str | None

    @property
    def is_checkin(self) -> bool:
        """A check-in (SPEC §3): a KR's current or done, or a milestone's done, changed.

        A goal's creation is not a check-in; it starts the stale clock in its own right.
        """
        return self.kind != "created" and any(c.is_checkin for c in self.changes)

    @property
    def is_adjustment(self) -> bool:
        return self.kind != "created" and any(c.is_adjustment for c in self.changes)

    @property
    def synced_from(self) -> list[str]:
        """The sources a ``sync`` commit read this goal's values from (none for others)."""
        message = self.commit.message
        if not message.startswith(SYNC_SUBJECT):
            return []
        return list(dict.fromkeys(m.group("source") for m in _SYNC_LINE.finditer(message)
                                  if m.group("goal") == self.goal))


# A `sync --commit` message: the subject starts with "sync: ", and each key result it
# moved has a line `goal/kr: old -> new (source)`, which names the source on the site.
SYNC_SUBJECT = "sync: "
_SYNC_LINE = re.compile(r"^(?P<goal>[a-z0-9][a-z0-9-]*)/[a-z0-9][a-z0-9-]*: \S+ -> \S+ "
                        r"\((?P<source>[A-Za-z0-9][A-Za-z0-9._-]*)\)$", re.MULTILINE)


def show_value(value: float | bool | None) -> str:
    """A value as check-in and sync messages write it: ``18``, ``0.25``, ``done``, ``none``."""
    if isinstance(value, bool):
        return "done" if value else "not done"
    if value is None:
        return "none"
    return f"{value:g}" if isinstance(value, float) else str(value)


def sync_line(goal: str, kr: str, old: str, new: str, source: str) -> str:
    """One line of a ``sync`` commit message (read back by :attr:`Event.synced_from`)."""
    return f"{goal}/{kr}: {old} -> {new} ({source})"


class Activity(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """What a goal's numbers need of its history without its events: its latest creation
    and check-in (staleness), and the latest commits that changed a key result or set its
    status, which tell whether its score can be read from its file (see
    :func:`goalsrepo.numbers.progress.score_basis`). A struct, because the history cache's
    index keeps one for every goal."""

    created: datetime | None = None
    last_checkin: datetime | None = None
    kr_changed: datetime | None = None
    status_set: datetime | None = None

    def merged(self, older: Activity) -> Activity:
        """This activity (of later commits) over ``older``."""
        return Activity(self.created or older.created, self.last_checkin or older.last_checkin,
                        self.kr_changed or older.kr_changed,
                        self.status_set or older.status_set)


def activity(events: Iterable[Event]) -> dict[str, Activity]:
    """Per goal, the moment of its latest creation, check-in, key-result change and
    status change."""
    out: dict[str, Activity] = {}
    for event in events:
        current = out.get(event.goal, Activity())
        when = event.commit.date
        created = when if event.kind == "created" else current.created
        checkin = when if event.is_checkin else current.last_checkin
        kr = when if any(c.kr is not None for c in event.changes) else current.kr_changed
        status = when if any(c.kr is None and c.field == "status" for c in event.changes) \
            else current.status_set
        out[event.goal] = Activity(created, checkin, kr, status)
    return out
