"""The goals at an as-of date, with their history: the input of status, tree, export and
the site (SPEC §3 "As-of date" and "Which goals are shown").

Without ``--as-of`` the goals are the files of the work tree (an uncommitted check-in shows
at once) measured at the author date of HEAD, never the wall clock, so the same commit
always gives the same numbers. ``--as-of DATE`` is time travel: the goals as they were in
the last first-parent commit on or before DATE, measured at DATE.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path

import msgspec

from goalsrepo import workspace
from goalsrepo.diagnostics import Diagnostic, make
from goalsrepo.errors import GoalsrepoError
from goalsrepo.files import repository
from goalsrepo.files.config import Config
from goalsrepo.files.repository import Repository
from goalsrepo.gitlog import git, history
from goalsrepo.gitlog.events import Event
from goalsrepo.gitlog.history import History
from goalsrepo.numbers.progress import GoalStatus, compute
from goalsrepo.workspace import Workspace


class State(msgspec.Struct, frozen=True):
    repo: Repository
    history: History
    as_of: date
    commit: str | None
    notes: tuple[Diagnostic, ...] = ()

    def statuses(self, events: Callable[[str], Sequence[Event]] | None = None,
                 ) -> list[GoalStatus]:
        """Every goal's numbers at T; scores are fixed from ``events`` (default: the
        history's own events, read only when a goal has a score to fix)."""
        if events is None and self.history.head is not None:
            events = self.history.of
        return compute(self.repo.goals, self.repo.config, self.history.activity, self.as_of,
                       events)


NO_HISTORY = "not a git repository: no history, so no check-ins and nothing is stale"


def day_of(moment: str, config: Config) -> date:
    """The calendar day of an ISO 8601 commit date in the repository's time zone."""
    return datetime.fromisoformat(moment).astimezone(config.zone).date()


def load_state(where: Path | Workspace, as_of: date | None = None, *,
               allow_shallow: bool = False, today: date | None = None,
               progress: history.Progress | None = None) -> State:
    """Goals, history and T for the repository at ``where`` (a folder, or one opened
    already); ``today`` stands in for the clock in tests."""
    ws = workspace.of(where)
    head = ws.head
    if head is None:
        repo = repository.load(ws.root)
        zone = repo.config.zone
        moment = as_of or today or datetime.now(zone).date()
        note = make("GR901", NO_HISTORY)
        return State(repo, History(None, {}), moment, None, (note,))
    if as_of is None:
        repo = repository.load(ws.root, reuse=ws.file_cache())
        found = history.read_history(ws, repo.config.goals_dir, allow_shallow=allow_shallow,
                                     progress=progress)
        return State(repo, found, day_of(head.date, repo.config), head.commit)
    zone = ws.config.zone  # today's time zone picks the commit
    commit = None
    for sha, when in git.first_parent_dates(ws.root):
        if datetime.fromisoformat(when).astimezone(zone).date() <= as_of:
            commit = sha
            break
    if commit is None:
        raise GoalsrepoError(f"the repository has no commit on or before {as_of}")
    repo = repository.load(ws.root, commit)
    found = history.read_history(ws, repo.config.goals_dir, upto=commit,
                                 allow_shallow=allow_shallow, progress=progress)
    return State(repo, found, as_of, commit)
