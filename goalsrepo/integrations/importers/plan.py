"""From drafts to files: ids, people, teams, periods and parents resolved against the
repository, each goal rendered as its file, and the repository as it would be checked
before anything is written.

Ids are slugs of titles, so importing the same file again finds the same ids: those goals
are already there and are skipped (rewritten with ``update``). People are matched by
e-mail, then name, then id; teams by id or name; periods by id or name, word order and
case aside (``Q4 2026`` is ``2026-Q4``).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from goalsrepo import validate
from goalsrepo.diagnostics import Severity
from goalsrepo.errors import GoalsrepoError
from goalsrepo.files import edit, loader
from goalsrepo.files.config import CONFIG_FILE, PEOPLE_FILE, TEAMS_FILE, Person, Team
from goalsrepo.files.goalfile import render_goal
from goalsrepo.files.repository import Repository, with_files
from goalsrepo.integrations.importers.records import Draft, Dropped, Read, ReadError, Where, Who
from goalsrepo.integrations.importers.values import slug, unique
from goalsrepo.numbers import alignment
from goalsrepo.scaffold import GOAL_ID, REF, goal_path
from goalsrepo.validate import unsafe_as_file_name

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


@dataclass(frozen=True)
class Options:
    """What the command line adds to the data: defaults and permissions."""

    period: str | None = None
    team: str | None = None
    owner: str | None = None
    update: bool = False
    new_people: bool = True


@dataclass(frozen=True)
class Planned:
    id: str
    path: str
    key_results: int
    milestones: int
    replaces: bool


@dataclass(frozen=True)
class Plan:
    """What an import writes: goal files, people.yaml and teams.yaml as whole texts."""

    goals: tuple[Planned, ...]
    skipped: tuple[str, ...]
    people_added: tuple[str, ...]
    teams_added: tuple[str, ...]
    dropped: tuple[Dropped, ...]
    files: dict[str, str]


def make_plan(repo: Repository, read: Read, options: Options) -> Plan:
    """Resolve every draft; :class:`ReadError` lists everything that stops the import."""
    _check_options(repo, options)
    problems: list[tuple[Where, str]] = []
    dropped = list(read.dropped)
    existing = _existing_ids(repo)
    people = _Directory(repo, "people", options.new_people)
    teams = _Directory(repo, "teams", True)
    periods = {_period_key(p.id): p.id for p in repo.config.periods}
    periods.update({_period_key(p.name): p.id for p in repo.config.periods if p.name})

    chosen: list[tuple[Draft, str, bool]] = []
    skipped: list[str] = []
    taken: set[str] = set()
    titles: dict[str, str] = {}
    for draft in read.drafts:
        base = draft.id if draft.id is not None else slug(draft.title)
        if draft.id is not None and (not GOAL_ID.fullmatch(draft.id)
                                     or unsafe_as_file_name(draft.id)):
            problems.append((draft.where, f"`{draft.id}` is not a goal id (lowercase letters, "
                                          "digits, hyphens)"))
            continue
        goal_id = unique(base, taken)
        titles.setdefault(draft.title.casefold(), goal_id)
        if goal_id in existing and not options.update:
            skipped.append(goal_id)
            continue
        chosen.append((draft, goal_id, goal_id in existing))
    for goal in repo.goals:
        titles.setdefault(goal.title.casefold(), goal.id)

    datas: list[tuple[Draft, dict[str, Any], str]] = []
    inside: dict[str, bool] = {}
    for draft, goal_id, replaces in chosen:
        data = _goal_data(draft, goal_id, options, people, teams, periods, problems)
        if data is None:
            continue
        data["aligns_to"] = _parents(draft, goal_id, titles, existing, taken, dropped)
        path = existing[goal_id] if replaces else _new_path(repo, data, draft, problems, inside)
        datas.append((draft, data, path))
    problems += people.problems
    if problems:
        raise ReadError(problems)
    _break_cycles(repo, datas, dropped)

    files: dict[str, str] = {}
    planned = []
    for draft, data, path in datas:
        if not data["aligns_to"]:
            del data["aligns_to"]
        text = render_goal(data)
        if len(text.encode("utf-8")) > loader.MAX_BYTES:
            problems.append((draft.where, f"goal `{data['id']}` would be a file of more than "
                                          f"{loader.MAX_BYTES // 2**20} MiB"))
        files[path] = text
        planned.append(Planned(data["id"], path, len(data.get("key_results", ())),
                               len(data.get("milestones", ())), data["id"] in existing))
    for directory in (people, teams):
        if directory.added and directory.tracked:
            files[directory.file] = directory.text()
    if problems:
        raise ReadError(problems)
    _check_result(repo, files)
    return Plan(tuple(planned), tuple(skipped), tuple(people.added_ids),
                tuple(teams.added_ids), tuple(dropped), files)


def _check_options(repo: Repository, options: Options) -> None:
    if options.period is not None and repo.config.period(options.period) is None:
        known = ", ".join(p.id for p in repo.config.periods) or "none"
        raise GoalsrepoError(f"--period {options.period}: not a period of {CONFIG_FILE} "
                             f"(known: {known}); add it there with its dates first")
    for flag, value in (("--team", options.team), ("--owner", options.owner)):
        if value is not None and not REF.fullmatch(value):
            raise GoalsrepoError(f"{flag} {value}: not an id (letters, digits, . _ -)")
    if options.owner is not None and repo.people is not None \
            and options.owner not in repo.people:
        raise GoalsrepoError(f"--owner {options.owner}: not a person of {PEOPLE_FILE}")


def _existing_ids(repo: Repository) -> dict[str, str]:
    """Goal id -> file, for every goal file that names an id, valid or not."""
    found = {g.id: g.path for g in repo.goals}
    for path in repo.goal_files:
        data = repo.data_of(path)
        if isinstance(data, dict) and isinstance(data.get("id"), str):
            found.setdefault(data["id"], path)
    return found


def _period_key(name: str) -> str:
    return " ".join(sorted(re.findall(r"[0-9a-z]+", name.casefold())))


def _goal_data(draft: Draft, goal_id: str, options: Options, people: _Directory,
               teams: _Directory, periods: dict[str, str],
               problems: list[tuple[Where, str]]) -> dict[str, Any] | None:
    owner_who = draft.owner or (Who(id=options.owner) if options.owner else None)
    if owner_who is None:
        problems.append((draft.where, f"goal `{draft.title}` has no owner: give one in the "
                                      "file or pass --owner"))
        return None
    owner = people.resolve(owner_who, owner_who.where or draft.where)
    data: dict[str, Any] = {"id": goal_id, "title": draft.title}
    data["level"] = draft.data.get("level", "team")
    data["owner"] = owner
    team = teams.resolve(draft.team, draft.where) if draft.team else (
        next((t for t in map(teams.match, draft.team_hints) if t), None)
        or (teams.resolve(Who(id=options.team), draft.where) if options.team else None))
    if team:
        data["team"] = team
    contributors = [people.resolve(w, w.where or draft.where) for w in draft.contributors]
    contributors = list(dict.fromkeys(contributors))
    if contributors:
        data["contributors"] = contributors
    period = None
    if draft.period:
        period = periods.get(_period_key(draft.period))
        if period is None:
            problems.append((draft.where, f"period `{draft.period}` is not a period of "
                                          f"{CONFIG_FILE}; add it there with its dates, or "
                                          "map the column to nothing"))
    else:
        period = next((periods[k] for k in map(_period_key, draft.period_hints)
                       if k in periods), None) or options.period
    if period:
        data["period"] = period
    for key in ("start", "due", "status", "superseded_by", "continues", "description"):
        if key in draft.data:
            data[key] = draft.data[key]
    data["aligns_to"] = []
    if draft.key_results:
        data["key_results"] = _key_result_ids(draft.key_results)
    if draft.milestones:
        data["milestones"] = [
            {**item, "owner": people.resolve(who, who.where or draft.where)} if who else item
            for item, who in draft.milestones]
    if "links" in draft.data:
        data["links"] = draft.data["links"]
    return data


def _key_result_ids(key_results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    taken: set[str] = set()
    out = []
    for kr in key_results:
        given = kr.get("id")
        kr_id = unique(given if given else slug(kr["title"], fallback="kr"), taken)
        out.append({"id": kr_id, **{k: v for k, v in kr.items() if k != "id"}})
    return out


def _parents(draft: Draft, goal_id: str, titles: dict[str, str], existing: dict[str, str],
             taken: set[str], dropped: list[Dropped]) -> list[str]:
    out: list[str] = []
    for ref in draft.aligns_to:
        parent = ref if ref in taken or ref in existing else titles.get(ref.casefold())
        if parent is None or parent == goal_id:
            why = "the goal itself" if parent == goal_id else "no goal has this title or id"
            dropped.append(Dropped(draft.where.row, "aligns_to", ref, why))
        elif parent not in out:
            out.append(parent)
    return out


def _new_path(repo: Repository, data: dict[str, Any], draft: Draft,
              problems: list[tuple[Where, str]], inside: dict[str, bool]) -> str:
    """``goals/<team>/<period>/<id>.yaml``, refused when a folder on the way is a link that
    leads out of the goals folder (``inside`` remembers each folder's verdict)."""
    path = goal_path(repo.config.goals_dir, data["id"], data.get("team"), data.get("period"))
    folder = path.rpartition("/")[0]
    if folder not in inside:
        goals = (repo.root / repo.config.goals_dir).resolve()
        inside[folder] = (repo.root / folder).resolve().is_relative_to(goals) and \
            goals.is_relative_to(repo.root.resolve())
    if not inside[folder]:
        problems.append((draft.where, f"{path} would be outside the goals folder"))
    elif path in repo.kinds or Path(repo.root, path).exists():
        problems.append((draft.where, f"{path} exists already and holds another goal"))
    return path


def _break_cycles(repo: Repository, datas: list[tuple[Draft, dict[str, Any], str]],
                  dropped: list[Dropped]) -> None:
    """Drop the imported parent links that would close an alignment cycle."""
    ours = {data["id"]: (draft, data) for draft, data, _ in datas}
    while True:
        edges = {g.id: list(g.aligns_to) for g in repo.goals if g.id not in ours}
        edges.update({goal_id: data["aligns_to"] for goal_id, (_, data) in ours.items()})
        cycles = alignment.find_cycles(edges)
        if not cycles:
            return
        cycle = cycles[0]
        for child, parent in itertools.pairwise(cycle):
            if child in ours:
                draft, data = ours[child]
                data["aligns_to"].remove(parent)
                dropped.append(Dropped(draft.where.row, "aligns_to", parent,
                                       "would close the alignment cycle "
                                       + " -> ".join(cycle)))
                break
        else:
            return  # the cycle is the repository's own: validate reports it


def _check_result(repo: Repository, files: dict[str, str]) -> None:
    """Refuse to write anything that would not validate (a bug, if it ever happens)."""
    before = {(d.file, d.code, d.message) for d in (*repo.diagnostics,
                                                      *validate.check(repo))}
    after = with_files(repo, files)
    new = [d for d in (*after.diagnostics, *validate.check(after))
           if d.severity is Severity.ERROR and (d.file, d.code, d.message) not in before]
    if new:
        shown = "; ".join(f"{d.file}: {d.message} [{d.code}]" for d in new[:5])
        raise GoalsrepoError(f"the imported goals would not validate, so nothing was "
                             f"written: {shown}")


class _Directory:
    """people.yaml or teams.yaml: who is there, and the entries an import adds.

    A missing file is written only when the repository has no goal yet: creating it
    later would make every existing goal's owner or team an unresolved reference.
    """

    def __init__(self, repo: Repository, kind: str, may_add: bool) -> None:
        self.kind = kind
        self.file = PEOPLE_FILE if kind == "people" else TEAMS_FILE
        self.path = repo.root / self.file
        known: dict[str, Person] | dict[str, Team] | None = (
            repo.people if kind == "people" else repo.teams)
        self.tracked = known is not None or not repo.goal_files
        self.may_add = may_add
        self.ids: set[str] = set(known or {})
        self.by_email: dict[str, str] = {}
        self.by_name: dict[str, str] = {}
        for entry in (known or {}).values():
            self.by_name.setdefault(entry.name.casefold(), entry.id)
            for email in getattr(entry, "emails", ()):
                self.by_email.setdefault(email.lower(), entry.id)
        self.added: list[dict[str, str]] = []
        self.problems: list[tuple[Where, str]] = []

    @property
    def added_ids(self) -> list[str]:
        return [entry["id"] for entry in self.added]

    def match(self, name: str) -> str | None:
        """The id of a known entry with this id or name; None otherwise."""
        if name in self.ids:
            return name
        return self.by_name.get(name.casefold())

    def resolve(self, who: Who, where: Where) -> str:
        """The id for ``who``: a known entry's, or a new entry's (recorded to add)."""
        if who.email and who.email.lower() in self.by_email:
            return self.by_email[who.email.lower()]
        for name in (who.id, who.name):
            if name and (found := self.match(name)):
                return found
        label = who.id or who.name or (who.email or "").split("@")[0]
        base = who.id if who.id and REF.fullmatch(who.id) else slug(
            label, fallback="person" if self.kind == "people" else "team")
        new_id = unique(base, self.ids)
        entry = {"id": new_id, "name": who.name or label or new_id}
        if who.email and _EMAIL.fullmatch(who.email):
            entry["email"] = who.email
            self.by_email[who.email.lower()] = new_id
        self.by_name.setdefault(entry["name"].casefold(), new_id)
        if self.tracked:
            if not self.may_add:
                self.problems.append((where, f"{who.name or who.email or who.id} is not in "
                                             f"{self.file} (--no-new-people)"))
            self.added.append(entry)
        return new_id

    def text(self) -> str:
        before = self.path.read_text("utf-8") if self.path.exists() else ""
        try:
            return edit.append_items(before, self.kind, list(self.added))  # type: ignore[arg-type]
        except edit.EditError as exc:
            raise GoalsrepoError(f"{self.file}: cannot add {', '.join(self.added_ids)}: "
                                 f"{exc}") from None
