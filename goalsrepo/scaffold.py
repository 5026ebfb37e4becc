"""``init`` and ``new``: write a goals repository and new goal files.

Both refuse to overwrite anything: they check every target first and write nothing when
one exists, so a mistyped command cannot destroy a user's goals.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from goalsrepo.errors import GoalsrepoError
from goalsrepo.files import schema
from goalsrepo.files.repository import load
from goalsrepo.gitlog import git
from goalsrepo.integrations import workflows
from goalsrepo.validate import unsafe_as_file_name

GOAL_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
EDITOR_SCHEMAS_DIR = ".goalsrepo/schemas"
GITIGNORE = "# goalsrepo build output\n/site/\n"

class ScaffoldError(GoalsrepoError):
    """A file to write exists already, or the input cannot make a valid goal."""


def example_source() -> Path:
    """The example goals repository shipped inside the package (``example-goals/``)."""
    return Path(str(resources.files("goalsrepo.example_goals")))


def _scaffold_files(ci: str = "github") -> dict[str, str]:
    """What ``init`` writes besides the example: schemas for editors and the VS Code
    wiring (Draft 7, which yaml-language-server speaks), a .gitignore, and the CI files of
    :mod:`goalsrepo.integrations.workflows`."""
    files = {
        f"{EDITOR_SCHEMAS_DIR}/{kind}.json": json.dumps(
            schema.printable(kind, draft=7), indent=2) + "\n"
        for kind in schema.KINDS
    }
    settings = {
        "yaml.schemas": {
            f"./{EDITOR_SCHEMAS_DIR}/config.json": "goalsrepo.yaml",
            f"./{EDITOR_SCHEMAS_DIR}/people.json": "people.yaml",
            f"./{EDITOR_SCHEMAS_DIR}/teams.json": "teams.yaml",
            f"./{EDITOR_SCHEMAS_DIR}/goal.json": "goals/**/*.yaml",
        }
    }
    files[".vscode/settings.json"] = json.dumps(settings, indent=2) + "\n"
    files[".gitignore"] = GITIGNORE
    files.update(workflows.ci_files(ci))
    return files


@dataclass(frozen=True)
class InitResult:
    root: Path
    written: list[str] = field(default_factory=list)
    created_repository: bool = False
    demo_commits: int = 0


def init(directory: Path, demo: bool = False, ci: str = "github") -> InitResult:
    """Scaffold a goals repository in ``directory`` from the shipped example.

    Runs ``git init`` when the directory is not inside a repository. With ``demo`` it
    also writes a quarter of back-dated commits, which needs a new repository. ``ci``
    names the forge whose CI files are written (:data:`workflows.CI_FILES`).
    """
    source = example_source()
    root = directory.resolve()
    targets = _scaffold_files(ci)
    example = sorted(p.relative_to(source).as_posix() for p in source.rglob("*.yaml"))
    existing = [p for p in [*targets, *example] if (root / p).exists()]
    if existing:
        shown = ", ".join(existing[:5]) + (" ..." if len(existing) > 5 else "")
        raise ScaffoldError(f"{root} already has {shown}; init writes nothing over existing files")
    root.mkdir(parents=True, exist_ok=True)
    in_repo = git.toplevel(root) is not None
    if demo and in_repo:
        raise ScaffoldError(
            f"{root} is inside a git repository; --demo writes its own history and needs "
            "a new folder"
        )
    if not in_repo:
        git.init(root)
    for rel, text in targets.items():
        _write_new(root / rel, text)
    commits = 0
    if demo:
        from goalsrepo import demo as demo_history

        demo_history.write_demo_history(root, source)
        commits = int(git.run(root, "rev-list", "--count", "HEAD").strip())
    else:
        for rel in example:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / rel, root / rel)
    return InitResult(root, [*targets, *example], not in_repo, commits)


def _write_new(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8", newline="\n") as fh:  # "x": never overwrite
        fh.write(text)


@dataclass(frozen=True)
class NewGoal:
    """The fields ``new`` asks for; the rest of a goal is written in an editor."""

    id: str
    title: str
    owner: str
    team: str | None = None
    period: str | None = None
    level: str = "team"
    aligns_to: tuple[str, ...] = ()


def _q(value: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML), safe for any text."""
    return json.dumps(value, ensure_ascii=False)


def goal_text(goal: NewGoal) -> str:
    """The YAML of a new goal, with a commented key result to fill in."""
    lines = [f"id: {goal.id}", f"title: {_q(goal.title)}", f"level: {goal.level}",
             f"owner: {_q(goal.owner)}"]
    if goal.team:
        lines.append(f"team: {_q(goal.team)}")
    if goal.period:
        lines.append(f"period: {_q(goal.period)}")
    if goal.aligns_to:
        lines.append(f"aligns_to: [{', '.join(goal.aligns_to)}]")
    lines += [
        "status: active",
        "description: |",
        "  Why this matters, in a few sentences of Markdown.",
        "key_results:",
        "  # Numeric: start, target, current. Milestone: done. Control: keep below|above a target.",
        "  - id: first-result",
        "    title: Describe what is measured",
        "    unit: \"%\"",
        "    start: 0",
        "    target: 100",
        "    current: 0",
    ]
    return "\n".join(lines) + "\n"


def check_id(goal_id: str) -> None:
    """Refuse a goal id that is not one, or is not a safe file name everywhere."""
    if not GOAL_ID.match(goal_id) or unsafe_as_file_name(goal_id):
        raise ScaffoldError(
            f"`{goal_id}` is not a goal id: use lowercase letters, digits and hyphens, "
            "starting with a letter or digit, at most 64 characters, and not a name "
            "Windows reserves (con, nul, aux, prn, com1-9, lpt1-9)"
        )


def goal_path(goals_dir: str, goal_id: str, team: str | None, period: str | None) -> str:
    """Where a new goal's file goes: ``<goals_dir>/<team>/<period>/<id>.yaml`` (folders for
    the team and period it has). Every part is checked to be a safe file name first."""
    check_id(goal_id)
    for what, value in (("team", team), ("period", period)):
        if value is not None and not REF.match(value):
            raise ScaffoldError(f"{what} `{value}` is not an id (letters, digits, . _ -)")
    return "/".join(p for p in [goals_dir, team, period, f"{goal_id}.yaml"] if p)


def new_goal(root: Path, goal: NewGoal) -> Path:
    """Write ``goals/<team>/<period>/<id>.yaml`` after checking the id and references."""
    relpath = goal_path("goals", goal.id, goal.team, goal.period)  # checks before loading
    if not REF.match(goal.owner):
        raise ScaffoldError(f"owner `{goal.owner}` is not an id (letters, digits, . _ -)")
    repo = load(root)
    taken = {
        doc.data.get("id"): path
        for path, doc in repo.documents.items()
        if repo.kinds[path] == "goal" and doc.data
    }
    if goal.id in taken:
        raise ScaffoldError(f"goal id `{goal.id}` is already used by {taken[goal.id]}")
    problems = []
    if repo.people is not None and goal.owner not in repo.people:
        problems.append(f"owner `{goal.owner}` is not in people.yaml")
    if goal.team and repo.teams is not None and goal.team not in repo.teams:
        problems.append(f"team `{goal.team}` is not in teams.yaml")
    if goal.period and repo.config.period(goal.period) is None:
        problems.append(f"period `{goal.period}` is not defined in goalsrepo.yaml")
    problems += [f"aligns_to `{p}`: no goal has this id" for p in goal.aligns_to if p not in taken]
    if problems:
        raise ScaffoldError("; ".join(problems))
    relpath = goal_path(repo.config.goals_dir, goal.id, goal.team, goal.period)
    target = root / relpath
    if target.exists():
        raise ScaffoldError(f"{relpath} exists already")
    _write_new(target, goal_text(goal))
    return target
