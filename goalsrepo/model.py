"""Goals, key results, milestones and links as typed, immutable values.

Built only from schema-valid data, so construction cannot fail. The kind of a key result
follows from its keys (SPEC §1): ``done`` makes a milestone KR, ``keep`` a control KR,
anything else is numeric.

Key results, milestones and links are named tuples: a build reads some 85,000 of them
from the parse cache at 10,000 goals, and a named tuple is made several times faster
than a frozen dataclass, which sets each field through ``object.__setattr__``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

KrKind = Literal["numeric", "milestone", "control"]

# The keys of a goal file in the order SPEC §1 shows them: files goalsrepo writes follow
# it, and a key it adds to a file goes after the keys that come before it here.
KEY_ORDER = ("id", "title", "level", "owner", "team", "contributors", "period", "start", "due",
             "aligns_to", "status", "superseded_by", "continues", "description",
             "key_results", "milestones", "links")


class KeyResult(NamedTuple):
    id: str
    title: str
    kind: KrKind
    unit: str | None = None
    start: float | None = None
    target: float | None = None
    current: float | None = None
    done: bool | None = None
    keep: Literal["below", "above"] | None = None
    weight: float = 1
    # Where `sync` reads the current value: a source's name, or a mapping with `from`
    # and what that kind of source reads (SPEC §10).
    source: str | dict[str, Any] | None = None

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> KeyResult:
        kind: KrKind = "milestone" if "done" in data else "control" if "keep" in data else "numeric"
        return cls(
            id=data["id"], title=data["title"], kind=kind, unit=data.get("unit"),
            start=data.get("start"), target=data.get("target"), current=data.get("current"),
            done=data.get("done"), keep=data.get("keep"), weight=data.get("weight", 1),
            source=data.get("source"),
        )


class Milestone(NamedTuple):
    title: str
    due: date | None = None
    done: bool = False
    owner: str | None = None

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Milestone:
        due = data.get("due")
        return cls(data["title"], date.fromisoformat(due) if due else None,
                   data.get("done", False), data.get("owner"))


class Link(NamedTuple):
    url: str
    title: str | None = None


@dataclass(frozen=True)
class Goal:
    id: str
    title: str
    owner: str
    path: str
    level: str = "team"
    team: str | None = None
    contributors: tuple[str, ...] = ()
    period: str | None = None
    start: date | None = None
    due: date | None = None
    aligns_to: tuple[str, ...] = ()
    status: str = "active"
    superseded_by: str | None = None
    continues: str | None = None
    description: str | None = None
    # Factories, not defaults: a default would be a class attribute, which hides a field
    # from_row has not made yet from __getattr__.
    key_results: tuple[KeyResult, ...] = field(default_factory=tuple)
    milestones: tuple[Milestone, ...] = field(default_factory=tuple)
    links: tuple[Link, ...] = field(default_factory=tuple)

    @classmethod
    def from_data(cls, data: dict[str, Any], path: str) -> Goal:
        """Build from schema-valid goal data read from ``path``."""
        start, due = data.get("start"), data.get("due")
        return cls(
            id=data["id"], title=data["title"], owner=data["owner"], path=path,
            level=data.get("level", "team"), team=data.get("team"),
            contributors=tuple(data.get("contributors", ())), period=data.get("period"),
            start=date.fromisoformat(start) if start else None,
            due=date.fromisoformat(due) if due else None,
            aligns_to=tuple(data.get("aligns_to", ())), status=data.get("status", "active"),
            superseded_by=data.get("superseded_by"), continues=data.get("continues"),
            description=data.get("description"),
            key_results=tuple(KeyResult.from_data(k) for k in data.get("key_results", ())),
            milestones=tuple(Milestone.from_data(m) for m in data.get("milestones", ())),
            links=tuple(Link(x["url"], x.get("title")) for x in data.get("links", ())),
        )

    def to_row(self) -> tuple[Any, ...]:
        """The goal as nested tuples of plain values, which :mod:`marshal` stores and reads
        several times faster than pickle stores dataclasses (the parsed-file cache). A goal
        read from a row keeps it: a site build takes every goal's row for its page key."""
        kept: tuple[Any, ...] | None = self.__dict__.get("_row")
        if kept is not None:
            return kept
        return (
            self.id, self.title, self.owner, self.path, self.level, self.team,
            self.contributors, self.period, _ordinal(self.start), _ordinal(self.due),
            self.aligns_to, self.status, self.superseded_by, self.continues, self.description,
            tuple((k.id, k.title, k.kind, k.unit, k.start, k.target, k.current, k.done,
                   k.keep, k.weight, k.source) for k in self.key_results),
            tuple((m.title, _ordinal(m.due), m.done, m.owner) for m in self.milestones),
            tuple((link.url, link.title) for link in self.links),
        )

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Goal:
        """The goal of a :meth:`to_row` row. Its key results, milestones and links are
        made on first use (:meth:`__getattr__`): a site build after a check-in reads
        10,000 goals from the parse cache and looks inside a handful."""
        goal = object.__new__(cls)
        fields = goal.__dict__  # as a frozen dataclass's __init__ would set them
        (fields["id"], fields["title"], fields["owner"], fields["path"], fields["level"],
         fields["team"], fields["contributors"], fields["period"], start, due,
         fields["aligns_to"], fields["status"], fields["superseded_by"],
         fields["continues"], fields["description"], _, _, _) = row
        fields["start"], fields["due"] = _day(start), _day(due)
        fields["_row"] = row  # not a field: equality, repr and replace() ignore it
        return goal

    if not TYPE_CHECKING:  # to mypy every field is set, as it is to every reader
        def __getattr__(self, name: str) -> Any:
            """Called only for an attribute that is not set: a nested field of a goal
            made by :meth:`from_row`, made now."""
            row = self.__dict__.get("_row")
            if row is None or name not in ("key_results", "milestones", "links"):
                raise AttributeError(name)
            krs, milestones, links = row[15:]
            self.__dict__.update(
                key_results=tuple(map(KeyResult._make, krs)),
                milestones=tuple(Milestone(t, _day(d), done, o) for t, d, done, o in milestones),
                links=tuple(map(Link._make, links)))
            return self.__dict__[name]

    def span(self, period: Any) -> tuple[date | None, date | None]:
        """Start and due dates: the goal's own, else its period's (a ``config.Period``)."""
        start = self.start or (period.start if period else None)
        due = self.due or (period.end if period else None)
        return start, due


def _ordinal(day: date | None) -> int | None:
    return None if day is None else day.toordinal()


def _day(ordinal: int | None) -> date | None:
    return None if ordinal is None else date.fromordinal(ordinal)
