"""The caches: history events filed by goal, and parsed goal files keyed by stat.

Both live inside the git directory, never the work tree.

The history cache (``.git/goalsrepo/history/``): ``index.json`` names the head commit the
cache stands for, each goal's :class:`~goalsrepo.gitlog.events.Activity` (most of what ``status``
needs) and signature, and the bucket files that hold the events, filed by goal. A run that
reads new commits rewrites only the buckets of the goals they touched, under new names,
then the index, so a reader sees the old cache or the new one, never half of either.

The index is JSON of :mod:`msgspec` structs, the buckets :mod:`marshal` data. Whoever can
write the git directory can already run code through ``.git/hooks``, so reading them adds
no way in; anything unexpected in them (truncated, corrupt, another version, another goals
folder) makes the cache count as missing.

Every cache file of goalsrepo (these, the parsed-file cache below, the site's derived rows,
page keys and compiled templates) is written with :func:`write_file` and read with
:func:`read_file`: atomically, and with a checksum, so a truncated or damaged file is
refused and rebuilt rather than trusted (issue 12).
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import tempfile
import time
import uuid
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from goalsrepo import __version__
from goalsrepo.files import loader
from goalsrepo.files.model import Goal
from goalsrepo.gitlog.events import Activity, Author, Change, Commit, Event

VERSION = 8  # 3: goal rows hold `continues`; 4: activity says when scores were fixed;
# 5: key result rows hold `source`; 6: events filed by goal; 7: parsed files are msgspec
# structs; 8: the history's index is msgspec JSON


class CacheError(Exception):
    """A cache file is missing or unreadable; the caller rebuilds."""


_MAGIC = b"goalsrepo-cache\x00"
_HEAD = len(_MAGIC) + 12  # then the payload's CRC-32 (4 bytes) and length (8 bytes)


def digest(data: Any) -> bytes:
    """A stable digest of plain data (the key of a page or a memory). Marshal format 2 has
    no back-references, so equal values give equal bytes whether or not they share
    objects."""
    return hashlib.blake2b(marshal.dumps(data, 2), digest_size=16).digest()


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


class Index(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """What the history cache stands for: the head commit, each goal's activity, the
    commits skipped, each goal's signature (its number of events and last commit) and the
    files of its buckets. ``generation`` is new each time the history is filed from its
    first commit: what was derived from an earlier generation may describe lost commits."""

    head: str
    activity: dict[str, Activity]
    skipped: tuple[tuple[str, str, str], ...]
    signatures: dict[str, tuple[int, str]]
    files: dict[int, str]
    generation: str


class IndexFile(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """The index as written: JSON, because MessagePack would keep the moments of
    :class:`Activity` in UTC only, and an author's offset is part of a commit's date."""

    key: tuple[int, str]  # (VERSION, package version)
    goals_dir: str
    index: Index


_INDEX = msgspec.json.Decoder(IndexFile)
INDEX_FILE = "index.json"


class Store:
    """The history cache of one repository and goals folder: every goal's events, filed
    by goal in ``BUCKETS`` files by a hash of the goal id.

    Everyone who reads history wants it by goal: ``status`` fixes the scores of a few
    goals, ``history GOAL`` shows one, a site rebuilt after one commit draws the pages of
    the goals it touched. A run that replays new commits rewrites only the buckets of the
    goals they touched, under new names, then the index that names them.
    """

    def __init__(self, git_dir: Path, goals_dir: str) -> None:
        self.folder = git_dir / "goalsrepo" / "history"
        self.goals_dir = goals_dir
        self._buckets: dict[int, dict[str, list[Row]]] = {}

    def load_index(self) -> Index | None:
        try:
            stored = _INDEX.decode(read_file(self.folder / INDEX_FILE))
        except (CacheError, msgspec.DecodeError):  # missing, truncated, corrupt or foreign
            return None
        if stored.key != (VERSION, __version__) or stored.goals_dir != self.goals_dir:
            return None
        return stored.index

    def events(self, index: Index, goal: str) -> list[Event]:
        """One goal's events, oldest first; :class:`CacheError` when its bucket is bad or
        does not hold what the index says."""
        signature = index.signatures.get(goal)
        if signature is None:
            return []
        rows = self._bucket(index, bucket_of(goal)).get(goal, [])
        if len(rows) != signature[0] or rows[-1][0] != signature[1]:
            raise CacheError(f"the cached history of {goal} is not what its index says")
        return [decode(goal, row) for row in rows]

    def all_events(self, index: Index) -> dict[str, list[Event]]:
        """Every goal's events; :class:`CacheError` when a bucket is bad."""
        return {goal: self.events(index, goal) for goal in index.signatures}

    def write(self, head: str, events: list[Event], activity: dict[str, Activity],
              skipped: list[tuple[str, str, str]], base: Index | None = None) -> Index | None:
        """Record ``events`` (oldest first) up to ``head``, after those ``base`` holds (all
        of them without ``base``); the new index, or None when it could not be written (a
        read-only or full disk only costs the next run time)."""
        signatures = dict(base.signatures) if base is not None else {}
        files = dict(base.files) if base is not None else {}
        touched: dict[int, list[Event]] = {}
        for event in events:
            touched.setdefault(bucket_of(event.goal), []).append(event)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # A bucket at a time, so a first read of 100,000 goals does not hold every
            # event twice (as events and as rows).
            for number, news in sorted(touched.items()):
                # Copied: the bucket read stays as the old index says.
                bucket = {g: list(rows) for g, rows in (
                    self._bucket(base, number) if base is not None else {}).items()}
                for event in news:
                    rows = bucket.setdefault(event.goal, [])
                    rows.append(encode(event))
                    signatures[event.goal] = (len(rows), event.commit.id)
                name = f"bucket-{number:04d}-{uuid.uuid4().hex[:12]}.marshal"
                write_file(self.folder / name, marshal.dumps(bucket))
                files[number] = name
                if base is not None:  # a first read keeps its events in memory already
                    self._buckets[number] = bucket
            generation = base.generation if base is not None else uuid.uuid4().hex
            index = Index(head, activity, tuple(skipped), signatures, files, generation)
            write_file(self.folder / INDEX_FILE, msgspec.json.encode(
                IndexFile((VERSION, __version__), self.goals_dir, index)))
        except (OSError, CacheError, ValueError):
            return None
        self._remove_others({*files.values(), INDEX_FILE})
        return index

    def _bucket(self, index: Index, number: int) -> dict[str, list[Row]]:
        found = self._buckets.get(number)
        if found is None:
            name = index.files.get(number)
            if name is None:
                return {}
            try:
                found = marshal.loads(read_file(self.folder / name))
            except Exception as exc:
                raise CacheError(f"unreadable cache file {name}") from exc
            if not isinstance(found, dict):
                raise CacheError(f"{name} is not a bucket")
            self._buckets[number] = found
        return found

    def _remove_others(self, keep: set[str]) -> None:
        """Delete files no index names (left by a replaced cache or a crashed run)."""
        for path in self.folder.iterdir():
            if path.name not in keep and not path.name.startswith(".tmp-"):
                with contextlib.suppress(OSError):
                    path.unlink()

    def clear(self) -> None:
        self._buckets.clear()
        for path in self.folder.glob("*"):
            with contextlib.suppress(OSError):
                path.unlink()


Row = tuple[Any, ...]
BUCKETS = 1024  # some ten goals each at 10,000 goals: `status` reads the few it needs


def bucket_of(goal: str) -> int:
    return zlib.crc32(goal.encode()) % BUCKETS


def encode(event: Event) -> Row:
    """An event as a tuple of plain values (what marshal stores, several times faster
    than pickling dataclasses)."""
    commit = event.commit
    return (commit.id, commit.date.isoformat(), tuple((a.name, a.email) for a in commit.authors),
            commit.message, event.kind,
            tuple((c.kr, c.field, c.old, c.new) for c in event.changes), event.path)


def decode(goal: str, row: Row) -> Event:
    commit_id, moment, authors, message, kind, changes, path = row
    commit = Commit(commit_id, datetime.fromisoformat(moment),
                    tuple(Author(*a) for a in authors), message)
    return Event(goal, commit, kind, tuple(Change(*c) for c in changes), path)


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
                for old in self.folder.glob("*.marshal"):  # an earlier version's files
                    with contextlib.suppress(OSError):
                        old.unlink()
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
