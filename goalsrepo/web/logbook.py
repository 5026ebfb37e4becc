"""What the site derived from each goal's history, kept between builds.

Pages across goals (the dashboard, people, teams, periods, wins, drift) show rows derived
from every goal's events: its check-ins, wins, adjustments, drift and progress over time
(:class:`goalsrepo.web.pages.Derived`). Deriving them for 10,000 goals means reading every
event; a build after one commit derives again only the goals whose history changed, read
from the history cache a goal at a time (:class:`goalsrepo.gitlog.cache.Store`). Each goal's rows
are kept with the signature of the history they came from (its number of events and last
commit) and the history's generation: a history read again from its first commit (it was
rewritten, or its cache lost) makes every row count as missing.

Rows are MessagePack of msgspec structs in ``SHARDS`` files by a hash of the goal id, so a
build after one check-in rewrites one of them; anything unexpected in them makes the rows
count as missing, and they are derived again. The index beside them holds the sets of
authors the check-ins name by number (:class:`~goalsrepo.web.pages.AuthorSets`); a
generation starts them afresh with its rows.
"""

from __future__ import annotations

import contextlib
import marshal
import uuid
from pathlib import Path
from typing import Any

import msgspec

from goalsrepo.gitlog.cache import bucket_of, read_file, write_file
from goalsrepo.web.pages import AuthorSets, Derived

VERSION = 6  # 3: derived rows hold adjustments and progress; 4: they are msgspec structs;
# 5: keyed by history signature; 6: check-ins name their authors by number
SHARDS = 16


class Logbook:
    """Each goal's derived rows, as the last build left them."""

    def __init__(self, folder: Path, key: tuple[Any, ...]) -> None:
        self.folder = folder
        self.key = key = (VERSION, *key)
        self.generation: str | None = None
        self.signatures: dict[str, tuple[int, str]] = {}  # goal -> its history's signature
        self.derived: dict[str, Derived] = {}  # goal -> its rows
        self.authors = AuthorSets()
        self._shards: dict[int, str] = {}  # shard -> its file, named afresh on each write
        self._dirty: set[int] = set()
        try:
            stored, generation, signatures, shards, authors = marshal.loads(
                read_file(folder / "index.marshal"))
            if tuple(stored) == key and isinstance(signatures, dict) \
                    and isinstance(authors, list):
                derived: dict[str, Derived] = {}
                for name in shards.values():
                    derived.update(_DERIVED.decode(read_file(folder / name)))
                named = len(authors)
                if derived.keys() == signatures.keys() and all(
                        0 <= c.authors < named for row in derived.values() for c in row.checkins):
                    self.generation, self.signatures = generation, signatures
                    self._shards, self.derived = shards, derived
                    self.authors = AuthorSets(authors)
        except Exception:  # missing, truncated, corrupt or foreign: empty
            pass

    def start(self, generation: str) -> None:
        """Forget every row: they were derived from another generation of the history."""
        self.generation, self.signatures, self.derived = generation, {}, {}
        self._shards, self._dirty = {}, set(range(SHARDS))
        self.authors = AuthorSets()

    def set(self, goal: str, signature: tuple[int, str], row: Derived) -> None:
        """Keep the rows derived from a goal's history (its check-ins' authors numbered
        in :attr:`authors`); only its shard is written."""
        self.signatures[goal] = signature
        self.derived[goal] = row
        self._dirty.add(bucket_of(goal) % SHARDS)

    def save(self) -> None:
        """Write the changed shards under new names, then the index that names them, so a
        reader sees the old rows or the new ones, never half of each. A failure only
        costs the next build time."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            for shard in sorted(self._dirty):
                name = f"derived-{shard:02d}-{uuid.uuid4().hex[:12]}.msgpack"
                write_file(self.folder / name, _ENCODER.encode(
                    {g: row for g, row in self.derived.items() if bucket_of(g) % SHARDS == shard}))
                self._shards[shard] = name
            write_file(self.folder / "index.marshal", marshal.dumps(
                (self.key, self.generation, self.signatures, self._shards,
                 self.authors.sets)))
            self._dirty.clear()
        except (OSError, ValueError, msgspec.EncodeError, OverflowError):
            return
        keep = set(self._shards.values())
        for path in [*self.folder.glob("bucket-*.marshal"),
                     *self.folder.glob("derived-*.*")]:
            if path.name not in keep:
                with contextlib.suppress(OSError):
                    path.unlink()


_ENCODER = msgspec.msgpack.Encoder()
_DERIVED = msgspec.msgpack.Decoder(dict[str, Derived])
