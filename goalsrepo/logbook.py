"""Each goal's logbook: its events, kept per goal for the site, so a page can be drawn
from the history of its own goal without loading the history of ten thousand others.

The history cache (:mod:`goalsrepo.cache`) keeps events in commit order, which is what
``status`` and ``history`` want. A site rebuilt after one commit wants the opposite: every
event of the few goals that changed. The logbook files the same events by goal, in 256
buckets by a hash of the goal id, inside the git directory; a rebuild replays only the
commits since the logbook's head, and rewrites only the buckets of the goals they touched.
Buckets are :mod:`marshal` data (fast and inert), and what the site derived from each
goal's events (:class:`~goalsrepo.pages.Derived`) MessagePack of msgspec structs; anything
unexpected in them makes the logbook count as missing, and it is rebuilt from the history.
"""

from __future__ import annotations

import contextlib
import marshal
import uuid
import zlib
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec

from goalsrepo.cache import read_file, write_file
from goalsrepo.events import Author, Change, Commit, Event
from goalsrepo.pages import Derived

VERSION = 4  # 3: derived rows hold adjustments and progress; 4: they are msgspec structs
BUCKETS = 256
SHARDS = 16  # files of derived rows: a rebuild rewrites the one or two it changed

Row = tuple[Any, ...]


def encode(event: Event) -> Row:
    """An event as a tuple of plain values (what marshal stores)."""
    commit = event.commit
    return (commit.id, commit.date.isoformat(), tuple((a.name, a.email) for a in commit.authors),
            commit.message, event.kind,
            tuple((c.kr, c.field, c.old, c.new) for c in event.changes), event.path)


def decode(goal: str, row: Row) -> Event:
    commit_id, moment, authors, message, kind, changes, path = row
    commit = Commit(commit_id, datetime.fromisoformat(moment),
                    tuple(Author(*a) for a in authors), message)
    return Event(goal, commit, kind, tuple(Change(*c) for c in changes), path)


def bucket_of(goal: str) -> int:
    return zlib.crc32(goal.encode()) % BUCKETS


class Logbook:
    """Every goal's events up to ``head``, read from disk a bucket at a time."""

    def __init__(self, folder: Path, key: tuple[Any, ...]) -> None:
        self.folder = folder
        self.key = key = (VERSION, *key)
        self.head: str | None = None
        self.signatures: dict[str, tuple[int, str]] = {}  # goal -> (events, last commit)
        # What the site derived from each goal's events.
        self.derived: dict[str, Derived] = {}
        self._files: dict[int, str] = {}  # bucket -> its file, named afresh on each write
        self._shards: dict[int, str] = {}  # the same for the derived rows, in SHARDS files
        self._buckets: dict[int, dict[str, list[Row]]] = {}
        self._dirty: set[int] = set()
        self._dirty_shards: set[int] = set()
        try:
            stored, head, signatures, files, shards = marshal.loads(
                read_file(folder / "index.marshal"))
            if tuple(stored) == key and isinstance(signatures, dict):
                derived: dict[str, Derived] = {}
                for name in shards.values():
                    derived.update(_DERIVED.decode(read_file(folder / name)))
                self.head, self.signatures, self._files = head, signatures, files
                self._shards, self.derived = shards, derived
        except Exception:  # missing, truncated, corrupt or foreign: empty
            self.head, self.signatures, self._files, self._shards = None, {}, {}, {}

    def reset(self) -> None:
        """Forget everything: the caller refills the logbook from the whole history."""
        self.head, self.signatures, self._files, self.derived = None, {}, {}, {}
        self._shards = {}
        self._buckets = {b: {} for b in range(BUCKETS)}
        self._dirty = set(range(BUCKETS))
        self._dirty_shards = set(range(SHARDS))

    def set_derived(self, goal: str, derived: Derived) -> None:
        """Keep what the site derived from a goal's events; only its shard is written."""
        self.derived[goal] = derived
        self._dirty_shards.add(bucket_of(goal) % SHARDS)

    def _bucket(self, number: int) -> dict[str, list[Row]]:
        found = self._buckets.get(number)
        if found is None and number not in self._files:
            found = self._buckets[number] = {}
        if found is None:
            try:
                found = marshal.loads(read_file(self.folder / self._files[number]))
                if not isinstance(found, dict):
                    raise ValueError("not a bucket")
            except Exception:
                raise LogbookError(f"logbook bucket {number} is unreadable") from None
            self._buckets[number] = found
        return found

    def add(self, events: Iterable[Event], head: str) -> set[str]:
        """File ``events`` (oldest first) under their goals; the goals they touched."""
        touched: set[str] = set()
        for event in events:
            number = bucket_of(event.goal)
            rows = self._bucket(number).setdefault(event.goal, [])
            rows.append(encode(event))
            self._dirty.add(number)
            self.signatures[event.goal] = (len(rows), event.commit.id)
            touched.add(event.goal)
        self.head = head
        return touched

    def events(self, goal: str, recover: Callable[[str], list[Event]] | None = None,
               ) -> list[Event]:
        """The goal's events, oldest first. When its bucket cannot be read (or does not
        hold what the index says), ``recover(goal)`` gives them instead, from the history,
        and the index is removed, so that the next run files the logbook afresh; without
        ``recover``, :class:`LogbookError`."""
        if goal not in self.signatures:
            return []
        try:
            rows = self._bucket(bucket_of(goal)).get(goal, [])
            if len(rows) != self.signatures[goal][0] or rows[-1][0] != self.signatures[goal][1]:
                raise LogbookError(f"the logbook of {goal} is not what its index says")
        except LogbookError:
            if recover is None:
                raise
            with contextlib.suppress(OSError):
                (self.folder / "index.marshal").unlink()
            return recover(goal)
        return [decode(goal, row) for row in rows]

    def save(self) -> None:
        """Write the changed buckets under new names, then the index that names them, so a
        reader sees the old logbook or the new one, never half of each. A failure only
        costs the next run time."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            for number in sorted(self._dirty):
                name = f"bucket-{number:03d}-{uuid.uuid4().hex[:12]}.marshal"
                write_file(self.folder / name, marshal.dumps(self._buckets[number]))
                self._files[number] = name
            for shard in sorted(self._dirty_shards):
                name = f"derived-{shard:02d}-{uuid.uuid4().hex[:12]}.msgpack"
                write_file(self.folder / name, _ENCODER.encode(
                    {g: d for g, d in self.derived.items() if bucket_of(g) % SHARDS == shard}))
                self._shards[shard] = name
            write_file(self.folder / "index.marshal", marshal.dumps(
                (self.key, self.head, self.signatures, self._files, self._shards)))
            self._dirty.clear()
            self._dirty_shards.clear()
        except (OSError, ValueError, msgspec.EncodeError, OverflowError):
            return
        keep = {*self._files.values(), *self._shards.values()}
        for path in [*self.folder.glob("bucket-*.marshal"),
                     *self.folder.glob("derived-*.m*")]:
            if path.name not in keep:
                with contextlib.suppress(OSError):
                    path.unlink()


_ENCODER = msgspec.msgpack.Encoder()
_DERIVED = msgspec.msgpack.Decoder(dict[str, Derived])


class LogbookError(Exception):
    """A bucket is unreadable: the caller rebuilds the logbook."""

