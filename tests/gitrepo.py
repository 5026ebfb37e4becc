"""Real git repositories for tests, with pinned authors and dates (the pre-commit habit).

Every commit is made by the ``git`` binary in a subprocess, with author and committer name,
e-mail and date pinned in the environment and the user's own git configuration shut out,
so commit ids and dates are the same on every machine.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner, Result

from goalsrepo.cli import cli


@dataclass(frozen=True)
class Who:
    name: str
    email: str


ALICE = Who("Alice Archer", "alice@example.com")
BOB = Who("Bob Baker", "bob@example.com")
CAROL = Who("Carol Cruz", "carol@example.com")
DAN = Who("Dan Dorn", "dan@example.com")
STRANGER = Who("Sam Stranger", "sam@elsewhere.example")

# git reads no ~/.gitconfig or /etc/gitconfig: no signing, hooks or odd defaults leak in.
_ISOLATED = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"}


def git_env(who: Who, date: str, committer_date: str | None = None) -> dict[str, str]:
    return {
        **_ISOLATED,
        "GIT_AUTHOR_NAME": who.name,
        "GIT_AUTHOR_EMAIL": who.email,
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_NAME": who.name,
        "GIT_COMMITTER_EMAIL": who.email,
        "GIT_COMMITTER_DATE": committer_date or date,
    }


def git(cwd: Path, *args: str, who: Who = ALICE, date: str = "2026-10-01T12:00:00+00:00",
        committer_date: str | None = None) -> str:
    """Run ``git ARGS`` in ``cwd`` as ``who`` at ``date``; its stdout, or a failed test."""
    done = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=False,
        env={**os.environ, **git_env(who, date, committer_date)},
    )
    assert done.returncode == 0, f"git {' '.join(args)} failed:\n{done.stderr}"
    return done.stdout


class Repo:
    """A goals repository in a temporary folder, changed and committed step by step."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        git(root, "init", "--quiet", "--initial-branch=main")

    def git(self, *args: str, who: Who = ALICE, date: str = "2026-10-01T12:00:00+00:00",
            committer_date: str | None = None) -> str:
        return git(self.root, *args, who=who, date=date, committer_date=committer_date)

    def write(self, path: str, text: str) -> Path:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target

    def write_yaml(self, path: str, data: Mapping[str, Any]) -> Path:
        return self.write(path, yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True))

    def read_yaml(self, path: str) -> dict[str, Any]:
        return yaml.safe_load((self.root / path).read_text(encoding="utf-8"))  # type: ignore[no-any-return]

    def update(self, path: str, **changes: Any) -> None:
        """Change goal-level fields of the goal file at ``path``."""
        data = self.read_yaml(path)
        data.update(changes)
        self.write_yaml(path, data)

    def update_kr(self, path: str, kr: str, **changes: Any) -> None:
        """Change fields of key result ``kr`` in the goal file at ``path``."""
        data = self.read_yaml(path)
        for item in data["key_results"]:
            if item["id"] == kr:
                item.update(changes)
        self.write_yaml(path, data)

    def mv(self, old: str, new: str) -> None:
        """``git mv OLD NEW``, making NEW's folder first."""
        (self.root / new).parent.mkdir(parents=True, exist_ok=True)
        self.git("mv", "--", old, new)

    def commit(self, message: str, *, who: Who = ALICE,
               date: str = "2026-10-01T12:00:00+00:00", committer_date: str | None = None,
               ) -> str:
        """Stage everything and commit it as ``who`` at ``date``; the new commit's id."""
        self.git("add", "--all", "--", ".")
        self.git("commit", "--quiet", "--no-verify", "--allow-empty", "-m", message,
                 who=who, date=date, committer_date=committer_date)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()


def day(text: str, hour: int = 12) -> str:
    """A pinned git date at ``hour`` UTC on the ISO day ``text``."""
    return f"{text}T{hour:02d}:00:00+00:00"


CONFIG = {
    "title": "Test goals",
    "periods": [{"id": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"}],
    "checkin_days": 14,
}

PEOPLE = {
    "people": [
        {"id": "alice", "name": "Alice Archer", "email": "alice@example.com"},
        {"id": "bob", "name": "Bob Baker", "emails": ["bob@example.com", "bob@home.example"]},
        {"id": "carol", "name": "Carol Cruz", "email": "carol@example.com"},
        {"id": "dan", "name": "Dan Dorn", "email": "dan@example.com"},
    ]
}

TEAMS = {"teams": [{"id": "platform", "name": "Platform"}, {"id": "sales", "name": "Sales"}]}


def goal(goal_id: str, *, owner: str = "alice", key_results: list[dict[str, Any]] | None = None,
         **fields: Any) -> dict[str, Any]:
    """A goal file's data: a specific title, the owner, then ``fields`` and key results."""
    data: dict[str, Any] = {"id": goal_id, "title": f"Goal {goal_id} reaches its target",
                            "owner": owner}
    data.update(fields)
    if key_results is not None:
        data["key_results"] = key_results
    return data


def numeric(kr_id: str, start: float, target: float, current: float | None = None,
            **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"id": kr_id, "title": f"Measure {kr_id}", "unit": "n",
                            "start": start, "target": target}
    if current is not None:
        data["current"] = current
    data.update(fields)
    return data


def new_repo(root: Path, *, people: bool = True, teams: bool = False) -> Repo:
    """A new repository with goalsrepo.yaml (period 2026-Q4) and, optionally, people.yaml."""
    repo = Repo(root)
    repo.write_yaml("goalsrepo.yaml", CONFIG)
    if people:
        repo.write_yaml("people.yaml", PEOPLE)
    if teams:
        repo.write_yaml("teams.yaml", TEAMS)
    return repo


def chain_repo(root: Path, length: int) -> Repo:
    """A repository whose goals form one alignment chain ``length`` goals deep, committed:
    ``c0`` (an organisation goal), ``c1`` aligned to it, and so on. Only the last has a key
    result, half way to its target, so every goal above it rolls up to 0.5. The files are
    written as text: thousands of ``yaml.safe_dump`` calls would be most of a test's time."""
    repo = new_repo(root)
    for i in range(length):
        above = "level: organization" if i == 0 else f"aligns_to: [c{i - 1}]"
        kr = ("\nkey_results:\n  - {id: k, title: Measure k, unit: n, start: 0, target: 10, "
              "current: 5}" if i == length - 1 else "")
        repo.write(f"goals/c{i}.yaml", f"id: c{i}\ntitle: Goal c{i} reaches its target\n"
                   f"owner: alice\nperiod: 2026-Q4\n{above}{kr}\n")
    repo.commit(f"A chain of {length} goals", date=day("2026-11-02"))
    return repo


def run_cli(*args: str) -> Result:
    """``goalsrepo ARGS`` through Click's runner (``stdout`` and ``stderr`` kept apart)."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def cli_json(*args: str) -> Any:
    """Run a command that prints JSON, assert it succeeded, and parse its stdout."""
    result = run_cli(*args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)
