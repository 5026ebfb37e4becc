"""The check-in log, computed from git: every event of every goal (SPEC §3 "History").

History follows the first-parent chain of HEAD, what the main branch showed. It is read in
one pass: one ``git log --first-parent --raw`` over the goals folder names every blob that
changed, one ``git cat-file --batch`` reads those blobs, and each goal version is compared
with the previous version *of the same id* (identity is the id, not the path), so moves
and renames keep their history. The only git calls are in :mod:`goalsrepo.git`.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from goalsrepo import git, loader
from goalsrepo.errors import GoalsrepoError

# Fields of a goal version that history tracks; (kr id or None, field) -> value.
Snapshot = dict[tuple[str | None, str], Any]

GOAL_FIELDS = ("title", "status", "owner", "team", "level", "period", "start", "due",
               "aligns_to", "contributors", "superseded_by")
KR_FIELDS = ("title", "unit", "start", "target", "current", "done", "keep", "weight")
CHECKIN_KR_FIELDS = frozenset({"current", "done"})
ADJUSTMENT_KR_FIELDS = frozenset({"target", "start"})
ADJUSTMENT_GOAL_FIELDS = frozenset({"due", "period"})
EVENT_KINDS = ("created", "checkin", "adjustment", "status", "edit", "moved", "deleted")


@dataclass(frozen=True)
class Author:
    name: str
    email: str


@dataclass(frozen=True)
class Change:
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


@dataclass(frozen=True)
class Commit:
    """A first-parent commit: its id, author date, the people credited, its message."""

    id: str
    date: datetime
    authors: tuple[Author, ...]
    message: str

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0]


@dataclass(frozen=True)
class Event:
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


def snapshot(data: Mapping[str, Any]) -> Snapshot:
    """The tracked fields of one goal version, flat, so two versions diff field by field."""
    out: Snapshot = {}
    for name in GOAL_FIELDS:
        value = data.get(name)
        if value is not None:
            out[(None, name)] = tuple(value) if isinstance(value, list) else value
    for kr in data.get("key_results") or ():
        if not isinstance(kr, dict) or not isinstance(kr.get("id"), str):
            continue
        for name in KR_FIELDS:
            if kr.get(name) is not None:
                out[(kr["id"], name)] = kr[name]
    for ms in data.get("milestones") or ():
        if isinstance(ms, dict) and isinstance(ms.get("title"), str):
            out[(None, f"milestones[{ms['title']}].done")] = bool(ms.get("done", False))
    return out


def diff(old: Snapshot, new: Snapshot) -> list[Change]:
    """Field changes from one version to the next, goal fields first, then by KR order."""
    keys = list(dict.fromkeys([*old, *new]))
    return [
        Change(kr, name, old.get((kr, name)), new.get((kr, name)))
        for kr, name in keys
        if old.get((kr, name)) != new.get((kr, name))
    ]


def classify(changes: list[Change], moved: bool) -> str:
    """The kind of a commit's event for a goal that existed before and after it."""
    if any(c.is_adjustment for c in changes):
        return "adjustment"
    if any(c.is_checkin for c in changes):
        return "checkin"
    if any(c.kr is None and c.field == "status" for c in changes):
        return "status"
    if moved and not changes:
        return "moved"
    return "edit"


@dataclass
class Replay:
    """The state of a walk over history: where each goal is, and its last version.

    Kept between runs in the cache, so a new commit only needs its own changes read.
    """

    head: str | None = None
    paths: dict[str, str] = field(default_factory=dict)  # path -> goal id
    where: dict[str, str] = field(default_factory=dict)  # goal id -> path
    versions: dict[str, Snapshot] = field(default_factory=dict)  # goal id -> last version
    events: dict[str, list[Event]] = field(default_factory=dict)  # goal id -> events
    skipped: list[tuple[str, str, str]] = field(default_factory=list)  # (commit, path, why)

    def apply(self, commit: Commit, entries: list[RawEntry], parsed: Mapping[str, Any]) -> None:
        """Apply one commit: ``entries`` from ``git log --raw``, ``parsed`` blob -> data."""
        gone: dict[str, str] = {}  # goal id -> the path it left
        arrived: dict[str, tuple[str, Snapshot]] = {}
        for entry in entries:
            previous = self.paths.pop(entry.path, None)
            if previous is not None and self.where.get(previous) == entry.path:
                gone[previous] = entry.path
            if entry.status == "D":
                continue
            data = parsed.get(entry.blob)
            if not isinstance(data, dict) or not isinstance(data.get("id"), str):
                why = data if isinstance(data, str) else "the file has no goal id"
                self.skipped.append((commit.id, entry.path, why))
                if previous is not None:  # an unreadable version: keep the last good one
                    self.paths[entry.path] = previous
                    gone.pop(previous, None)
                continue
            goal_id = data["id"]
            self.paths[entry.path] = goal_id
            arrived[goal_id] = (entry.path, snapshot(data))
        for goal_id, (path, version) in arrived.items():
            before = self.versions.get(goal_id)
            old_path = self.where.get(goal_id)
            self.where[goal_id] = path
            self.versions[goal_id] = version
            gone.pop(goal_id, None)
            if old_path is not None and old_path != path and self.paths.get(old_path) == goal_id:
                self.paths.pop(old_path)  # the same id at two paths: the newer one wins
            if before is None:
                changes = diff({}, version)
                self._add(Event(goal_id, commit, "created", tuple(changes), path))
                continue
            changes = diff(before, version)
            moved = old_path is not None and old_path != path
            if changes or moved:
                self._add(Event(goal_id, commit, classify(changes, moved), tuple(changes), path))
        for goal_id, path in gone.items():
            self.where.pop(goal_id, None)
            self.versions.pop(goal_id, None)
            self._add(Event(goal_id, commit, "deleted", (), path))
        self.head = commit.id

    def _add(self, event: Event) -> None:
        self.events.setdefault(event.goal, []).append(event)


@dataclass(frozen=True)
class RawEntry:
    status: str  # A, M, D (or T for a type change)
    path: str
    blob: str


_HEADER = re.compile(rb"[0-9a-f]{40,64}\x00")


def parse_log(output: bytes) -> Iterator[tuple[str, list[str], str, str, str, str,
                                               list[RawEntry]]]:
    """Parse ``git log -z --raw`` with :data:`goalsrepo.git.LOG_FORMAT` records.

    Yields (commit, parents, author name, author email, author date, message, entries).
    A message may hold the record separator; a fragment that does not start with a
    commit id is glued back to the record before it (messages cannot hold NUL).
    """
    records: list[bytes] = []
    for fragment in output.split(b"\x1e")[1:]:
        if records and not _HEADER.match(fragment):
            records[-1] += b"\x1e" + fragment
        else:
            records.append(fragment)
    for record in records:
        head = record.split(b"\x00", 6)
        commit, parents, name, email, date, message = (
            x.decode("utf-8", "replace") for x in head[:6]
        )
        entries: list[RawEntry] = []
        tokens = head[6].split(b"\x00") if len(head) > 6 else []
        i = 0
        while i + 1 < len(tokens):
            meta = tokens[i].strip()
            if not meta.startswith(b":"):
                i += 1
                continue
            fields = meta.split()
            status = fields[4][:1].decode()
            path = tokens[i + 1].decode("utf-8", "surrogateescape")
            blob = fields[3].decode()
            entries.append(RawEntry(status, path, blob))
            i += 2
        yield commit, parents.split(), name, email, date, message.rstrip("\n"), entries


def is_goal_file(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.endswith((".yaml", ".yml")) and not name.startswith(".")


def parse_blobs(blobs: Iterable[tuple[str, bytes | None]]) -> dict[str, Any]:
    """Blob id -> goal data, or the reason it could not be read (a string)."""
    out: dict[str, Any] = {}
    for blob, raw in blobs:
        if raw is None:
            out[blob] = "the blob is missing from the repository"
            continue
        doc = loader.decode_and_parse(raw, blob)
        if doc.data is None:
            out[blob] = doc.diagnostics[0].message if doc.diagnostics else "unreadable"
        else:
            out[blob] = doc.data
    return out


class ShallowCloneError(GoalsrepoError):
    """History would be silently wrong in a shallow clone."""


SHALLOW_HELP = (
    "this is a shallow clone, so history (check-ins, stale goals, drift) would be wrong; "
    "fetch the full history with `git fetch --unshallow`, or in GitHub Actions set "
    "`fetch-depth: 0` on actions/checkout (or pass --allow-shallow to go on anyway)"
)

CACHE_VERSION = 1
CACHE_FILE = "goalsrepo/history-v1.pickle"


@dataclass(frozen=True)
class History:
    """Every event of every goal up to ``head``, oldest first per goal.

    ``skipped`` lists (commit, path, reason) for old file versions that could not be read.
    """

    head: str | None
    events: Mapping[str, list[Event]]
    skipped: tuple[tuple[str, str, str], ...] = ()

    def of(self, goal_id: str) -> list[Event]:
        return list(self.events.get(goal_id, ()))


def read_history(root: Path, goals_dir: str, *, upto: str | None = None,
                 allow_shallow: bool = False, use_cache: bool = True) -> History:
    """Read the history of every goal from git, up to ``upto`` (a commit id, default HEAD).

    The result for HEAD is cached in the git directory keyed by commit; a later call reads
    only the commits that came since. A missing, stale, foreign or corrupt cache is
    rebuilt, never trusted.
    """
    if git.is_shallow(root) and not allow_shallow:
        raise ShallowCloneError(SHALLOW_HELP)
    current = git.head(root)
    if current is None:
        return History(None, {})
    target = upto or current[0]
    cache_path = git.git_dir(root) / CACHE_FILE
    replay = None
    if use_cache and target == current[0]:
        replay = _load_cache(cache_path, goals_dir)
        if replay is not None and replay.head != target and not _extends(root, replay, target):
            replay = None
    fresh = replay is None
    replay = replay or Replay()
    if replay.head != target:
        _walk(root, goals_dir, replay, target)
        if use_cache and target == current[0]:
            _save_cache(cache_path, goals_dir, replay)
    elif fresh and use_cache:
        _save_cache(cache_path, goals_dir, replay)
    return History(target, replay.events, tuple(replay.skipped))


def _extends(root: Path, replay: Replay, target: str) -> bool:
    """Whether ``target``'s first-parent chain continues from the cached head."""
    if replay.head is None:
        return True
    try:
        chain = git.first_parent_children(root, replay.head, target)
    except git.GitError:
        return False  # the cached commit is gone (rewritten history)
    return bool(chain) and len(chain[0]) > 1 and chain[0][1] == replay.head


def _walk(root: Path, goals_dir: str, replay: Replay, target: str) -> None:
    """Replay the first-parent commits after ``replay.head`` up to ``target``."""
    log = git.first_parent_log(root, goals_dir.rstrip("/") + "/", since=replay.head,
                               until=target)
    commits = list(parse_log(log))
    if not commits:
        replay.head = target
        return
    blobs = {e.blob for c in commits for e in c[6] if e.status != "D" and is_goal_file(e.path)}
    parsed = parse_blobs(git.read_blobs(root, sorted(blobs)))
    credits = _merge_credits(root, [c for c in commits if len(c[1]) > 1], replay.head, target)
    for commit_id, _parents, name, email, date, message, entries in commits:
        authors = credits.get(commit_id) or (Author(name, email),)
        commit = Commit(commit_id, datetime.fromisoformat(date), authors, message)
        replay.apply(commit, [e for e in entries if is_goal_file(e.path)], parsed)
    replay.head = target


def _merge_credits(root: Path, merges: list[Any], since: str | None,
                   target: str) -> dict[str, tuple[Author, ...]]:
    """For each merge commit, the authors of the commits it brought into the main line.

    One ``git log`` of the commit graph; from each merge's other parents, walk back until
    the main line (the first-parent chain) is reached.
    """
    if not merges:
        return {}
    revisions = [target] + ([f"^{since}"] if since else [])
    graph: dict[str, tuple[list[str], Author]] = {}
    for record in git.commit_graph(root, revisions).split(b"\x00\n"):
        fields = record.strip(b"\n\x00").decode("utf-8", "replace").split("\x00")
        if len(fields) >= 4:
            graph[fields[0]] = (fields[1].split(), Author(fields[2], fields[3]))
    mainline: set[str] = set()
    walker: str | None = target
    while walker in graph:
        mainline.add(walker)
        parents = graph[walker][0]
        walker = parents[0] if parents else None
    credits: dict[str, tuple[Author, ...]] = {}
    for commit_id, parents, *_ in merges:
        authors: dict[Author, None] = {}
        todo = list(parents[1:])
        seen: set[str] = set()
        while todo:
            sha = todo.pop()
            if sha in seen or sha in mainline or sha not in graph:
                continue
            seen.add(sha)
            sha_parents, author = graph[sha]
            authors[author] = None
            todo.extend(sha_parents)
        if authors:
            credits[commit_id] = tuple(authors)
    return credits


def _load_cache(path: Path, goals_dir: str) -> Replay | None:
    """The cached replay, or None when it is missing, foreign, stale in format or corrupt.

    The cache is a pickle inside the git directory. Whoever can write there can already
    run code through ``.git/hooks``, so reading it adds no way in; anything unexpected in
    it is treated as no cache.
    """
    try:
        with open(path, "rb") as fh:
            version, cached_dir, replay = pickle.load(fh)
    except Exception:  # truncated, corrupt, or from another version: rebuild
        return None
    if version != CACHE_VERSION or cached_dir != goals_dir or not isinstance(replay, Replay):
        return None
    return replay


def _save_cache(path: Path, goals_dir: str, replay: Replay) -> None:
    """Write the cache atomically: a temporary file in the same folder, then a rename."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".history-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump((CACHE_VERSION, goals_dir, replay), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError, UnboundLocalError):
            os.unlink(tmp)
