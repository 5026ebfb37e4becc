"""``checkin``: move one key result or milestone by editing its goal file in place.

The edit changes exactly one value and keeps every other byte (:mod:`goalsrepo.files.edit`),
so the commit that follows is a one-line check-in in review and in history. Nothing is
written unless the goal file validates before and after the change.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from goalsrepo.errors import GoalsrepoError
from goalsrepo.files import changeset, edit, loader, schema
from goalsrepo.files.changeset import FileChange
from goalsrepo.files.model import Goal
from goalsrepo.files.repository import load
from goalsrepo.gitlog import git
from goalsrepo.gitlog.events import show_value

DONE_WORDS = {"done": True, "not-done": False}
_AUTHOR = re.compile(r"[^<>\n]+ <[^<>\s]+>")


class CheckinError(GoalsrepoError):
    """The goal, key result or value is wrong, or the file does not validate."""


@dataclass(frozen=True)
class Checkin:
    """What a check-in changed: where, which field, from what to what."""

    goal: str
    target: str  # a KR id, or a milestone's title
    path: str  # the goal file, relative to the repository root
    field: tuple[str | int, ...]
    old: float | bool | None
    new: float | bool
    commit: str | None = None

    @property
    def message(self) -> str:
        """``checkin(goal/kr): old -> new``, the subject of the commit."""
        moved = f"{show_value(self.old)} -> {show_value(self.new)}"
        return f"checkin({self.goal}/{_slug(self.target)}): {moved}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "milestone"


def checkin(root: Path, goal_id: str, target: str, value: str, *, message: str | None = None,
            commit: bool = False) -> Checkin:
    """Set ``target`` of goal ``goal_id`` to ``value`` and optionally commit that one file.

    ``target`` is a key result's id, or a milestone's number (from 1) or exact title.
    ``value`` is a number for a numeric or control key result, ``done`` or ``not-done``
    for a milestone key result or a milestone.
    """
    (result,) = apply(root, goal_id, [(target, value)], message=message, commit=commit)
    return result


def apply(root: Path, goal_id: str, values: Sequence[tuple[str, str]], *,
          message: str | None = None, commit: bool = False, author: str | None = None,
          skip_unchanged: bool = False) -> tuple[Checkin, ...]:
    """Set several values of one goal as one check-in: all of them or, when any target or
    value is wrong, none. With ``commit``, one commit of that file (as ``author``, ``Name
    <email>``, when given). ``skip_unchanged`` leaves out values the file already has and
    refuses a check-in that changes nothing."""
    if author is not None and not _AUTHOR.fullmatch(author):
        raise CheckinError(f"--author takes `Name <email>`, not `{author}`")
    repo = load(root)
    matches = [g for g in repo.goals if g.id == goal_id]
    if len(matches) > 1:  # which file is the goal is what GR110 asks people to decide
        files = " and ".join(g.path for g in matches)
        raise CheckinError(f"goal id `{goal_id}` is used by {files} (GR110); run "
                           "`goalsrepo validate` and fix it first")
    goal = matches[0] if matches else None
    if goal is None:
        known = {doc.data.get("id"): p for p, doc in repo.documents.items()
                 if repo.kinds.get(p) == "goal" and doc.data}
        if goal_id in known:
            raise CheckinError(f"{known[goal_id]} does not validate; run `goalsrepo validate` "
                               "and fix it first")
        raise CheckinError(f"no goal `{goal_id}`")
    found = [(target, *_locate(goal, target, value)) for target, value in values]
    fields = [f for _, f, _, _ in found]
    if len(set(fields)) < len(fields):
        raise CheckinError("the same key result or milestone is given twice")
    if skip_unchanged:
        found = [f for f in found if f[2] != f[3] or type(f[2]) is not type(f[3])]
        if not found:
            raise CheckinError(f"nothing to check in: every value is what `{goal_id}` has "
                               "already")
    full = root / goal.path
    text = full.read_bytes().decode("utf-8")
    changed = text
    for _, field, _, new in found:
        changed = edit.set_value(changed, field, new)
    doc = loader.parse(changed, goal.path)
    if doc.diagnostics or schema.check(doc, "goal"):
        raise CheckinError(f"{goal.path} would not validate after the change; nothing written")
    changeset.apply(root, [FileChange(goal.path, changed)])
    results = tuple(Checkin(goal.id, target, goal.path, field, old, new)
                    for target, field, old, new in found)
    if not commit:
        return results
    subject = results[0].message if len(results) == 1 else (
        f"checkin({goal.id}): " + "; ".join(f"{_slug(r.target)} {show_value(r.old)} -> "
                                            f"{show_value(r.new)}" for r in results))
    body = f"{subject}\n\n{message}" if message else subject
    sha = git.commit_files(root, [goal.path], body, author=author)
    return tuple(replace(r, commit=sha) for r in results)


def _locate(goal: Goal, target: str, value: str,
            ) -> tuple[tuple[str | int, ...], float | bool | None, float | bool]:
    """The field to change, its value now, and the new value parsed for its kind."""
    for i, kr in enumerate(goal.key_results):
        if kr.id != target:
            continue
        if kr.kind == "milestone":
            return ("key_results", i, "done"), kr.done, _done(value, target)
        return ("key_results", i, "current"), kr.current, _number(value, target)
    for i, milestone in enumerate(goal.milestones):
        if target in (str(i + 1), milestone.title):
            return ("milestones", i, "done"), milestone.done, _done(value, target)
    krs = ", ".join(kr.id for kr in goal.key_results) or "none"
    raise CheckinError(f"goal `{goal.id}` has no key result or milestone `{target}` "
                       f"(key results: {krs}; milestones by number 1-{len(goal.milestones)} "
                       "or title)")


def _number(value: str, target: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise CheckinError(f"`{target}` takes a number, not `{value}`") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise CheckinError(f"`{target}` takes a finite number, not `{value}`")
    return int(number) if number.is_integer() and "." not in value else number


def _done(value: str, target: str) -> bool:
    if value not in DONE_WORDS:
        raise CheckinError(f"`{target}` takes `done` or `not-done`, not `{value}`")
    return DONE_WORDS[value]
