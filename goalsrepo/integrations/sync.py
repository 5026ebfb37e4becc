"""``sync``: read every key result that names a source and check in the values that moved.

A pipeline of plain steps: find the key results with a ``source`` (only goal files that
mention one are parsed), fetch each distinct (source, query) once with a few requests in
flight, take each key result's number out of its answer, then edit the ``current`` lines
with the in-place edit of ``checkin`` and write each file atomically (a temporary file in
the same folder, flushed to disk, renamed over the old one), so a run killed at any point
leaves every file either as it was or fully updated. A failing source changes nothing of
its key results; the others still apply.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from goalsrepo.diagnostics import Diagnostic
from goalsrepo.errors import GoalsrepoError
from goalsrepo.files import edit, loader, schema
from goalsrepo.files.config import CONFIG_FILE, Config, Reading, Source, missing
from goalsrepo.gitlog import git
from goalsrepo.gitlog.events import SYNC_SUBJECT, show_value, sync_line
from goalsrepo.integrations import sources
from goalsrepo.integrations.sources import SourceError

WORKERS = 4  # requests in flight: enough to hide latency, few enough for rate limits
Status = Literal["updated", "unchanged", "failed"]


class SyncError(GoalsrepoError):
    """The run cannot start: goalsrepo.yaml is broken, a GOAL is unknown, no author."""


@dataclass(frozen=True)
class SyncResult:
    """One key result's outcome (SPEC §8 ``sync --format json``)."""

    goal: str
    kr: str
    source: str
    old: float | None
    new: float | None
    status: Status
    error: str | None = None
    path: str = ""


@dataclass(frozen=True)
class SyncRun:
    as_of: date
    commit: str | None
    results: tuple[SyncResult, ...]
    # Goal files that mention a source but do not validate: not synced, reported.
    broken: tuple[Diagnostic, ...] = ()
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.broken and all(r.status != "failed" for r in self.results)


@dataclass(frozen=True)
class _Wanted:
    """A key result that names a source, as found in its goal file."""

    goal: str
    kr: str
    index: int
    path: str
    old: float | None
    reading: Reading


def sync(root: Path, goals: Sequence[str] = (), *, dry_run: bool = False,
         commit: bool = False, environ: Mapping[str, str] | None = None) -> SyncRun:
    """Sync the key results of ``goals`` (all when empty) from their sources.

    With ``dry_run`` nothing is written; with ``commit`` the changed files are committed
    once as ``sync.author`` of goalsrepo.yaml.
    """
    environ = os.environ if environ is None else environ
    config = _config(root)
    if commit and config.sync_author is None:
        raise SyncError(f"--commit needs `sync: {{author: {{name, email}}}}` in {CONFIG_FILE}")
    texts, wanted, broken = _find(root, config)
    if goals:
        known = {w.goal for w in wanted}
        unknown = [g for g in goals if g not in known]
        if unknown:
            raise SyncError(f"no key result of goal `{unknown[0]}` names a source "
                            "(or no such goal)")
        wanted = [w for w in wanted if w.goal in goals]
    results = _read_values(root, config, wanted, environ)
    results = _apply(root, texts, wanted, results, dry_run)
    made = None
    if commit and not dry_run and any(r.status == "updated" for r in results):
        assert config.sync_author is not None
        made = _commit(root, config.sync_author, [r for r in results if r.status == "updated"])
    return SyncRun(datetime.now(config.zone).date(), made, tuple(results), tuple(broken),
                   dry_run)


def _config(root: Path) -> Config:
    if not (root / CONFIG_FILE).exists():
        return Config()
    doc = loader.read(root, CONFIG_FILE)
    if doc.diagnostics or doc.data is None or schema.check(doc, "config"):
        raise SyncError(f"{CONFIG_FILE} does not validate; run `goalsrepo validate` and fix "
                        "it first")
    return Config.from_data(doc.data)


def _find(root: Path, config: Config,
          ) -> tuple[dict[str, str], list[_Wanted], list[Diagnostic]]:
    """The goal files that name a source (their text) and their key results that do.

    Most goal files name none, so a file whose bytes do not hold ``source`` is not
    parsed: at 10,000 goals that is most of the time a run would take.
    """
    texts: dict[str, str] = {}
    wanted: list[_Wanted] = []
    broken: list[Diagnostic] = []
    for path in loader.find_goal_files(root, config.goals_dir):
        full = root / path
        try:
            raw = full.read_bytes()
        except OSError:
            continue  # unreadable: `validate` says why; it names no source we can read
        if b"source" not in raw:
            continue
        # Positions are only needed to report a broken file: parsed again then. A link
        # goes through the loader's own reading, which refuses one that leads outside.
        doc = (loader.read(root, path) if full.is_symlink()
               else loader.decode_and_parse(raw, path, positions=False))
        if doc.diagnostics or doc.flagged or not isinstance(doc.data, dict) or (
                schema.check(doc, "goal")):
            if b"source:" in raw:
                again = loader.read(root, path)
                problems = again.diagnostics or schema.check(again, "goal")
                broken.extend(problems[:1])
            continue
        found = [
            _Wanted(doc.data["id"], kr["id"], i, path, kr.get("current"),
                    Reading.from_data(kr["source"]))
            for i, kr in enumerate(doc.data.get("key_results", ()))
            if "source" in kr and "done" not in kr
        ]
        if found:
            texts[path] = raw.decode("utf-8")
            wanted.extend(found)
    return texts, wanted, broken


def _read_values(root: Path, config: Config, wanted: list[_Wanted],
                 environ: Mapping[str, str]) -> list[SyncResult]:
    """Fetch each distinct request once (concurrently) and read every key result's value."""
    context = sources.Context(environ, root)
    plans: dict[Hashable, tuple[Source, _Wanted]] = {}
    problems: dict[int, str] = {}
    for n, w in enumerate(wanted):
        source = config.source(w.reading.source)
        if source is None:
            problems[n] = f"no source `{w.reading.source}` in {CONFIG_FILE}"
            continue
        lacking = missing(source, w.reading)
        if lacking:
            problems[n] = (f"a `{source.kind}` source needs `{lacking[0]}` in the key "
                           "result's source")
            continue
        plans.setdefault(sources.fetch_key(source, w.reading, w.goal, w.kr), (source, w))

    def run(item: tuple[Source, _Wanted]) -> Any:
        source, w = item
        try:
            return sources.fetch(source, w.reading, w.goal, w.kr, context)
        except SourceError as error:
            return error

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        answers = dict(zip(plans, pool.map(run, plans.values()), strict=True))
    masks = {s.name: sources.secrets_of(s, environ) for s in config.sources}
    results = []
    for n, w in enumerate(wanted):
        name = w.reading.source
        if n in problems:
            results.append(SyncResult(w.goal, w.kr, name, w.old, None, "failed", problems[n],
                                      w.path))
            continue
        source = config.source(name)
        assert source is not None
        answer = answers[sources.fetch_key(source, w.reading, w.goal, w.kr)]
        try:
            if isinstance(answer, SourceError):
                raise answer
            new = sources.value_of(source, w.reading, answer)
        except SourceError as error:
            results.append(SyncResult(w.goal, w.kr, name, w.old, None, "failed",
                                      masks[name].mask(str(error)), w.path))
            continue
        status: Status = "unchanged" if w.old is not None and new == w.old else "updated"
        results.append(SyncResult(w.goal, w.kr, name, w.old, new, status, None, w.path))
    return results


WRITERS = 16


def _apply(root: Path, texts: dict[str, str], wanted: list[_Wanted],
           results: list[SyncResult], dry_run: bool) -> list[SyncResult]:
    """Edit each file's ``current`` lines and, unless ``dry_run``, write it.

    A file whose edit fails keeps its old text, and its key results are failures. Files
    are written on threads while the next ones are edited: a write mostly waits for the
    disk, and side by side the file system commits the flushes together (one by one,
    2,000 of them took 20 s on an ext4 disk; side by side, about a second).
    """
    by_path: dict[str, list[int]] = defaultdict(list)
    for n, r in enumerate(results):
        if r.status == "updated":
            by_path[r.path].append(n)
    out = list(results)
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        writes = []
        for path, numbers in by_path.items():
            changes: dict[edit.KeyPath, edit.Scalar] = {}
            for n in numbers:
                new = results[n].new
                assert new is not None
                changes[("key_results", wanted[n].index, "current")] = new
            try:
                text = edit.set_values(texts[path], changes)
            except edit.EditError as error:
                for n in numbers:
                    out[n] = replace(results[n], status="failed", error=f"cannot edit: {error}")
                continue
            if not dry_run:
                writes.append(pool.submit(write_atomic, root / path, text.encode("utf-8")))
        for done in writes:
            done.result()
    return out


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` so that a reader, or a crash, sees the old file or the new one,
    never a part: write a temporary file beside it, flush it to disk, rename it."""
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def commit_message(updated: Sequence[SyncResult]) -> str:
    """``sync: N key results from a, b`` and one ``goal/kr: old -> new (source)`` line
    each, which the site reads the source from (:attr:`events.Event.synced_from`)."""
    names = sorted({r.source for r in updated})
    count = f"{len(updated)} key result{'s' if len(updated) != 1 else ''}"
    lines = [sync_line(r.goal, r.kr, show_value(r.old), show_value(r.new), r.source)
             for r in updated]
    return f"{SYNC_SUBJECT}{count} from {', '.join(names)}\n\n" + "\n".join(lines) + "\n"


def _commit(root: Path, author: tuple[str, str], updated: list[SyncResult]) -> str | None:
    name, email = author
    env = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
           "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email}
    paths = sorted({r.path for r in updated})
    return git.commit_files(root, paths, commit_message(updated), env=env)
