"""The site's output folder: which folders may be written, and a writer that builds the
new site beside the old one and swaps it in, so a failure leaves the old site as it was.

Every path is checked to stay inside the output folder (the Pelican habit), whatever an
id holds. A folder is only ever replaced when it is empty or holds a site goalsrepo built
(the ``.goalsrepo`` marker), so ``-o ~/Documents`` cannot wipe anyone's files.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import re
import shutil
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goalsrepo.errors import GoalsrepoError
from goalsrepo.gitlog.cache import read_file, write_file

if TYPE_CHECKING:
    from goalsrepo.web.pages import Page

MARKER = ".goalsrepo"
KEYS_VERSION = 2


class OutputError(GoalsrepoError):
    """The output folder cannot be used; the message says why."""


def choose(root: Path, wanted: Path | None, goals_dir: str) -> Path:
    """The output folder (default ``site/`` in the repository), or :class:`OutputError`
    when writing there could destroy something: the repository itself or a folder that
    holds it, the goals folder, a git directory, a file, or a folder of other files."""
    target = (wanted if wanted is not None else root / "site").absolute().resolve()
    root = root.resolve()
    goals = (root / goals_dir).resolve()
    if target == root or root.is_relative_to(target):
        raise OutputError(f"refusing to write the site to {target}: it holds the goals "
                          "repository; choose a folder such as site/")
    if target == goals or target.is_relative_to(goals) or goals.is_relative_to(target):
        raise OutputError(f"refusing to write the site to {target}: it is or holds the "
                          "goals folder")
    if any(part == ".git" for part in target.parts) or (target / ".git").exists():
        raise OutputError(f"refusing to write the site to {target}: it is or holds a git "
                          "repository")
    if target.exists() and not target.is_dir():
        raise OutputError(f"refusing to write the site to {target}: it is a file")
    if target.is_dir() and not (target / MARKER).is_file() and any(target.iterdir()):
        raise OutputError(f"refusing to replace {target}: it holds files goalsrepo did not "
                          f"write (no {MARKER} file); empty it or choose another folder")
    return target


_PLAIN_PATH = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*")


def inside(folder: Path, relpath: str) -> str:
    """``folder / relpath``, refusing any path that could end up outside ``folder``: only
    plain names of letters, digits, ``.``, ``_`` and ``-``, none starting with a dot."""
    if not _PLAIN_PATH.fullmatch(relpath):
        raise OutputError(f"refusing to write {relpath!r}: not a plain path inside the site")
    return os.path.join(folder, relpath)


class Writer:
    """Writes a site into a temporary sibling of ``target`` and swaps it in.

    ``cache`` (a folder in the git directory, or None) keeps each page's key from the
    previous build: a page whose key is unchanged is hard-linked from the previous site
    instead of rendered again.
    """

    def __init__(self, target: Path, cache: Path | None) -> None:
        self.target = target
        self.keys_file = (cache / f"pages-{_name_of(target)}.marshal") if cache else None
        self._before: tuple[dict[str, bytes], Any] | None = None

    def previous(self) -> tuple[dict[str, bytes], Any]:
        """The page keys of the site in the folder, and what the build that wrote it kept
        for the next one (``write``'s ``memory``); ``({}, None)`` when there is no such
        build, or the folder is not the site the keys describe."""
        if self._before is None:
            self._before = self._read_keys()
        return self._before

    def _read_keys(self) -> tuple[dict[str, bytes], Any]:
        if self.keys_file is None:
            return {}, None
        try:
            version, marker, keys, memory = marshal.loads(read_file(self.keys_file))
            if version != KEYS_VERSION or not isinstance(keys, dict) or not keys:
                return {}, None
            if (self.target / MARKER).read_bytes() != marker:
                return {}, None  # the folder is not the site these keys describe
            return keys, memory
        except Exception:  # missing, corrupt, foreign: render everything
            return {}, None

    def write(self, pages: Iterable[Page], render: Callable[[Page], bytes],
              progress: Callable[[str, int, int], None] | None = None,
              memory: Any = None) -> int:
        """Write every page; the number of pages rendered. A page whose key is None is the
        previous build's (it must be in :meth:`previous`); ``memory`` (plain data) is kept
        with the keys for the next build.

        Without a previous build (or with one these keys do not describe) the whole site is
        written into a temporary sibling, which then replaces the old folder. After a
        previous build, only the pages whose key changed are rendered, into a staging
        sibling; only once all of them are written are they renamed into place and the
        pages that are gone removed. Either way every failure that can happen (an
        exception, a full disk) happens before the site is touched.
        """
        pages = list(pages)
        previous, _ = self.previous()
        keys = {p.path: previous[p.path] if p.key is None else p.key for p in pages}
        if len(keys) < len(pages):
            twice = next(path for path, n in Counter(p.path for p in pages).items() if n > 1)
            raise OutputError(f"two pages would be written to {twice}")
        marker = b"goalsrepo site " + _digest_of(keys) + b"\n"
        self.target.parent.mkdir(parents=True, exist_ok=True)
        if previous:
            rendered = self._update(pages, previous, render, marker, progress)
        else:
            rendered = self._replace(pages, render, marker, progress)
        self._save(marker, keys, memory)
        self._before = None  # the folder now holds this build
        return rendered

    def _replace(self, pages: list[Page], render: Callable[[Page], bytes], marker: bytes,
                 progress: Callable[[str, int, int], None] | None) -> int:
        tmp = self._sibling("new")
        try:
            write_pages(tmp, pages, render, progress,
                        parallel=len(pages) >= PARALLEL_MIN_PAGES)
            (tmp / MARKER).write_bytes(marker)
            self._swap(tmp)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return len(pages)

    def _update(self, pages: list[Page], previous: dict[str, bytes],
                render: Callable[[Page], bytes], marker: bytes,
                progress: Callable[[str, int, int], None] | None) -> int:
        changed = [p for p in pages if p.key is not None and previous.get(p.path) != p.key]
        gone = sorted(set(previous) - {p.path for p in pages})
        stage = self._sibling("stage")
        try:
            # A check-in changes a few pages, drawn mostly from remembered rows (see
            # web.rows), which forked workers would not keep: share out only many pages
            # (a new day moves every goal's expected progress).
            write_pages(stage, changed, render, progress,
                        parallel=len(changed) >= PARALLEL_MIN_CHANGED)
            (stage / MARKER).write_bytes(marker)
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            raise
        # Renames only from here on. The keys go first: should this be cut short, the
        # next build finds no keys matching the folder and writes the whole site again.
        if self.keys_file is not None:
            with contextlib.suppress(OSError):
                self.keys_file.unlink()
        for page in changed:
            path = os.path.join(self.target, page.path)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            os.replace(os.path.join(stage, page.path), path)
        for relpath in gone:
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(self.target, relpath))
        os.replace(stage / MARKER, self.target / MARKER)
        shutil.rmtree(stage, ignore_errors=True)
        return len(changed)

    def _sibling(self, kind: str) -> Path:
        path = self.target.parent / f".{self.target.name}.{kind}-{uuid.uuid4().hex[:8]}"
        path.mkdir()
        return path

    def _swap(self, tmp: Path) -> None:
        old = None
        if self.target.exists():
            old = self.target.parent / f".{self.target.name}.old-{uuid.uuid4().hex[:8]}"
            os.rename(self.target, old)
        try:
            os.rename(tmp, self.target)
        except BaseException:
            if old is not None:
                os.rename(old, self.target)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def _save(self, marker: bytes, keys: dict[str, bytes], memory: Any) -> None:
        if self.keys_file is None:
            return
        with contextlib.suppress(OSError, ValueError):
            self.keys_file.parent.mkdir(parents=True, exist_ok=True)
            write_file(self.keys_file, marshal.dumps((KEYS_VERSION, marker, keys, memory)))
            self._forget_gone_sites()

    def _forget_gone_sites(self) -> None:
        """Drop the keys of output folders that no longer exist (``serve`` builds into a
        new temporary folder each session), listed in ``outputs.marshal``."""
        assert self.keys_file is not None
        listing = self.keys_file.parent / "outputs.marshal"
        try:
            outputs = dict(marshal.loads(read_file(listing)))
        except Exception:  # missing or unreadable: start the list afresh
            outputs = {}
        outputs[self.keys_file.name] = str(self.target)
        for name, target in list(outputs.items()):
            if not os.path.isdir(target):
                with contextlib.suppress(OSError):
                    (self.keys_file.parent / name).unlink()
                del outputs[name]
        write_file(listing, marshal.dumps(outputs))


PARALLEL_MIN_PAGES = 2000  # a site this large has pages that take a while to render
PARALLEL_MIN_CHANGED = 100
_JOB: tuple[Path, list[Page], Callable[[Page], bytes], Any] | None = None


def write_pages(folder: Path, pages: list[Page], render: Callable[[Page], bytes],
                progress: Callable[[str, int, int], None] | None = None, *,
                parallel: bool) -> None:
    """Render ``pages`` into ``folder``, refusing first any path that could leave it (the
    pages kept from a previous build were checked when they were written). With
    ``parallel``, forked workers share them, as the loader's do: rendering is CPU-bound
    Python and a page is independent of the others. Workers inherit the pages through the
    fork, so nothing is pickled but any exception, which the parent raises again."""
    global _JOB
    for page in pages:
        inside(folder, page.path)
    for sub in sorted({os.path.dirname(p.path) for p in pages} - {""}):
        os.makedirs(os.path.join(folder, sub), exist_ok=True)
    workers = min(os.cpu_count() or 1, 4)
    if not parallel or len(pages) < 2 or workers < 2 or not hasattr(os, "fork"):
        _write_next(folder, pages, render, None, progress)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork")
    # Each worker takes the next page not yet taken, so that one large page (the
    # alignment map of 10,000 goals) does not hold back a fixed share of the others.
    taken = context.Value("q", 0)
    _JOB = (folder, pages, render, taken)
    try:
        with ProcessPoolExecutor(workers - 1, mp_context=context) as pool:
            futures = [pool.submit(_forked_share) for _ in range(1, workers)]
            _write_next(folder, pages, render, taken, progress)
            for future in futures:
                future.result()
    finally:
        _JOB = None
    if progress is not None:
        progress("pages", len(pages), len(pages))


def _forked_share() -> None:
    assert _JOB is not None
    _write_next(*_JOB, None)


def _write_next(folder: Path, pages: list[Page], render: Callable[[Page], bytes],
                taken: Any, progress: Callable[[str, int, int], None] | None) -> None:
    """Render pages until none is left: each in turn, or, with ``taken`` (a counter the
    workers share), the next one no worker has taken yet."""
    index = -1
    while True:
        if taken is None:
            index += 1
        else:
            with taken.get_lock():
                index = taken.value
                taken.value += 1
        if index >= len(pages):
            return
        page = pages[index]
        with open(os.path.join(folder, page.path), "wb") as fh:
            fh.write(render(page))
        if progress is not None and ((index + 1) % 500 == 0 or index + 1 == len(pages)):
            progress("pages", index + 1, len(pages))


def _digest_of(keys: dict[str, bytes]) -> bytes:
    import hashlib

    h = hashlib.blake2b(digest_size=16)
    for path in sorted(keys):
        h.update(path.encode() + b"\0" + keys[path])
    return h.hexdigest().encode()


def _name_of(target: Path) -> str:
    import hashlib

    return hashlib.blake2b(str(target).encode(), digest_size=8).hexdigest()
