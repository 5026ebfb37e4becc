"""``validate``: schema, meaning and the SMART lint over a whole goals repository (SPEC §4).

A pipeline of plain steps: load every file (parse + schema, in :mod:`repository`), check
what no schema can see (uniqueness, references, cycles, dates, targets), then lint. Each
step returns diagnostics; nothing stops at the first problem.
"""

from __future__ import annotations

import re
import unicodedata
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import msgspec

from goalsrepo import lint, workspace
from goalsrepo.diagnostics import Diagnostic, Severity, make
from goalsrepo.files.config import (
    CONFIG_FILE,
    PEOPLE_FILE,
    POINTER,
    READS,
    TEAMS_FILE,
    Person,
    Reading,
    Team,
    missing,
)
from goalsrepo.files.loader import PathT
from goalsrepo.files.repository import Repository, load
from goalsrepo.gitlog import git, history
from goalsrepo.gitlog.events import Activity
from goalsrepo.integrations import forge
from goalsrepo.numbers import alignment, progress
from goalsrepo.numbers.state import day_of
from goalsrepo.workspace import Workspace


class ValidationResult(msgspec.Struct, frozen=True):
    """What ``validate`` found. ``files`` counts the files checked."""

    files: int
    diagnostics: tuple[Diagnostic, ...]

    @property
    def errors(self) -> int:
        return sum(d.severity is Severity.ERROR for d in self.diagnostics)

    @property
    def warnings(self) -> int:
        return sum(d.severity is Severity.WARNING for d in self.diagnostics)

    def ok(self, strict: bool = False) -> bool:
        """No errors; with ``strict`` (the MkDocs habit) no warnings either."""
        return self.errors == 0 and (not strict or self.warnings == 0)


def validate(where: Path | Workspace, paths: Sequence[str] = ()) -> ValidationResult:
    """Validate the goals repository at ``where`` (a folder, or one opened already).

    ``paths`` (relative to root, files or folders) restrict which files are *reported*;
    every file is still read, so references into other files resolve.
    """
    ws = workspace.of(where)
    repo = load(ws.root)
    found = [*repo.diagnostics, *check(repo), *lint.lint(repo), *history_lint(repo, ws)]
    ignored = repo.config.lint.ignore
    found = [d for d in found if not (d.severity is Severity.WARNING and d.code in ignored)]
    files = list(repo.documents)
    if paths:
        wanted = [p.strip("/") for p in paths]
        keep = [f for f in files if _selected(f, wanted)]
        found = [d for d in found if d.file is None or _selected(d.file, wanted)]
        files = keep
    return ValidationResult(len(files), tuple(sorted(found, key=Diagnostic.sort_key)))


def history_lint(repo: Repository, ws: Workspace) -> list[Diagnostic]:
    """Warnings that need the git history: stale and past-due goals, and achieved goals
    whose key results say otherwise. Skipped, with one note, without full history."""
    root = repo.root
    if not git.in_repository(root):
        return [make("GR901", "not a git repository: checks that need history are skipped")]
    head = ws.head
    if head is None:
        return []
    if ws.shallow:
        return [make("GR902", "shallow clone: checks that need history are skipped "
                              "(fetch the full history, e.g. `fetch-depth: 0` in Actions)")]
    zone = repo.config.zone
    today = day_of(head.date, repo.config)
    # Staleness looks back checkin_days from T: the commits of that window (and a day
    # either side for time zones) say all it needs, at a fraction of the whole history.
    window = datetime.combine(today - timedelta(days=repo.config.checkin_days + 2),
                              datetime.min.time(), zone)
    recent = history.read_recent(ws, repo.config.goals_dir, window)
    # A committed goal with no creation or check-in in the window was last touched before
    # it; a goal not committed yet has no history at all and is not stale.
    committed = set(git.tracked_files(root, repo.config.goals_dir))
    long_ago = Activity(created=datetime.min.replace(tzinfo=zone))
    activity = {g.id: long_ago for g in repo.goals if g.path in committed}
    activity.update(_within(recent.activity, window))
    out = []
    for status in progress.compute(repo.goals, repo.config, activity, today):
        goal = status.goal

        def warn(path: PathT, code: str, message: str, file: str = goal.path) -> Diagnostic:
            line, column = repo.locate(file, path)
            return make(code, message, file, line, column)

        if status.stale:
            # Only the window was read: a check-in before it is known to be too old, not
            # to be absent (run `goalsrepo history GOAL` for the date).
            days = repo.config.checkin_days
            since = status.last_checkin
            what = (f"last check-in {since}, more than {days} days before {today}" if since
                    else f"no check-in in the {days} days before {today}")
            out.append(warn(("id",), "GR301", f"stale: {what}"))
        if goal.status == "active" and status.due is not None and today > status.due:
            out.append(warn(("due",) if goal.due else ("period",), "GR302",
                            f"active but past due ({status.due}): mark it achieved or missed, "
                            "or move the date with a reason"))
        if goal.status == "achieved" and status.progress < 1:
            out.append(warn(("status",), "GR303",
                            f"achieved, but its progress is {round(status.progress * 100)}%"))
    return out


def _within(found: Mapping[str, Activity], since: datetime) -> dict[str, Activity]:
    """Activity as a replay of the commits since ``since`` alone gives it: a cache at
    HEAD knows the whole history, and a warm run must say what a cold one says (issue
    12), which knows that an older creation or check-in was before the window, not when,
    nor of which goal id."""
    out = {}
    for goal, seen in found.items():
        created = seen.created if seen.created and seen.created >= since else None
        last = seen.last_checkin if seen.last_checkin and seen.last_checkin >= since else None
        if created or last:
            out[goal] = Activity(created, last)
    return out


def _selected(file: str, wanted: Iterable[str]) -> bool:
    return any(w in ("", ".") or file == w or file.startswith(w + "/") for w in wanted)


def check(repo: Repository) -> list[Diagnostic]:
    """The checks of SPEC §4 that need more than one value at a time."""
    return [
        *_check_config(repo),
        *_check_directory(repo),
        *_check_goals(repo),
        *_check_sources(repo),
    ]


def _at(repo: Repository, file: str, path: PathT, code: str, message: str, *,
        key: bool = False) -> Diagnostic:
    line, column = repo.locate(file, path, key=key)
    return make(code, message, file, line, column)


WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"{d}{i}" for d in ("com", "lpt") for i in range(1, 10)}
)


def unsafe_as_file_name(value: str) -> bool:
    """Whether an id cannot be a file name everywhere (Windows devices, a trailing dot)."""
    return value.split(".")[0].lower() in WINDOWS_RESERVED or value.endswith(".")


def _fold(value: str) -> str:
    """Ids that differ only in case or Unicode form collide on many file systems."""
    return unicodedata.normalize("NFC", value).casefold()


def _unique(repo: Repository, file: str, items: Sequence[tuple[str, PathT]], what: str,
            code: str) -> Iterator[Diagnostic]:
    """Duplicate and unsafe ids among ``(id, path)`` pairs of one file."""
    first: dict[str, str] = {}
    for value, path in items:
        if unsafe_as_file_name(value):
            yield _at(repo, file, path, "GR113", f"{what} id `{value}` is not a safe file name")
        folded = _fold(value)
        if folded in first:
            yield _at(repo, file, path, code,
                      f"{what} id `{value}` is used twice (also `{first[folded]}`)")
        else:
            first[folded] = value


def _check_config(repo: Repository) -> Iterator[Diagnostic]:
    if CONFIG_FILE not in repo.valid:
        goals_dir = repo.config.goals_dir
        if not (repo.root / goals_dir).is_dir():
            yield make("GR134", f"no goals folder `{goals_dir}/` (run `goalsrepo init`)",
                       CONFIG_FILE if CONFIG_FILE in repo.documents else None)
        elif _leads_outside(repo.root, goals_dir):
            yield make("GR134", _OUTSIDE.format(goals_dir),
                       CONFIG_FILE if CONFIG_FILE in repo.documents else None)
        return
    config = repo.config
    periods = [(p.id, ("periods", i, "id")) for i, p in enumerate(config.periods)]
    yield from _unique(repo, CONFIG_FILE, periods, "period", "GR112")
    for i, period in enumerate(config.periods):
        if period.end < period.start:
            yield _at(repo, CONFIG_FILE, ("periods", i, "end"), "GR130",
                      f"period `{period.id}` ends ({period.end}) before it starts ({period.start})")
    try:
        import zoneinfo

        zoneinfo.ZoneInfo(config.timezone)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        yield _at(repo, CONFIG_FILE, ("timezone",), "GR133",
                  f"unknown time zone `{config.timezone}`")
    if config.repo_url and forge.Forge.of(config.repo_url, config.forge) is None:
        why = ("is not a plain http(s) URL without credentials"
               if forge.base_url(config.repo_url) is None else
               "is on a host whose forge goalsrepo cannot tell")
        yield _at(repo, CONFIG_FILE, ("repo_url",), "GR401",
                  f"`repo_url` {why}: the site makes no Edit, History or Check in links")
    if not (repo.root / config.goals_dir).is_dir():
        yield _at(repo, CONFIG_FILE, ("goals_dir",), "GR134",
                  f"the goals folder `{config.goals_dir}/` does not exist")
    elif _leads_outside(repo.root, config.goals_dir):
        yield _at(repo, CONFIG_FILE, ("goals_dir",), "GR134", _OUTSIDE.format(config.goals_dir))


_OUTSIDE = "the goals folder `{}/` leads outside the repository (a link or `..`): not read"


def _leads_outside(root: Path, goals_dir: str) -> bool:
    """The loader reads nothing there (a pull request must not make CI read elsewhere)."""
    return not (root / goals_dir).resolve().is_relative_to(root.resolve())


def _directory(repo: Repository) -> tuple[dict[str, Person] | None, dict[str, Team] | None]:
    """People and teams to resolve references against: None for a file that is absent, and
    for one with errors of its own, which are reported once; resolving against what little
    could be read of it would make every owner and team of the repository "unknown"."""
    people = repo.people if PEOPLE_FILE in repo.valid else None
    teams = repo.teams if TEAMS_FILE in repo.valid else None
    return people, teams


def _check_directory(repo: Repository) -> Iterator[Diagnostic]:
    """people.yaml and teams.yaml: unique ids, references, the team hierarchy."""
    people, teams = _directory(repo)
    if PEOPLE_FILE in repo.valid and repo.people is not None:
        data = repo.data_of(PEOPLE_FILE) or {}
        items = data.get("people", [])
        yield from _unique(repo, PEOPLE_FILE,
                           [(p["id"], ("people", i, "id")) for i, p in enumerate(items)],
                           "person", "GR112")
        owner_of: dict[str, str] = {}
        for i, item in enumerate(items):
            emails = ([item["email"]] if "email" in item else []) + item.get("emails", [])
            for email in emails:
                other = owner_of.setdefault(email.lower(), item["id"])
                if other != item["id"]:
                    yield _at(repo, PEOPLE_FILE, ("people", i), "GR112",
                              f"e-mail {email} belongs to both `{other}` and `{item['id']}`")
            for key in ("manager", "partner"):
                if key in item and item[key] not in repo.people:
                    yield _at(repo, PEOPLE_FILE, ("people", i, key), "GR120",
                              f"{key} `{item[key]}` is not in {PEOPLE_FILE}")
            if "team" in item and teams is not None and item["team"] not in teams:
                yield _at(repo, PEOPLE_FILE, ("people", i, "team"), "GR120",
                          f"team `{item['team']}` is not in {TEAMS_FILE}")
    if TEAMS_FILE in repo.valid and repo.teams is not None:
        items = (repo.data_of(TEAMS_FILE) or {}).get("teams", [])
        yield from _unique(repo, TEAMS_FILE,
                           [(t["id"], ("teams", i, "id")) for i, t in enumerate(items)],
                           "team", "GR112")
        for i, item in enumerate(items):
            if "parent" in item and item["parent"] not in repo.teams:
                yield _at(repo, TEAMS_FILE, ("teams", i, "parent"), "GR120",
                          f"parent team `{item['parent']}` is not in {TEAMS_FILE}")
            if "lead" in item and people is not None and item["lead"] not in people:
                yield _at(repo, TEAMS_FILE, ("teams", i, "lead"), "GR120",
                          f"lead `{item['lead']}` is not in {PEOPLE_FILE}")
        index = {t["id"]: i for i, t in enumerate(items)}
        parents = {t.id: [t.parent] if t.parent else [] for t in repo.teams.values()}
        for cycle in alignment.find_cycles(parents):
            yield _at(repo, TEAMS_FILE, ("teams", index[cycle[0]], "parent"), "GR122",
                      "team hierarchy has a cycle: " + " -> ".join(cycle))


def _check_goals(repo: Repository) -> Iterator[Diagnostic]:
    config = repo.config
    # Ids of every goal file that names one, valid or not, so one broken file does not
    # turn every reference to it into a second error.
    ids: dict[str, str] = {}
    folded: dict[str, str] = {}
    cached = {g.path: g.id for g in repo.goals if g.path not in repo.documents}
    for path in repo.goal_files:
        data = repo.data_of(path)
        goal_id = cached.get(path) or (data.get("id") if data else None)
        if not isinstance(goal_id, str):
            continue
        if unsafe_as_file_name(goal_id):
            yield _at(repo, path, ("id",), "GR113", f"goal id `{goal_id}` is not a safe file name")
        key = _fold(goal_id)
        if key in folded:
            yield _at(repo, path, ("id",), "GR110",
                      f"goal id `{goal_id}` is already used by {folded[key]}")
        else:
            folded[key] = path
            ids[goal_id] = path
    period_ids = {p.id for p in config.periods}
    # With a broken goalsrepo.yaml its periods are unknown: do not add an error per goal.
    config_ok = CONFIG_FILE in repo.valid or CONFIG_FILE not in repo.documents
    people, teams = _directory(repo)
    for goal in repo.goals:
        file = goal.path

        def at(path: PathT, code: str, message: str, *, key: bool = False,
               file: str = file) -> Diagnostic:
            return _at(repo, file, path, code, message, key=key)

        if people is not None:
            refs: list[tuple[PathT, str | None]] = [(("owner",), goal.owner)]
            refs += [(("contributors", i), p) for i, p in enumerate(goal.contributors)]
            refs += [(("milestones", i, "owner"), m.owner)
                     for i, m in enumerate(goal.milestones) if m.owner]
            for where, person in refs:
                if person not in people:
                    yield at(where, "GR120", f"person `{person}` is not in {PEOPLE_FILE}")
        if goal.team and teams is not None and goal.team not in teams:
            yield at(("team",), "GR120", f"team `{goal.team}` is not in {TEAMS_FILE}")
        if goal.period and config_ok and goal.period not in period_ids:
            known = ", ".join(sorted(period_ids)) or f"none: add `periods` to {CONFIG_FILE}"
            yield at(("period",), "GR120",
                     f"period `{goal.period}` is not defined (known: {known})")
        for i, parent in enumerate(goal.aligns_to):
            if parent not in ids:
                yield at(("aligns_to", i), "GR120", f"aligns_to `{parent}`: no goal has this id")
        if goal.superseded_by and goal.superseded_by not in ids:
            yield at(("superseded_by",), "GR120",
                     f"superseded_by `{goal.superseded_by}`: no goal has this id")
        if goal.continues and goal.continues not in ids:
            yield at(("continues",), "GR120",
                     f"continues `{goal.continues}`: no goal has this id")
        start, due = goal.span(config.period(goal.period))
        if start and due and due < start:
            where = ("due",) if goal.due else ("period",)
            yield at(where, "GR130", f"due date {due} is before the start date {start}")
        seen: set[str] = set()
        for i, kr in enumerate(goal.key_results):
            if kr.id in seen:
                yield at(("key_results", i, "id"), "GR111",
                         f"key result id `{kr.id}` is used twice in this goal")
            seen.add(kr.id)
            if kr.kind == "numeric" and kr.start == kr.target:
                yield at(("key_results", i, "target"), "GR131",
                         f"key result `{kr.id}`: target equals start ({kr.target}), "
                         "so progress cannot be measured")
    parents = {g.id: list(g.aligns_to) for g in repo.goals}
    by_id = {g.id: g for g in repo.goals}
    for cycle in alignment.find_cycles(parents):
        goal = by_id[cycle[0]]
        index = goal.aligns_to.index(cycle[1])
        yield _at(repo, goal.path, ("aligns_to", index), "GR121",
                  "alignment cycle: " + " -> ".join(cycle))
    carries_on = {g.id: [g.continues] if g.continues else [] for g in repo.goals}
    for loop in alignment.find_cycles(carries_on):
        goal = by_id[loop[0]]
        what = ("a goal cannot continue itself" if len(loop) == 2
                else "continues loops: " + " -> ".join(loop))
        yield _at(repo, goal.path, ("continues",), "GR123", what)


# Query parameters and headers whose values are credentials, whatever the service.
_SECRET_PARAM = re.compile(r"(?i)(token|key|secret|password|passwd|auth|sig|signature|access)")
_SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie", "private-token",
                   "x-api-key", "api-key", "x-auth-token"}


def _check_sources(repo: Repository) -> Iterator[Diagnostic]:
    """Sources and the key results that name them (SPEC §10): every name resolves, each
    key result gives what its kind of source reads, and no secret is written down."""
    config_ok = CONFIG_FILE in repo.valid
    for source in repo.config.sources:
        base: PathT = ("sources", source.name)
        for name, value in source.headers:
            if name.lower() in _SECRET_HEADERS and "${" not in value:
                yield _at(repo, CONFIG_FILE, (*base, "headers", name), "GR143",
                          f"source `{source.name}`: the {name} header is written here; "
                          "read it from the environment with ${VAR}")
        for key in ("url", "api_url"):
            url = getattr(source, key)
            if url and _secret_in_url(url):
                yield _at(repo, CONFIG_FILE, (*base, key), "GR143",
                          f"source `{source.name}`: the URL holds a credential (a user:password "
                          "or a token in its query); put it in a header with ${VAR}")
    names = {s.name: s for s in repo.config.sources}
    for goal in repo.goals:
        data = repo.data_of(goal.path)
        if not isinstance(data, dict):
            continue
        for i, kr in enumerate(data.get("key_results", ())):
            if "source" not in kr:
                continue
            reading = Reading.from_data(kr["source"])
            at: PathT = ("key_results", i, "source")
            where: PathT = at if isinstance(kr["source"], str) else (*at, "from")
            if reading.pointer is not None and not POINTER.fullmatch(reading.pointer):
                yield _at(repo, goal.path, (*at, "pointer"), "GR141",
                          f"`{reading.pointer}` is not a JSON Pointer: it starts with `/`, and "
                          "`~` is written `~0` (RFC 6901)")
            named = names.get(reading.source)
            if named is None:
                if config_ok or CONFIG_FILE not in repo.documents:
                    known = ", ".join(sorted(names)) or f"none: add `sources` to {CONFIG_FILE}"
                    yield _at(repo, goal.path, where, "GR140",
                              f"source `{reading.source}` is not defined (known: {known})")
                continue
            for key in missing(named, reading):
                yield _at(repo, goal.path, at, "GR142",
                          f"a `{named.kind}` source needs `{key}` here (`source: {{from: "
                          f"{named.name}, {key}: ...}}`)")
            for key in ("query", "pointer", "row", "column"):
                if getattr(reading, key) is not None and key not in READS[named.kind]:
                    yield _at(repo, goal.path, (*at, key), "GR142",
                              f"a `{named.kind}` source does not read `{key}`", key=True)


def _secret_in_url(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    if "@" in parts.netloc:
        return True
    return any(_SECRET_PARAM.search(name) for name, _ in urllib.parse.parse_qsl(parts.query))
