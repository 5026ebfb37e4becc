"""A goals repository on disk, loaded: every file parsed and schema-checked once.

:func:`load` is the first step of every command. It reads all files even when some are
broken, so one run reports every problem (the check-jsonschema habit), and keeps the
documents so later steps can point at lines.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goalsrepo import loader, schema
from goalsrepo.config import CONFIG_FILE, PEOPLE_FILE, TEAMS_FILE, Config, Person, Team
from goalsrepo.diagnostics import Diagnostic
from goalsrepo.loader import Document
from goalsrepo.model import Goal


@dataclass
class Repository:
    """Everything read from one goals repository.

    ``goals`` holds the goals whose files are valid (their paths are in ``valid``);
    ``documents`` holds every file read, valid or not. ``people``/``teams`` are None when
    their file does not exist (then references to people or teams are not checked, SPEC §1).
    """

    root: Path
    config: Config
    documents: dict[str, Document] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    people: dict[str, Person] | None = None
    teams: dict[str, Team] | None = None
    goals: list[Goal] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    valid: set[str] = field(default_factory=set)

    @property
    def goal_files(self) -> list[str]:
        return [p for p, k in self.kinds.items() if k == "goal"]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while loading.

    Loading makes hundreds of thousands of small objects that all stay alive, so each
    collection rescans a growing heap for cycles that are not there; at 10,000 files that
    tripled the run time. Reference counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load(root: Path) -> Repository:
    """Read, parse and schema-check every file of the goals repository at ``root``."""
    with _collector_paused():
        return _load(root)


def _load(root: Path) -> Repository:
    repo = Repository(root=root, config=Config())
    config_data = _read(repo, CONFIG_FILE, "config")
    if config_data is not None:
        repo.config = Config.from_data(config_data)
    elif (doc := repo.documents.get(CONFIG_FILE)) and doc.data:
        # An invalid config still names its goals folder, so the goals get checked too.
        goals_dir = doc.data.get("goals_dir")
        if isinstance(goals_dir, str) and goals_dir.strip("/"):
            repo.config = Config(goals_dir=goals_dir.rstrip("/"))
    people = _read(repo, PEOPLE_FILE, "people")
    if PEOPLE_FILE in repo.documents:
        repo.people = {}
        for item in (people or {}).get("people", []):
            repo.people.setdefault(item["id"], Person.from_data(item))
    teams = _read(repo, TEAMS_FILE, "teams")
    if TEAMS_FILE in repo.documents:
        repo.teams = {}
        for item in (teams or {}).get("teams", []):
            repo.teams.setdefault(item["id"], Team.from_data(item))
    if (root / repo.config.goals_dir).is_dir():
        paths = loader.find_goal_files(root, repo.config.goals_dir)
        for doc in loader.read_all(root, paths):
            data = _check(repo, doc, "goal")
            if data is not None:
                repo.goals.append(Goal.from_data(data, doc.path))
    return repo


def _read(repo: Repository, path: str, kind: str) -> dict[str, Any] | None:
    if not (repo.root / path).exists():
        return None
    return _check(repo, loader.read(repo.root, path), kind)


def _check(repo: Repository, doc: Document, kind: str) -> dict[str, Any] | None:
    """Record a document and its diagnostics; its data when it passed its schema."""
    path = doc.path
    repo.documents[path] = doc
    repo.kinds[path] = kind
    repo.diagnostics.extend(doc.diagnostics)
    problems = schema.check(doc, kind)
    repo.diagnostics.extend(problems)
    if doc.data is None or problems or doc.flagged:
        return None
    repo.valid.add(path)
    return doc.data
