"""The check-in log, computed from git: every event of every goal (SPEC §3 "History").

History follows the first-parent chain of HEAD, what the main branch showed. It is read in
one pass: one ``git log --first-parent --raw`` over the goals folder names the blobs each
commit changed (before and after), ``git cat-file --batch`` reads them a few thousand at a
time, and each goal version is compared with the version *of the same id* the commit
replaced (identity is the id, not the path), so moves and renames keep their history.

Because a commit's events follow from its own before and after blobs, any range of
commits can be replayed on its own: the cache appends the events of new commits to what
it holds, and ``validate`` replays only the last few weeks. The only git calls are in
:mod:`goalsrepo.gitlog.git`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec

from goalsrepo import workspace
from goalsrepo.errors import GoalsrepoError
from goalsrepo.files import loader
from goalsrepo.gitlog import cache, git
from goalsrepo.gitlog.events import (
    GOAL_FIELDS,
    KR_FIELDS,
    Activity,
    Author,
    Change,
    Commit,
    Event,
    activity,
)
from goalsrepo.workspace import Workspace

# ``progress(what, done, total)``: long work reports on stderr on a terminal (SPEC §2).
Progress = Callable[[str, int, int], None]

# Fields of a goal version that history tracks; (kr id or None, field) -> value.
Snapshot = dict[tuple[str | None, str], Any]

# What a goal file means when it leaves these out (SPEC §1), so that adding
# `status: achieved` to a file without one reads as active -> achieved.
GOAL_DEFAULTS = {"status": "active", "level": "team"}


def snapshot(data: Mapping[str, Any]) -> Snapshot:
    """The tracked fields of one goal version, flat, so two versions diff field by field."""
    out: Snapshot = {}
    for name in GOAL_FIELDS:
        value = data.get(name, GOAL_DEFAULTS.get(name))
        if value is not None:
            out[(None, name)] = tuple(value) if isinstance(value, list) else value
    for kr in data.get("key_results") or ():
        if not isinstance(kr, dict) or not isinstance(kr_id := kr.get("id"), str):
            continue
        for name in KR_FIELDS:
            if (value := kr.get(name)) is not None:
                out[(kr_id, name)] = value
    for ms in data.get("milestones") or ():
        if isinstance(ms, dict) and isinstance(ms.get("title"), str):
            out[(None, f"milestones[{ms['title']}].done")] = bool(ms.get("done", False))
    return out


def diff(old: Snapshot, new: Snapshot) -> list[Change]:
    """Field changes from one version to the next, goal fields first, then by KR order.

    The fields of ``old`` come first, in its order, then those only ``new`` has (a
    snapshot holds no None, so each of these is a change).
    """
    changes = [Change(kr, name, was, now) for (kr, name), was in old.items()
               if was != (now := new.get((kr, name)))]
    changes.extend(Change(kr, name, None, now) for (kr, name), now in new.items()
                   if (kr, name) not in old)
    return changes


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


class RawEntry(msgspec.Struct, frozen=True):
    """One file a commit changed: ``git log --raw`` status, path, blob before and after."""

    status: str  # A, M, D (or T for a type change)
    path: str
    old_blob: str
    blob: str


def _absent(blob: str) -> bool:
    return not blob.strip("0")


class Version(msgspec.Struct, frozen=True):
    """One parsed goal file version: its id and the fields history tracks."""

    goal: str
    snapshot: Snapshot


class Replay:
    """Replays commits oldest first and collects their events.

    ``live`` remembers the version each blob id holds, so in a long walk the "before" blob
    of a change was usually parsed already as the "after" of an earlier commit; what it does
    not know is parsed from git.
    """

    def __init__(self) -> None:
        self.live: dict[str, Version] = {}  # blob id -> version, for the files of the tip
        self.events: list[Event] = []
        self.skipped: list[tuple[str, str, str]] = []
        # Whether a commit replaced a blob that neither parsed nor was seen in this replay:
        # only a replay from the first commit knows which goal such a file held before.
        self.blind = False

    def wanted(self, entries: Iterable[RawEntry]) -> list[str]:
        """The blobs that must be read to apply these entries, in history order.

        The order matters: git stores versions of a file near each other, so reading them
        in the order history made them is twice as fast as in the order of their ids.
        """
        out: dict[str, None] = {}
        for entry in entries:
            if not _absent(entry.old_blob) and entry.old_blob not in self.live:
                out[entry.old_blob] = None
            if entry.status != "D":
                out[entry.blob] = None
        return list(out)

    def apply(self, commit: Commit, entries: list[RawEntry],
              parsed: Mapping[str, Version | str]) -> None:
        """Apply one commit; ``parsed`` maps blob id -> version, or why it is unreadable."""
        before: dict[str, tuple[str, Snapshot]] = {}
        for entry in entries:
            if _absent(entry.old_blob):
                continue
            old = self.live.pop(entry.old_blob, None) or parsed.get(entry.old_blob)
            if isinstance(old, Version):
                before[old.goal] = (entry.path, old.snapshot)
            else:
                self.blind = True
        after: dict[str, tuple[str, Snapshot]] = {}
        for entry in entries:
            if entry.status == "D":
                continue
            new = parsed.get(entry.blob)
            if not isinstance(new, Version):
                self.skipped.append((commit.id, entry.path, new or "unreadable"))
                # An unreadable version changes nothing: the goal keeps its last good one,
                # which the commit that replaces this blob must find as its "before".
                for goal, (path, snap) in list(before.items()):
                    if path == entry.path:
                        after[goal] = (path, snap)
                        self.live[entry.blob] = Version(goal, snap)
                continue
            after[new.goal] = (entry.path, new.snapshot)
            self.live[entry.blob] = new
        for goal, (path, snap) in after.items():
            if goal not in before:
                self.events.append(Event(goal, commit, "created", tuple(diff({}, snap)), path))
                continue
            old_path, old_snap = before[goal]
            changes = diff(old_snap, snap)
            moved = old_path != path
            if changes or moved:
                kind = classify(changes, moved)
                self.events.append(Event(goal, commit, kind, tuple(changes), path))
        for goal, (path, _snap) in before.items():
            if goal not in after:
                self.events.append(Event(goal, commit, "deleted", (), path))


_HEADER = re.compile(rb"[0-9a-f]{40,64}\x00")


LogRecord = tuple[str, list[str], str, str, str, str, list[RawEntry]]


def parse_log(output: bytes) -> Iterator[LogRecord]:
    """Parse ``git log -z --raw`` with :data:`goalsrepo.gitlog.git.LOG_FORMAT` records.

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
            path = tokens[i + 1].decode("utf-8", "surrogateescape")
            if is_goal_file(path):
                entries.append(RawEntry(fields[4][:1].decode(), path, fields[2].decode(),
                                        fields[3].decode()))
            i += 2
        yield commit, parents.split(), name, email, date, message.rstrip("\n"), entries


def is_goal_file(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.endswith((".yaml", ".yml")) and not name.startswith(".")


def parse_version(raw: bytes | None) -> Version | str:
    """The version a blob holds, or why it cannot be read (as text)."""
    if raw is None:
        return "the blob is missing from the repository"
    doc = loader.decode_and_parse(raw, "", positions=False)
    if doc.data is None:
        return doc.diagnostics[0].message if doc.diagnostics else "unreadable"
    goal = doc.data.get("id")
    if not isinstance(goal, str):
        return "the file has no goal id"
    return Version(goal, snapshot(doc.data))


class ShallowCloneError(GoalsrepoError):
    """History would be silently wrong in a shallow clone."""


SHALLOW_HELP = (
    "this is a shallow clone, so history (check-ins, stale goals, drift) would be wrong; "
    "fetch the full history with `git fetch --unshallow`, or in GitHub Actions set "
    "`fetch-depth: 0` on actions/checkout (or pass --allow-shallow to go on anyway)"
)


@dataclass
class History:
    """The events of every goal up to ``head``, and each goal's :class:`Activity`.

    A goal's events are read on first use, from the cache a goal at a time (``_read``
    gives them, or raises :class:`cache.CacheError`, and then ``_recover`` reads every
    event from git); without a cache they are all in memory. ``signatures`` says, per
    goal, its number of events and last commit: what was derived from a goal's events
    holds while its signature is the same. ``generation``
    changes when the history is read from its first commit again (the history was
    rewritten, or its cache lost), None for a history not kept in the cache.
    """

    head: str | None
    activity: dict[str, Activity]
    skipped: tuple[tuple[str, str, str], ...] = ()
    signatures: dict[str, tuple[int, str]] = field(default_factory=dict)
    generation: str | None = None
    _read: Callable[[str], list[Event]] | None = field(default=None, repr=False)
    _recover: Callable[[], list[Event]] | None = field(default=None, repr=False)
    _grouped: dict[str, list[Event]] = field(default_factory=dict, repr=False)
    _complete: bool = field(default=False, repr=False)

    @classmethod
    def of_events(cls, head: str | None, events: list[Event],
                  skipped: Iterable[tuple[str, str, str]] = (),
                  activities: dict[str, Activity] | None = None,
                  generation: str | None = None) -> History:
        """A history held in memory: ``events`` are all of them, oldest first."""
        grouped: dict[str, list[Event]] = {}
        for event in events:
            grouped.setdefault(event.goal, []).append(event)
        return cls(head, activity(events) if activities is None else activities,
                   tuple(skipped), {g: (len(e), e[-1].commit.id) for g, e in grouped.items()},
                   generation, _grouped=grouped, _complete=True)

    @property
    def events(self) -> dict[str, list[Event]]:
        """Goal id -> its events, oldest first: every goal's."""
        if not self._complete:
            for goal in self.signatures:
                self.of(goal)
            self._complete = True
        return self._grouped

    def of(self, goal_id: str) -> list[Event]:
        """One goal's events, oldest first."""
        found = self._grouped.get(goal_id)
        if found is None:
            if self._complete or self._read is None or goal_id not in self.signatures:
                return []
            try:
                found = self._grouped[goal_id] = self._read(goal_id)
            except cache.CacheError:  # a bucket went bad: every event from git
                assert self._recover is not None
                whole = History.of_events(self.head, self._recover())
                self._grouped, self._complete = whole._grouped, True
                return self._grouped.get(goal_id, [])
        return found


def read_history(where: Path | Workspace, goals_dir: str, *, upto: str | None = None,
                 allow_shallow: bool = False, use_cache: bool = True,
                 progress: Progress | None = None) -> History:
    """Read the history of every goal from git, up to ``upto`` (a commit id, default HEAD),
    in the repository at ``where`` (a folder, or one opened already).

    The history of HEAD is cached in the git directory keyed by commit; a later call
    replays only the commits that came since. A missing, stale, foreign or corrupt cache is
    rebuilt, never trusted. ``progress(what, done, total)`` hears of every chunk of
    commits replayed: a first read of a large history takes a while.
    """
    ws = workspace.of(where)
    root = ws.root
    if ws.shallow and not allow_shallow:
        raise ShallowCloneError(SHALLOW_HELP)
    current = ws.head
    if current is None:
        return History(None, {})
    target = upto or current.commit
    if not use_cache or (upto is not None and upto != current.commit):
        replay = _replay_range(root, goals_dir, None, target, progress)
        return History.of_events(target, replay.events, replay.skipped)
    store = ws.history_store(goals_dir)
    index = store.load_index()
    if index is not None and index.head != target and not _extends(root, index.head, target):
        index = None
    if index is None or index.head != target:
        since = index.head if index is not None else None
        replay = _replay_range(root, goals_dir, since, target, progress)
        if since is not None and replay.blind:  # a file broken at the cached head was fixed
            index = since = None
            replay = _replay_range(root, goals_dir, None, target, progress)
        merged = dict(index.activity) if index is not None else {}
        for goal, new in activity(replay.events).items():
            merged[goal] = new.merged(merged.get(goal, Activity()))
        skipped = [*(index.skipped if index else ()), *replay.skipped]
        written = store.write(target, replay.events, merged, skipped, index)
        if index is None:  # everything is in memory already
            return History.of_events(target, replay.events, skipped, merged,
                                     written.generation if written else None)
        if written is None:  # not written (a read-only disk): the new events stay in memory
            return _overlaid(store, index, History.of_events(target, replay.events, skipped,
                                                             merged), root, goals_dir)
        index = written
    found = index

    def recover() -> list[Event]:
        store.clear()
        return _replay_range(root, goals_dir, None, target).events

    return History(target, found.activity, found.skipped, found.signatures, found.generation,
                   lambda goal: store.events(found, goal), recover)


def _overlaid(store: cache.Store, index: cache.Index, new: History, root: Path,
              goals_dir: str) -> History:
    """The cached history of ``index`` followed by the events of ``new``."""
    def read(goal: str) -> list[Event]:
        return [*store.events(index, goal), *new.of(goal)]

    def recover() -> list[Event]:
        return _replay_range(root, goals_dir, None, new.head or "HEAD").events

    return History(new.head, new.activity, new.skipped,
                   {**index.signatures, **{g: (index.signatures.get(g, (0,))[0] + count, last)
                                           for g, (count, last) in new.signatures.items()}},
                   index.generation, read, recover)


def _replay_range(root: Path, goals_dir: str, since: str | None, target: str,
                  progress: Progress | None = None) -> Replay:
    pathspec = goals_dir.rstrip("/") + "/"
    # One expression, so the raw log (23 MB at 50,000 commits) is freed once parsed.
    records = list(parse_log(git.first_parent_log(root, pathspec, since=since,
                                                  until=target)))[::-1]  # oldest first
    return _replay(root, records, since, target, progress=progress)


def read_recent(ws: Workspace, goals_dir: str, since: datetime) -> History:
    """The events of the commits authored on or after ``since`` only.

    Enough for the history lint (what was checked in lately), at a fraction of the cost of
    the whole history. The events are those the full replay gives for these commits, but
    for merges, which are credited to the merge commit's author (nobody needs more here).
    When the cache already stands at HEAD, its activity is returned instead.
    """
    root, head = ws.root, ws.head
    index = ws.history_store(goals_dir).load_index()
    if head is not None and index is not None and index.head == head.commit:
        return History(head.commit, index.activity, index.skipped)
    pathspec = goals_dir.rstrip("/") + "/"
    replay = Replay()
    log = git.first_parent_log(root, pathspec, since_date=since.isoformat())
    records = [r for r in parse_log(log) if datetime.fromisoformat(r[4]) >= since][::-1]
    if records:
        # Who merged what does not change what was checked in when: no merge credits.
        replay = _replay(root, records, None, head.commit if head else "HEAD", credit=False)
        if replay.blind:
            # A file unreadable before the window changed in it: only the whole history
            # knows which goal it held, and so whether the change created a goal.
            full = read_history(ws, goals_dir, allow_shallow=True)
            return History(full.head, full.activity, full.skipped)
    return History.of_events(head.commit if head else None, replay.events, replay.skipped)


CHUNK_COMMITS = 2000


def _replay(root: Path, records: list[LogRecord], since: str | None, target: str,
            credit: bool = True, progress: Progress | None = None) -> Replay:
    """Replay ``records`` a chunk at a time, so only a chunk's blobs are held in memory."""
    replay = Replay()
    merges = [r for r in records if len(r[1]) > 1] if credit else []
    credits = _merge_credits(root, merges, since, target)
    with loader.collector_paused():
        for start in range(0, len(records), CHUNK_COMMITS):
            chunk = records[start:start + CHUNK_COMMITS]
            wanted = replay.wanted(e for r in chunk for e in r[6])
            parsed = {blob: parse_version(raw)
                      for blob, raw in git.read_blobs(root, wanted)}
            for commit_id, _parents, name, email, date, message, entries in chunk:
                authors = credits.get(commit_id) or (Author(name, email),)
                commit = Commit(commit_id, datetime.fromisoformat(date), authors, message)
                replay.apply(commit, entries, parsed)
            if progress is not None:
                progress("commits", start + len(chunk), len(records))
    return replay


def _extends(root: Path, cached: str | None, target: str) -> bool:
    """Whether ``target``'s first-parent chain continues from the cached head."""
    if cached is None:
        return True
    try:
        chain = git.first_parent_children(root, cached, target)
    except git.GitError:
        return False  # the cached commit is gone (rewritten history)
    return bool(chain) and len(chain[0]) > 1 and chain[0][1] == cached


def _merge_credits(root: Path, merges: list[LogRecord], since: str | None,
                   target: str) -> dict[str, tuple[Author, ...]]:
    """For each merge commit, the authors of the commits it brought into the main line.

    One ``git log`` of the commit graph. A merge brought in what its other parents reach and
    its first parent does not: neither the main line (the first-parent chain) nor what an
    earlier merge brought in. So merges are walked oldest first, each stopping at what is
    on the main line by then, and a long-lived branch merged twice is not credited twice.
    """
    if not merges:
        return {}
    revisions = [target] + ([f"^{since}"] if since else [])
    graph: dict[str, tuple[list[str], Author]] = {}
    for record in git.commit_graph(root, revisions).split(b"\x00\n"):
        fields = record.strip(b"\n\x00").decode("utf-8", "replace").split("\x00")
        if len(fields) >= 4:
            graph[fields[0]] = (fields[1].split(), Author(fields[2], fields[3]))
    mainline: list[str] = []
    walker: str | None = target
    while walker in graph:
        mainline.append(walker)
        parents = graph[walker][0]
        walker = parents[0] if parents else None
    wanted = {record[0] for record in merges}
    on_main = set(mainline)  # grows with what each merge brought in
    credits: dict[str, tuple[Author, ...]] = {}
    for commit_id in reversed(mainline):
        authors: dict[Author, None] = {}
        todo = list(graph[commit_id][0][1:])
        while todo:
            sha = todo.pop()
            if sha in on_main or sha not in graph:
                continue
            on_main.add(sha)
            sha_parents, author = graph[sha]
            authors[author] = None
            todo.extend(sha_parents)
        if authors and commit_id in wanted:
            credits[commit_id] = tuple(authors)
    return credits
