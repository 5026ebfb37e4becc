"""A goals repository on disk, loaded: every file parsed and schema-checked once.

:func:`load` is the first step of every command. It reads all files even when some are
broken, so one run reports every problem (the check-jsonschema habit), and keeps the
documents so later steps can point at lines.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import msgspec
from msgspec import field

from goalsrepo.diagnostics import Diagnostic
from goalsrepo.files import loader, schema
from goalsrepo.files.config import CONFIG_FILE, PEOPLE_FILE, TEAMS_FILE, Config, Person, Team
from goalsrepo.files.loader import Document
from goalsrepo.files.model import Goal
from goalsrepo.gitlog import git
from goalsrepo.gitlog.cache import FileCache


class Repository(msgspec.Struct):
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
    # Data of files taken from the parsed-file cache, which keeps no document.
    cached: dict[str, Any] = field(default_factory=dict)
    # Goal file -> its stat signature, when loaded with the cache and settled (see
    # FileCache.settled): a file with the same signature later has the same content.
    signatures: dict[str, tuple[int, ...]] = field(default_factory=dict)

    @property
    def goal_files(self) -> list[str]:
        return [p for p, k in self.kinds.items() if k == "goal"]

    def data_of(self, path: str) -> Any:
        """A file's data, parsed now or taken from the cache (None when unreadable)."""
        doc = self.documents.get(path)
        return doc.data if doc is not None else self.cached.get(path)

    def locate(self, file: str, path: tuple[str | int, ...], *, key: bool = False,
               ) -> tuple[int | None, int | None]:
        """Line and column of a value; none for a file taken from the cache, whose
        positions were not kept (a build then loads again to report errors)."""
        doc = self.documents.get(file)
        return doc.locate(path, key=key) if doc is not None else (None, None)

    @property
    def complete(self) -> bool:
        """Every file was read and passed its schema (nothing hides in the cache)."""
        return not self.diagnostics and set(self.kinds) <= self.valid

    def people_by_email(self) -> dict[str, str]:
        """Lower-cased e-mail -> person id: how git authors become people (SPEC §3)."""
        return {email.lower(): person.id for person in (self.people or {}).values()
                for email in person.emails}

    def names(self) -> dict[str, str]:
        """Person id -> display name."""
        return {person.id: person.name for person in (self.people or {}).values()}


class WorkTree:
    """Files as they are on disk: what ``validate``, ``status`` and ``build`` show, so an
    uncommitted check-in shows at once (SPEC §3)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def exists(self, path: str) -> bool:
        # lexists: a dangling link is there to report (GR014), not silently absent.
        return os.path.lexists(self.root / path)

    def goal_files(self, goals_dir: str) -> list[str]:
        if not (self.root / goals_dir).is_dir():
            return []
        return loader.find_goal_files(self.root, goals_dir)

    def read_all(self, paths: list[str]) -> list[Document]:
        return loader.read_all(self.root, paths)


TOP_FILES = (CONFIG_FILE, PEOPLE_FILE, TEAMS_FILE)


class CommitTree:
    """Files as a commit holds them, for ``--as-of`` time travel."""

    def __init__(self, root: Path, commit: str) -> None:
        self.root = root
        self.files = dict(git.tree_files(root, commit))
        # load asks for goalsrepo.yaml, people.yaml and teams.yaml one at a time: one
        # ``cat-file`` reads the three, the goal files take a second.
        self.top = dict(git.read_blobs(root, [self.files[name] for name in TOP_FILES
                                              if name in self.files]))

    def exists(self, path: str) -> bool:
        return path in self.files

    def goal_files(self, goals_dir: str) -> list[str]:
        prefix = goals_dir.rstrip("/") + "/"
        return sorted(
            p for p in self.files
            if p.startswith(prefix) and p.endswith((".yaml", ".yml"))
            and not any(part.startswith(".") for part in p[len(prefix):].split("/"))
        )

    def read_all(self, paths: list[str]) -> list[Document]:
        blobs = dict(self.top)
        blobs.update(git.read_blobs(self.root, [self.files[p] for p in paths
                                                if self.files[p] not in blobs]))
        return [loader.decode_and_parse(blobs[self.files[p]] or b"", p) for p in paths]


Source = WorkTree | CommitTree


def load(root: Path, commit: str | None = None, *,
         reuse: FileCache | None = None) -> Repository:
    """Read, parse and schema-check every file of the goals repository at ``root``: the
    work tree, or the tree of ``commit``.

    With ``reuse`` (a cache of the work tree's parsed goal files), unchanged goal files are
    not parsed again; their documents are then not kept, so ``validate``, which reports
    positions, loads without it.
    """
    source: Source = WorkTree(root) if commit is None else CommitTree(root, commit)
    with loader.collector_paused():
        return _load(root, source, reuse)


def read_config(root: Path) -> Config:
    """goalsrepo.yaml alone, with defaults when it is missing or invalid."""
    repo = Repository(root=root, config=Config())
    data = _read(repo, WorkTree(root), CONFIG_FILE, "config")
    return Config.from_data(data) if data is not None else Config()


def _load(root: Path, source: Source, reuse: FileCache | None = None) -> Repository:
    repo = Repository(root=root, config=Config())
    config_data = _read(repo, source, CONFIG_FILE, "config", reuse)
    if config_data is not None:
        repo.config = Config.from_data(config_data)
    elif (doc := repo.documents.get(CONFIG_FILE)) and doc.data:
        # An invalid config still names its goals folder, so the goals get checked too.
        goals_dir = doc.data.get("goals_dir")
        if isinstance(goals_dir, str) and goals_dir.strip("/"):
            repo.config = Config(goals_dir=goals_dir.rstrip("/"))
    people = _read(repo, source, PEOPLE_FILE, "people", reuse)
    if PEOPLE_FILE in repo.kinds:
        repo.people = {}
        for item in (people or {}).get("people", []):
            repo.people.setdefault(item["id"], Person.from_data(item))
    teams = _read(repo, source, TEAMS_FILE, "teams", reuse)
    if TEAMS_FILE in repo.kinds:
        repo.teams = {}
        for item in (teams or {}).get("teams", []):
            repo.teams.setdefault(item["id"], Team.from_data(item))
    if reuse is None or not isinstance(source, WorkTree):
        paths = source.goal_files(repo.config.goals_dir)
    else:
        paths = reuse.goal_files(root, repo.config.goals_dir)
    if reuse is None:
        for doc in source.read_all(paths):
            data = _check(repo, doc, "goal")
            if data is not None:
                repo.goals.append(Goal.from_data(data, doc.path))
        return repo
    base = str(root)
    # Relative paths from the listing: an f-string joins them in three quarters of the time
    # of os.path.join, which counts at 10,000 files.
    signatures = {p: reuse.signature(f"{base}/{p}") for p in paths}
    found: dict[str, Goal | None] = {}
    for path in paths:
        hit, goal = reuse.get(path, signatures[path])
        if hit:
            found[path] = goal
    unread = [p for p in paths if p not in found]
    # A batch at a time (large enough for read_all's workers), so that the documents of
    # 10,000 goals are never all alive at once.
    batches = (unread[i:i + READ_BATCH] for i in range(0, len(unread), READ_BATCH))
    for doc in (doc for batch in batches for doc in source.read_all(batch)):
        data = _check(repo, doc, "goal")
        found[doc.path] = None if data is None else Goal.from_data(data, doc.path)
        reuse.put(doc.path, signatures[doc.path], found[doc.path])
        if data is not None and not doc.diagnostics:
            # As if taken from the cache: a valid file's document (its positions are most
            # of the memory of 10,000 goals) serves only to report problems it has none of.
            del repo.documents[doc.path]
    reuse.save({*paths, CONFIG_FILE, PEOPLE_FILE, TEAMS_FILE})
    repo.signatures = {p: sig for p, sig in signatures.items()
                       if sig is not None and reuse.settled(sig)}
    for path in paths:
        repo.kinds[path] = "goal"
        if (goal := found[path]) is not None:
            repo.valid.add(path)
            repo.goals.append(goal)
    return repo


READ_BATCH = 4000


def _read(repo: Repository, source: Source, path: str, kind: str,
          reuse: FileCache | None = None) -> dict[str, Any] | None:
    if not source.exists(path):
        return None
    signature = reuse.signature(os.path.join(str(repo.root), path)) if reuse else None
    if reuse is not None:
        hit, data = reuse.get(path, signature)
        if hit:
            repo.kinds[path] = kind
            repo.cached[path] = data
            if data is not None:
                repo.valid.add(path)
            return data  # type: ignore[no-any-return]
    (doc,) = source.read_all([path])
    data = _check(repo, doc, kind)
    if reuse is not None:
        reuse.put(path, signature, data)
    return data


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


def with_files(repo: Repository, files: dict[str, str]) -> Repository:
    """The repository as it would be with ``files`` (path -> text) written, in memory:
    what a command that writes many files checks before writing any (``import``).

    Goal files and people.yaml/teams.yaml are parsed and schema-checked as :func:`load`
    does; ``repo`` itself is left as it was.
    """
    after = Repository(
        root=repo.root, config=repo.config, documents=dict(repo.documents),
        kinds=dict(repo.kinds), people=repo.people, teams=repo.teams,
        goals=[g for g in repo.goals if g.path not in files],
        diagnostics=[d for d in repo.diagnostics if d.file not in files],
        valid=repo.valid - set(files), cached=dict(repo.cached))
    for path, text in files.items():
        kind = {PEOPLE_FILE: "people", TEAMS_FILE: "teams"}.get(path, "goal")
        data = _check(after, loader.parse(text, path, positions=False), kind)
        if kind == "people":
            after.people = {p["id"]: Person.from_data(p) for p in (data or {}).get("people", [])}
        elif kind == "teams":
            after.teams = {t["id"]: Team.from_data(t) for t in (data or {}).get("teams", [])}
        elif data is not None:
            after.goals.append(Goal.from_data(data, path))
    return after
