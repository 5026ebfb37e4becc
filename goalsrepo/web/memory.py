"""What a site build keeps for the next one, so that a build after a check-in recomputes
only the goals the check-in changed (issue 5: a rebuild of a 10,000-goal site in about a
second); ``status``, ``tree`` and ``export`` keep the same for their numbers
(:func:`recall`).

A build's memory is kept with the page keys of the output folder (:class:`output.Writer`),
so it always describes the site in that folder. Per goal it holds:

- **shape**: a digest of the goal without its check-in values (key results' ``current``
  and ``done``, milestones' ``done``): everything validation and the SMART lint look at,
  and everything that decides which pages show the goal (file, owner, team, period,
  alignment). When no goal's shape changed, validation finds what it found last time;
  when one did, every page is keyed afresh.
- **source**: its file's path and stat signature, and the signature of its history. A
  goal whose source is unchanged has the same content and the same history, so (the
  global key being the same: config, people, teams, T) its numbers are the previous
  build's.
- **status**: those numbers (:class:`progress.Numbers`); **smart**: its SMART warnings;
  **card**: the key of its card.

The memory is :mod:`msgspec` structs, kept as MessagePack bytes; a memory of another
version or global key is ignored, and the build computes everything.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import msgspec

from goalsrepo import __version__
from goalsrepo.files.model import ENCODER, Goal
from goalsrepo.gitlog.cache import CacheError, digest, read_file, write_file
from goalsrepo.gitlog.events import Activity, Event
from goalsrepo.numbers.progress import GoalStatus, Numbers, compute
from goalsrepo.numbers.state import State

VERSION = 4  # 4: msgspec structs as MessagePack
Smart = tuple[tuple[str, str], ...]
# A goal's file path, its file's stat signature and its history's signature (see
# history.History.signatures); None where unknown.
Source = tuple[str, tuple[int, ...] | None, tuple[int, str] | None]


class Kept(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """One goal in the memory (see the module's docstring), but for its card's key."""

    shape: bytes
    source: Source
    status: Numbers
    smart: Smart


class Memory(msgspec.Struct, frozen=True, gc=False, array_like=True):
    key: bytes  # the digest of the build's global key
    goals: dict[str, Kept]
    cards: dict[str, bytes]  # goal id -> the key of its card
    version: int = VERSION

    def dump(self) -> bytes:
        return ENCODER.encode(self)

    @classmethod
    def load(cls, data: Any, key: bytes) -> Memory | None:
        """The memory in ``data`` when it was kept under the same global key."""
        try:
            memory = _DECODER.decode(data)
        except (msgspec.DecodeError, TypeError):  # another layout, or damaged
            return None
        return memory if memory.version == VERSION and memory.key == key else None


_DECODER = msgspec.msgpack.Decoder(Memory)


def _same(before: Source, now: Source) -> bool:
    """Sources are the same only when both are known: a file changed within the last
    second has no trustworthy signature yet."""
    return before == now and None not in now


def shape(goal: Goal) -> bytes:
    """The goal as validation sees it: everything but the values a check-in changes."""
    replace = msgspec.structs.replace
    unchecked = replace(
        goal, key_results=tuple(replace(kr, current=None, done=None) for kr in goal.key_results),
        milestones=tuple(replace(m, done=False) for m in goal.milestones))
    return digest(ENCODER.encode(unchecked))


def shapes(goals: Iterable[Goal], signatures: Mapping[str, tuple[int, ...]],
           previous: Memory | None) -> dict[str, bytes]:
    """Every goal's shape: the previous build's when its file has the same path and
    signature."""
    out = {}
    for goal in goals:
        kept = previous.goals.get(goal.id) if previous else None
        signature = signatures.get(goal.path)
        if kept is not None and signature is not None \
                and kept.source[:2] == (goal.path, signature):
            out[goal.id] = kept.shape
        else:
            out[goal.id] = shape(goal)
    return out


def findings(goals: Sequence[Goal], now: Mapping[str, bytes],
             previous: Memory | None) -> dict[str, Smart] | None:
    """The SMART warnings of every goal when validation would find what it found last
    time (the same goal files, each of the same shape, path included); else None.

    The previous build passed validation, so its ids were unique: a goal file more than
    there are ids (two files sharing an id) is a change, whichever of them kept the
    previous shape."""
    if previous is None or len(goals) != len(now) or now.keys() != previous.goals.keys():
        return None
    if any(previous.goals[gid].shape != shape for gid, shape in now.items()):
        return None
    return {gid: kept.smart for gid, kept in previous.goals.items() if kept.smart}


def statuses(state: State, shapes: Mapping[str, bytes], sources: Mapping[str, Source],
             previous: Memory | None,
             events: Callable[[str], Sequence[Event]] | None = None,
             ) -> tuple[list[GoalStatus], set[str] | None]:
    """Every goal's numbers: the previous build's for the goals whose source did not
    change, computed for the others; and the ids of those computed (None: all of them).
    Computed for all when a changed goal's numbers roll up into an ancestor (a goal
    without key results takes its progress and last check-in from the goals below it,
    and a last check-in passes through a parent with none of its own), or one changed
    more than its check-in values (it may have moved in the alignment). ``events`` fixes
    scores (see :meth:`State.statuses`)."""
    goals = state.repo.goals
    if previous is None or sources.keys() != previous.goals.keys():
        return state.statuses(events), None
    by_id = {g.id: g for g in goals}
    changed = [g for g in goals if not _same(previous.goals[g.id].source, sources[g.id])]
    for goal in changed:
        if not goal.key_results or _rolls_up(goal, by_id, state.history.activity):
            return state.statuses(events), None
        if previous.goals[goal.id].shape != shapes[goal.id]:
            return state.statuses(events), None
    fresh = {s.goal.id: s for s in compute(changed, state.repo.config,
                                           state.history.activity, state.as_of,
                                           events or state.history.of)}
    return ([fresh.get(g.id) or GoalStatus.of(g, previous.goals[g.id].status)
             for g in goals], set(fresh))


def _rolls_up(goal: Goal, by_id: Mapping[str, Goal], activity: Mapping[str, Activity],
              ) -> bool:
    """Whether a goal's numbers reach a goal above it: a parent without key results
    takes its progress and last check-in from below, and a parent with key results but
    no check-in yet passes its children's last check-in on to its own parents."""
    seen: set[str] = set()
    todo = list(goal.aligns_to)
    while todo:
        parent = by_id.get(todo.pop())
        if parent is None or parent.id in seen:
            continue
        if not parent.key_results:
            return True
        seen.add(parent.id)
        if (found := activity.get(parent.id)) is None or found.last_checkin is None:
            todo.extend(parent.aligns_to)
    return False


def changed(previous: Memory | None, now: dict[str, Kept]) -> set[str] | None:
    """The goals whose pages may show something new: their source, numbers or warnings
    changed. None when every page must be keyed afresh: no usable memory, or a goal was
    added, removed or changed more than its check-in values (it may have moved to another
    team, period or parent, which changes what other pages show)."""
    if previous is None or now.keys() != previous.goals.keys():
        return None
    dirty = set()
    for gid, kept in now.items():
        before = previous.goals[gid]
        if kept is before:  # remembered as it was (see remember)
            continue
        if before.shape != kept.shape:
            return None
        if (not _same(before.source, kept.source) or before.status != kept.status
                or before.smart != kept.smart):
            dirty.add(gid)
    return dirty


def sources(state: State) -> dict[str, Source]:
    """Every goal's source: its file's path and signature, its history's signature."""
    files, histories = state.repo.signatures, state.history.signatures
    return {g.id: (g.path, files.get(g.path), histories.get(g.id)) for g in state.repo.goals}


STATUS_FILE = "status.msgpack"


def recall(state: State, folder: Path | None) -> list[GoalStatus]:
    """Every goal's numbers, as :meth:`State.statuses` computes them, for ``status``,
    ``tree`` and ``export``: the last run's for the goals whose source did not change
    (:func:`statuses`), from a memory kept in ``folder`` (the git directory's cache; the
    site keeps its own with each output folder). Used only for the state at HEAD with the
    history cache and a repository without problems (unique ids); otherwise, and for a
    memory of another version, configuration or as-of date, everything is computed."""
    goals = state.repo.goals
    if (folder is None or state.history.generation is None or not state.repo.complete
            or len({g.id for g in goals}) != len(goals)):
        return state.statuses()
    key = digest(("status", __version__, repr(state.repo.config), state.as_of.isoformat()))
    try:
        previous = Memory.load(read_file(folder / STATUS_FILE), key)
    except CacheError:
        previous = None
    now = shapes(goals, state.repo.signatures, previous)
    found = sources(state)
    out, fresh = statuses(state, now, found, previous)
    kept = remember({s.goal.id: s for s in out}, now, found, {}, previous, fresh)
    if previous is None or kept != previous.goals:
        with contextlib.suppress(OSError):
            folder.mkdir(parents=True, exist_ok=True)
            write_file(folder / STATUS_FILE, Memory(key, kept, {}).dump())
    return out


def remember(statuses: Mapping[str, GoalStatus], shapes: Mapping[str, bytes],
             sources: Mapping[str, Source], smart: Mapping[str, Smart],
             previous: Memory | None = None, fresh: set[str] | None = None,
             ) -> dict[str, Kept]:
    """What this build keeps of each goal (the card keys come once the cards exist).

    A goal whose numbers :func:`statuses` took from ``previous`` (it is not in
    ``fresh``) has the same source, and so the same shape: it keeps its previous entry
    itself, unless its warnings changed. The 10,000 entries of a large repository are
    then not made again after a check-in, and comparing the memories (:func:`changed`,
    and whether to write it at all) passes them by identity."""
    if previous is None or fresh is None:
        return {gid: Kept(shapes[gid], sources[gid], s.numbers(), smart.get(gid, ()))
                for gid, s in statuses.items()}
    out = {}
    for gid, s in statuses.items():
        before = previous.goals[gid]
        if gid in fresh or before.smart != smart.get(gid, ()):
            before = Kept(shapes[gid], sources[gid], s.numbers(), smart.get(gid, ()))
        out[gid] = before
    return out
