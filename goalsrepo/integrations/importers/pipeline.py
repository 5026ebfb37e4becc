"""``import``: bring goals in from where a team keeps them today.

A pipeline of plain steps: a reader turns the export into drafts (one module per format),
:mod:`~goalsrepo.integrations.importers.plan` resolves them against the repository and renders every
file, the repository as it would be is checked, and only then are the files written: each
into a temporary sibling first, then renamed into place, so a failure leaves the
repository as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from goalsrepo.files import changeset
from goalsrepo.files.changeset import FileChange
from goalsrepo.files.repository import load
from goalsrepo.gitlog import git
from goalsrepo.integrations.importers import FORMATS, asana, goalsrepo_csv, jira, okr_csv, trello
from goalsrepo.integrations.importers.plan import Options, Plan, make_plan
from goalsrepo.integrations.importers.records import Read

READERS: dict[str, Callable[..., Read]] = {
    "okr-csv": okr_csv.read,
    "goalsrepo-csv": goalsrepo_csv.read,
    "jira": jira.read,
    "asana": asana.read,
    "trello": trello.read,
}
assert tuple(READERS) == FORMATS


@dataclass(frozen=True)
class Imported:
    """What an import did (or, with ``dry_run``, would do)."""

    format: str
    plan: Plan
    written: bool
    commit: str | None = None


def import_file(root: Path, fmt: str, file: Path, options: Options, *,
                mapping: Mapping[str, str] | None = None, goal_type: str | None = None,
                dry_run: bool = False, commit: bool = False) -> Imported:
    """Read ``file`` as ``fmt``, plan the goals and, unless ``dry_run``, write them."""
    shown = file.name
    extra: dict[str, object] = {}
    if fmt == "okr-csv":
        extra["mapping"] = mapping or {}
    if fmt == "jira":
        extra["goal_type"] = goal_type
    read = READERS[fmt](file, shown, **extra)
    repo = load(root)
    plan = make_plan(repo, read, options)
    if dry_run or not plan.files:
        return Imported(fmt, plan, False)
    changeset.apply(root, [FileChange(path, text) for path, text in plan.files.items()])
    sha = None
    if commit:
        count = len(plan.goals)
        message = (f"Import {count} goal{'s' if count != 1 else ''} from {shown} ({fmt})\n\n"
                   + "\n".join(f"- {g.id}" for g in plan.goals[:50]))
        sha = git.commit_files(root, sorted(plan.files), message)
    return Imported(fmt, plan, True, sha)
