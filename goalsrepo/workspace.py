"""The goals repository a command works on, opened once: its root, what git says of it and
where its caches live.

Every step of a command used to take the root folder and ask git again for the git
directory, HEAD and whether the clone is shallow (a ``build`` after one check-in ran ten
git processes, four of them the same ``rev-parse``). :func:`open` asks once, in at most
two git processes, and every step takes the :class:`Workspace` it returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

from goalsrepo import __version__
from goalsrepo.files import repository
from goalsrepo.files.config import Config
from goalsrepo.gitlog import git
from goalsrepo.gitlog.cache import FileCache, Store


class Head(NamedTuple):
    commit: str
    date: str  # the author date, ISO 8601: T, the as-of date of SPEC §3, is its day


@dataclass(frozen=True)
class Workspace:
    """A goals repository at ``root`` as git saw it when opened.

    ``git_dir`` is the git directory shared by all worktrees (the caches live under it),
    None outside a git repository; ``head`` is HEAD's commit id and author date, None
    before the first commit or outside git. It is a snapshot: after a commit of its own, a
    command opens again to see it.
    """

    root: Path
    git_dir: Path | None
    head: Head | None
    shallow: bool

    @cached_property
    def config(self) -> Config:
        """goalsrepo.yaml alone, with defaults when it is missing or invalid."""
        return repository.read_config(self.root)

    def file_cache(self) -> FileCache:
        """The cache of parsed files (reading it loads it: ask only when it is used)."""
        assert self.git_dir is not None, "no caches outside a git repository"
        return FileCache(self.git_dir, __version__)

    def history_store(self, goals_dir: str) -> Store:
        """The cache of the history of the goals in ``goals_dir``."""
        assert self.git_dir is not None, "no caches outside a git repository"
        return Store(self.git_dir, goals_dir)

    @property
    def site_cache(self) -> Path:
        """The folder of the site's derived rows, build memory and compiled templates."""
        assert self.git_dir is not None, "no caches outside a git repository"
        return self.git_dir / "goalsrepo" / "site"

    @property
    def status_cache(self) -> Path | None:
        """The folder of the numbers ``status``, ``tree`` and ``export`` keep between runs
        (:func:`goalsrepo.web.memory.recall`); None outside git."""
        return self.git_dir / "goalsrepo" if self.git_dir is not None else None


def open(root: Path) -> Workspace:
    """Open the goals repository at ``root``: one ``git rev-parse`` for the git directory,
    shallowness and HEAD, and one ``git log -1`` for HEAD's date. A folder outside git
    starts no git process at all (``validate`` checks plain folders too)."""
    root = root.resolve()
    found = git.locate(root) if git.in_repository(root) else None
    if found is None:
        return Workspace(root, None, None, False)
    git_dir, shallow, commit = found
    head = Head(commit, git.author_date(root, commit)) if commit is not None else None
    return Workspace(root, git_dir, head, shallow)


def of(where: Path | Workspace) -> Workspace:
    """``where`` opened, unless it is open already: the library's entry points take either."""
    return where if isinstance(where, Workspace) else open(where)


def keep(*made: Any) -> None:
    """Keep what a command made until the process ends (``cli.main`` ends it with
    ``os._exit``) rather than free it object by object when the command returns: at
    10,000 goals that was 80 ms of a ``status`` and 40 ms of a ``build``. Only the last
    command's is kept, so a process that runs many (the tests, ``serve``) holds one."""
    _MADE[:] = made


_MADE: list[Any] = []
