"""Goals, key results, milestones and links as typed, immutable values.

Built only from schema-valid data, so construction cannot fail. The kind of a key result
follows from its keys (SPEC §1): ``done`` makes a milestone KR, ``keep`` a control KR,
anything else is numeric.

They are :mod:`msgspec` structs: frozen, compared by value, untracked by the garbage
collector, and made several times faster than frozen dataclasses. The parse cache keeps
them as MessagePack (:data:`ENCODER`, :data:`DECODER`), encoded and decoded by msgspec
from the field types, positionally (``array_like``): a build reads 10,000 goals and some
85,000 key results, milestones and links from it.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import msgspec

KrKind = Literal["numeric", "milestone", "control"]

# The keys of a goal file in the order SPEC §1 shows them: files goalsrepo writes follow
# it, and a key it adds to a file goes after the keys that come before it here.
KEY_ORDER = ("id", "title", "level", "owner", "team", "contributors", "period", "start", "due",
             "aligns_to", "status", "superseded_by", "continues", "description",
             "key_results", "milestones", "links")


class KeyResult(msgspec.Struct, frozen=True, gc=False, array_like=True):
    id: str
    title: str
    kind: KrKind
    unit: str | None = None
    # int | float: a decoder given float alone would read the 10 a file holds as 10.0.
    start: int | float | None = None
    target: int | float | None = None
    current: int | float | None = None
    done: bool | None = None
    keep: Literal["below", "above"] | None = None
    weight: int | float = 1
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


class Milestone(msgspec.Struct, frozen=True, gc=False, array_like=True):
    title: str
    due: date | None = None
    done: bool = False
    owner: str | None = None

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Milestone:
        due = data.get("due")
        return cls(data["title"], date.fromisoformat(due) if due else None,
                   data.get("done", False), data.get("owner"))


class Link(msgspec.Struct, frozen=True, gc=False, array_like=True):
    url: str
    title: str | None = None


class Goal(msgspec.Struct, frozen=True, gc=False, array_like=True):
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
    key_results: tuple[KeyResult, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    links: tuple[Link, ...] = ()

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

    def span(self, period: Any) -> tuple[date | None, date | None]:
        """Start and due dates: the goal's own, else its period's (a ``config.Period``)."""
        start = self.start or (period.start if period else None)
        due = self.due or (period.end if period else None)
        return start, due


# What encodes goals for the caches and page keys: made once, as msgspec advises.
ENCODER = msgspec.msgpack.Encoder()
