"""The caches: history events keyed by commit, and parsed goal files keyed by stat.

The history cache holds events keyed by commit, inside the git directory, never the work tree.

Layout (``.git/goalsrepo/history/``): ``index.pickle`` names the head commit the cache
stands for, each goal's :class:`~goalsrepo.events.Activity` (all ``status`` needs), and the
segment files that hold the events; each run that reads new commits appends one segment.
Files are written to a temporary name and renamed, the index last, so a reader sees the
old cache or the new one, never half of either, and two processes cannot corrupt it.

The files are pickles. Whoever can write the git directory can already run code through
``.git/hooks``, so reading them adds no way in; anything unexpected in them (truncated,
corrupt, another version, another goals folder) makes the cache count as missing.

Every cache file of goalsrepo (these, the parsed-file cache below, the logbook, the site's
page keys and compiled templates) is written with :func:`write_file` and read with
:func:`read_file`: atomically, and with a checksum, so a truncated or damaged file is
refused and rebuilt rather than trusted (issue 12).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import tempfile
import time
import uuid
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from goalsrepo import __version__, loader
from goalsrepo.events import Activity, Author, Change, Commit, Event
from goalsrepo.model import Goal

VERSION = 6  # 3: goal rows hold `continues`; 4: activity says when scores were fixed;
# 5: key result rows hold `source`; 6: parsed files are msgspec structs
MAX_SEGMENTS = 32
SEGMENT_EVENTS = 10_000


class CacheError(Exception):
    """A cache file is missing or unreadable; the caller rebuilds."""


_MAGIC = b"goalsrepo-cache\x00"
_HEAD = len(_MAGIC) + 12  # then the payload's CRC-32 (4 bytes) and length (8 bytes)


def write_file(path: Path, payload: bytes) -> None:
    """Write a cache file: to a temporary name, then renamed, so a reader sees the old
    file or the new one, never half of one; with the payload's length and CRC-32, so
    :func:`read_file` refuses a file damaged since."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(_MAGIC + zlib.crc32(payload).to_bytes(4, "big")
                     + len(payload).to_bytes(8, "big"))
            fh.write(payload)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_file(path: Path) -> memoryview:
    """A cache file's payload; :class:`CacheError` when it is missing, truncated, damaged
    or not a cache file."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise CacheError(f"cannot read {path.name}") from exc
    payload = memoryview(data)[_HEAD:]
    if (not data.startswith(_MAGIC)
            or int.from_bytes(data[len(_MAGIC) + 4:_HEAD], "big") != len(payload)
            or int.from_bytes(data[len(_MAGIC):len(_MAGIC) + 4], "big") != zlib.crc32(payload)):
        raise CacheError(f"{path.name} is damaged")
    return payload


@dataclass(frozen=True)
class Index:
    head: str
    activity: dict[str, Activity]
    skipped: tuple[tuple[str, str, str], ...]
    segments: tuple[str, ...]


class Store:
    """The cache of one repository and goals folder."""

    def __init__(self, git_dir: Path, goals_dir: str) -> None:
        self.folder = git_dir / "goalsrepo" / "history"
        self.goals_dir = goals_dir

    def load_index(self) -> Index | None:
        try:
            version, goals_dir, head, activity, skipped, segments = self._read("index.pickle")
            if version != (VERSION, __version__) or goals_dir != self.goals_dir:
                return None
            return Index(head, {g: Activity(*a) for g, a in activity.items()},
                         tuple(skipped), tuple(segments))
        except Exception:  # missing, truncated, corrupt or foreign: no cache
            return None

    def load_events(self) -> list[Event]:
        """Every cached event, oldest first; :class:`CacheError` when a segment is bad."""
        index = self.load_index()
        if index is None:
            raise CacheError("no cache index")
        events: list[Event] = []
        for name in index.segments:
            events.extend(_decode(self._read(name)))
        return events

    def write(self, head: str, events: list[Event], activity: dict[str, Activity],
              skipped: list[tuple[str, str, str]], segments: tuple[str, ...] = ()) -> None:
        """Record ``events`` up to ``head``, after the ``segments`` that hold the events
        before them (none when ``events`` are all of them).

        Each run that reads new commits adds a segment; once there are ``MAX_SEGMENTS``,
        the small ones at the end are written again as one. Full segments stay as they
        are, so a compaction costs at most ``SEGMENT_EVENTS`` events, not the history.
        Failing to write (a read-only or full disk) only costs the next run time.
        """
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            kept = list(segments)
            if len(kept) >= MAX_SEGMENTS:
                full = next((i for i, name in enumerate(kept)
                             if _events_in(name) < SEGMENT_EVENTS), len(kept))
                tail = [e for name in kept[full:] for e in _decode(self._read(name))]
                events, kept = [*tail, *events], kept[:full]
            # Slices bound the memory the encoded copy of the events takes while written.
            for start in range(0, max(len(events), 1), SEGMENT_EVENTS):
                if not events and kept:
                    break
                chunk = events[start:start + SEGMENT_EVENTS]
                name = f"seg-{len(chunk)}-{uuid.uuid4().hex}.pickle"
                self._write(name, _encode(chunk))
                kept.append(name)
            payload = ((VERSION, __version__), self.goals_dir, head,
                       {g: (a.created, a.last_checkin, a.kr_changed, a.status_set)
                        for g, a in activity.items()},
                       list(skipped), kept)
            self._write("index.pickle", payload)
            self._remove_others(set(kept) | {"index.pickle"})
        except (OSError, CacheError):
            return

    def _read(self, name: str) -> Any:
        try:
            return pickle.loads(read_file(self.folder / name))
        except Exception as exc:
            raise CacheError(f"unreadable cache file {name}") from exc

    def _write(self, name: str, payload: Any) -> None:
        write_file(self.folder / name, pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))

    def _remove_others(self, keep: set[str]) -> None:
        """Delete segments no index names (left by a replaced cache or a crashed run)."""
        for path in self.folder.glob("seg-*.pickle"):
            if path.name not in keep:
                with contextlib.suppress(OSError):
                    path.unlink()

    def clear(self) -> None:
        for path in self.folder.glob("*.pickle"):
            with contextlib.suppress(OSError):
                path.unlink()


def _events_in(segment: str) -> int:
    """The number of events a segment holds, from its name (``seg-COUNT-ID.pickle``); 0
    for a name of an earlier version, which a compaction then rewrites."""
    parts = segment.split("-")
    return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else 0


def _encode(events: list[Event]) -> tuple[list[Any], list[Any]]:
    """Events as plain tuples: several times faster to pickle and load than dataclasses."""
    commits: dict[str, int] = {}
    rows: list[Any] = []
    table: list[Any] = []
    for event in events:
        commit = event.commit
        if commit.id not in commits:
            commits[commit.id] = len(table)
            table.append((commit.id, commit.date.isoformat(),
                          tuple((a.name, a.email) for a in commit.authors), commit.message))
        rows.append((event.goal, commits[commit.id], event.kind,
                     tuple((c.kr, c.field, c.old, c.new) for c in event.changes), event.path))
    return table, rows


def _decode(payload: Any) -> list[Event]:
    table, rows = payload
    commits = [Commit(cid, datetime.fromisoformat(date), tuple(Author(*a) for a in authors),
                      message) for cid, date, authors, message in table]
    return [Event(goal, commits[index], kind, tuple(Change(*c) for c in changes), path)
            for goal, index, kind, changes, path in rows]


class FileCache:
    """Parsed goal files of the work tree, keyed by path and the file's stat signature, and
    the list of goal files, keyed by the modification times of the folders.

    ``status`` and ``build`` read every goal file; with this cache a run after one edit
    parses one file and walks no folder. A file whose size, modification time, inode or
    change time differ from the cached ones is parsed again; a folder whose modification
    time changed (a file added, removed or renamed in it) makes the list be walked again.
    Like git's index, a file or folder changed within a second of being cached is not
    trusted, since a second change in the same clock tick would leave no trace. Kept beside
    the history cache, in the git directory, as MessagePack of typed :mod:`msgspec` structs
    (fast, inert, and decoded into goals with no code of ours) in ``SHARDS`` files by a hash
    of the path, so that a run after one edit rewrites one sixteenth of it; the package
    version is part of the key, so an upgrade starts afresh.
    """

    def __init__(self, git_dir: Path, version: str) -> None:
        self.folder = git_dir / "goalsrepo" / "files"
        self.key = (VERSION, version)
        self.entries: dict[str, Parsed] = {}
        for shard in range(SHARDS):
            stored = self._read(f"{shard:02d}.msgpack", _SHARD)
            if stored is not None:
                self.entries.update(stored.value)
        listing = self._read("listing.msgpack", _LISTING)
        self.listing: Listing | None = listing.value if listing else None
        self._dirty: set[int] = set()  # shards to write
        self._listed = False  # the listing was walked afresh
        self.now = time.time_ns()

    def _read(self, name: str, decoder: msgspec.msgpack.Decoder[_Stored]) -> _Stored | None:
        """A file's contents when they hold this cache's key; None when the file is missing,
        truncated, corrupt or foreign."""
        try:
            stored = decoder.decode(read_file(self.folder / name))
        except (CacheError, msgspec.DecodeError):
            return None
        return stored if stored.key == self.key else None

    @staticmethod
    def signature(path: str) -> tuple[int, ...] | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)

    def get(self, relpath: str, signature: tuple[int, ...] | None) -> tuple[bool, Any]:
        """(hit, value) for a file with this signature; a goal comes back as a Goal."""
        entry = self.entries.get(relpath)
        if entry is None or signature is None or entry.signature != signature:
            return False, None
        return True, entry.goal if entry.goal is not None else entry.data

    def settled(self, signature: tuple[int, ...]) -> bool:
        """Whether a file with this signature was last changed long enough ago that a
        change since would show in its signature (git's "racy" rule)."""
        return signature[1] <= self.now - _RACY_NS

    def put(self, relpath: str, signature: tuple[int, ...] | None, value: Any) -> None:
        if signature is None or not self.settled(signature):
            return
        self.entries[relpath] = Parsed(signature, value) if isinstance(value, Goal) \
            else Parsed(signature, data=value)
        self._dirty.add(shard_of(relpath))

    def goal_files(self, root: Path, goals_dir: str) -> list[str]:
        """The goal files below ``goals_dir``, walked only when a folder changed."""
        if self.listing is not None and self.listing.goals_dir == goals_dir:
            folders, files = self.listing.folders, self.listing.files
            if all(_mtime(os.path.join(str(root), d)) == m for d, m in folders.items()):
                return list(files)
        folders = {}
        files = loader.find_goal_files(root, goals_dir, folders=folders)
        recent = any(m > self.now - _RACY_NS for m in folders.values())
        self.listing = None if recent else Listing(goals_dir, folders, files)
        self._listed = True
        return files

    def save(self, keep: set[str]) -> None:
        """Write the shards that changed (dropping files that are gone), and the listing
        when it was walked again."""
        for relpath in set(self.entries) - keep:
            del self.entries[relpath]
            self._dirty.add(shard_of(relpath))
        if not self._dirty and not self._listed:
            return
        shards: dict[int, dict[str, Parsed]] = {shard: {} for shard in self._dirty}
        for relpath, entry in self.entries.items():
            shard = shard_of(relpath)
            if shard in shards:
                shards[shard][relpath] = entry
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            for shard, entries in shards.items():
                self._write(f"{shard:02d}.msgpack", Shard(self.key, entries))
            if self._listed:
                self._write("listing.msgpack", ListingFile(self.key, self.listing))
        except (OSError, msgspec.EncodeError, OverflowError):  # an integer past 64 bits
            return

    def _write(self, name: str, stored: Shard | ListingFile) -> None:
        write_file(self.folder / name, _ENCODER.encode(stored))


class Parsed(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A file of the parsed-file cache: its signature, and the goal it holds or, for
    another file, its schema-valid data (None when the file is invalid)."""

    signature: tuple[int, ...]
    goal: Goal | None = None
    data: Any = None


class Listing(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """The goal files below a goals folder, and the modification time of each folder."""

    goals_dir: str
    folders: dict[str, int]
    files: list[str]


class Shard(msgspec.Struct, frozen=True, gc=False, array_like=True):
    key: tuple[int, str]  # (VERSION, package version)
    value: dict[str, Parsed]


class ListingFile(msgspec.Struct, frozen=True, gc=False, array_like=True):
    key: tuple[int, str]
    value: Listing | None


_Stored = TypeVar("_Stored", Shard, ListingFile)
_ENCODER = msgspec.msgpack.Encoder()
_SHARD = msgspec.msgpack.Decoder(Shard)
_LISTING = msgspec.msgpack.Decoder(ListingFile)


SHARDS = 16


def shard_of(relpath: str) -> int:
    """The file of the parsed-file cache that holds a path's entry."""
    return zlib.crc32(relpath.encode()) % SHARDS


_RACY_NS = 1_000_000_000


def _mtime(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None
