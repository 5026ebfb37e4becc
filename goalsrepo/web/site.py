"""``build``: the static site of SPEC §5, as a pipeline of plain steps (the MkDocs habit).

    pick the output folder -> load the goals and history -> recall the last build
    -> refuse errors -> derive what changed of each goal's history -> compute the numbers
    -> plan the pages -> render what changed -> swap the new site in

Every page has a key (:mod:`goalsrepo.web.pages`); a page whose key matches the previous
build's is kept from the previous site instead of rendered again. What the last build into
the folder computed (:mod:`goalsrepo.web.memory`) spares a build after a check-in the
validation, the numbers of the goals that did not change and the keys of the pages that do
not show them. The output is replaced atomically: a failed build leaves the previous site
as it was.
"""

from __future__ import annotations

import contextlib
import functools
import json
import shlex
import time
from collections.abc import Callable, Mapping
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache
import msgspec

from goalsrepo import __version__, lint, workspace
from goalsrepo.diagnostics import Diagnostic, Severity
from goalsrepo.errors import GoalsrepoError
from goalsrepo.files import repository
from goalsrepo.files.config import CONFIG_FILE, PEOPLE_FILE, TEAMS_FILE, Config
from goalsrepo.files.model import ENCODER, Goal
from goalsrepo.gitlog import history
from goalsrepo.gitlog.cache import digest, read_file, write_file
from goalsrepo.gitlog.events import Event
from goalsrepo.gitlog.history import History
from goalsrepo.gitlog.timeline import Timeline, day_of
from goalsrepo.gitlog.timeline import read as read_timeline
from goalsrepo.integrations import forge
from goalsrepo.numbers.review import AdjustmentRow
from goalsrepo.numbers.state import State, load_state
from goalsrepo.validate import check
from goalsrepo.web import charts, markdown, memory, output, pages, proposal, widgets
from goalsrepo.web.logbook import Logbook
from goalsrepo.web.pages import AuthorSets, CheckinRow, Derived, DriftRow, SiteData
from goalsrepo.web.rows import Rows
from goalsrepo.workspace import Workspace

Progress = history.Progress


class BuildError(GoalsrepoError):
    """The goals have errors: nothing was written. ``diagnostics`` lists them all."""

    def __init__(self, message: str, diagnostics: tuple[Diagnostic, ...]) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics


class BuildResult(msgspec.Struct, frozen=True):
    output: Path
    pages: int          # pages in the site
    rendered: int       # pages rendered this time (the rest were reused)
    seconds: float
    history_seconds: float  # of which deriving what changed of the goals' history
    notes: tuple[Diagnostic, ...] = ()


def build(where: Path | Workspace, output_dir: Path | None = None, *,
          as_of: date | None = None, base_url: str | None = None, allow_shallow: bool = False,
          progress: Progress | None = None) -> BuildResult:
    """Build the site of the goals repository at ``where`` (a folder, or one opened
    already) into ``output_dir`` (default ``site/`` in it). Raises :class:`BuildError` on
    validation errors, writing nothing."""
    started = time.perf_counter()
    ws = workspace.of(where)
    root = ws.root
    target = output.choose(root, output_dir, ws.config.goals_dir)
    state = load_state(ws, as_of, allow_shallow=allow_shallow, progress=progress)
    repo = state.repo
    config = repo.config
    base = (base_url or config.base_url or "").rstrip("/") or None
    # The commit shows on the dashboard alone, so a new commit alone changes no other page.
    # The files as read, beside what was made of them: a second entry with a person's id
    # changes no Person, but is an error (GR112) the next build must not skip.
    global_key = (__version__, _renderer_digest(), repr(config), base, state.as_of.isoformat(),
                  repr(sorted((repo.people or {}).items())),
                  repr(sorted((repo.teams or {}).items())),
                  repr([repo.data_of(name) for name in (CONFIG_FILE, PEOPLE_FILE, TEAMS_FILE)]))
    cache = ws.site_cache if state.commit else None
    writer = output.Writer(target, cache)
    global_digest = digest(global_key)
    previous = memory.Memory.load(writer.previous()[1], global_digest)
    shapes = memory.shapes(repo.goals, repo.signatures, previous)
    smart = memory.findings(repo.goals, shapes, previous) if repo.complete else None
    if smart is None:
        smart = _check(root, state, None if as_of is None else state.commit)

    logbook_started = time.perf_counter()
    derived, timelines, refiled, author_sets = _derived(ws, state)
    history_seconds = time.perf_counter() - logbook_started
    if refiled:  # a rewritten history: a person may have lost check-ins on any goal
        previous = None
    signatures = state.history.signatures
    sources = memory.sources(state)
    found, fresh = memory.statuses(state, shapes, sources, previous)
    statuses = {s.goal.id: s for s in found}
    kept = memory.remember(statuses, shapes, sources, smart, previous, fresh)
    dirty = memory.changed(previous, kept)
    if cache is not None:
        cache.joinpath("templates").mkdir(parents=True, exist_ok=True)
    rows = Rows(cache, global_digest) if cache is not None else None
    env = make_env(cache / "templates" if cache else None, rows)
    data = SiteData(config=config, as_of=state.as_of, commit=state.commit, base_url=base,
                    statuses=statuses, people=repo.people or {}, teams=repo.teams or {},
                    derived=derived, author_sets=author_sets.sets, smart=smart,
                    goal_page=lambda gid: goal_context(data, state.history, timelines, gid),
                    goal_page_key=lambda gid: goal_key(data, signatures, gid),
                    global_digest=global_digest, dirty=dirty,
                    known=previous.cards if previous and dirty is not None else {}, rows=rows)
    planned = pages.plan(data)
    planned.extend(_assets(data))
    common = site_context(data)

    def render(page: pages.Page) -> bytes:
        if page.raw is not None:
            return page.raw()
        assert page.template is not None and page.context is not None
        root = "../" * page.path.count("/")
        if page.path == "404.html" and base:  # served at any depth: absolute links
            root = base + "/"
        context = {**common, **page.context(), "root": root, "page_path": page.path}
        return env.get_template(page.template).render(context).encode("utf-8")

    keep = memory.Memory(global_digest, kept,
                         {gid: c.key for gid, c in data.cards.items()})
    rendered = writer.write(planned, render, progress, keep.dump())
    if rows is not None:
        rows.save()
    workspace.keep(state, data, planned)
    return BuildResult(target, len(planned), rendered, time.perf_counter() - started,
                       history_seconds, state.notes)


def _check(root: Path, state: State, commit: str | None) -> dict[str, memory.Smart]:
    """Validate and lint the goals (of the work tree, or of ``commit``): raise
    :class:`BuildError` on errors, else return each goal's SMART warnings (those
    ``lint.ignore`` does not silence)."""
    repo = state.repo
    found = [*repo.diagnostics, *check(repo), *lint.lint(repo)]
    errors = [d for d in found if d.severity is Severity.ERROR]
    if errors or not repo.complete:
        # Files taken from the parse cache keep no positions: read everything again, so
        # that every error names its file, line and column.
        full = repository.load(root, commit)
        errors = [d for d in [*full.diagnostics, *check(full)]
                  if d.severity is Severity.ERROR]
        if errors:
            raise BuildError(f"{len(errors)} error(s) in the goal files: nothing was built",
                             tuple(sorted(errors, key=Diagnostic.sort_key)))
    ignored = repo.config.lint.ignore
    paths_to_goal = {g.path: g.id for g in repo.goals}
    smart: dict[str, list[tuple[str, str]]] = {}
    for d in found:
        if d.code.startswith("GR2") and d.code not in ignored and d.file in paths_to_goal:
            smart.setdefault(paths_to_goal[d.file], []).append((d.code, d.message))
    return {g: tuple(w) for g, w in smart.items()}


def _derived(ws: Workspace, state: State,
             ) -> tuple[dict[str, Derived], dict[str, Timeline], bool, AuthorSets]:
    """What the pages keep of each goal's history, brought up to HEAD; the timelines read
    on the way; whether every row was derived afresh (the history was read again from
    its first commit: a person may have lost check-ins on any goal); and the sets of
    authors its check-ins name. Only the goals whose history changed since the last build
    are read; the logbook is not even opened for a history the cache does not keep, whose
    rows would all be derived again."""
    found = state.history
    authors = AuthorSets()
    if found.head is None:
        return {}, {}, True, authors
    zone = state.repo.config.zone
    if found.generation is None:  # a history the cache does not keep (``--as-of``)
        timelines = {goal: read_timeline(goal, found.of(goal), zone)
                     for goal in found.signatures}
        return ({goal: derive(line, zone, authors) for goal, line in timelines.items()},
                timelines, True, authors)
    key = (__version__, state.repo.config.goals_dir, state.repo.config.timezone)
    book = Logbook(ws.site_cache, key)
    refiled = book.generation != found.generation
    if refiled:
        book.start(found.generation)
    timelines = {goal: read_timeline(goal, found.of(goal), zone)
                 for goal, signature in found.signatures.items()
                 if book.signatures.get(goal) != signature}
    for goal, line in timelines.items():
        book.set(goal, found.signatures[goal], derive(line, zone, book.authors))
    if timelines or refiled:
        book.save()
    return book.derived, timelines, refiled, book.authors


def derive(line: Timeline, zone: Any, authors: AuthorSets) -> Derived:
    """The rows of a goal's timeline that pages across goals show, their check-ins'
    authors numbered in ``authors``."""
    checkins = tuple(CheckinRow(e.goal, day_of(e, zone).isoformat(), e.commit.id,
                                authors.number(tuple((a.name, a.email)
                                                     for a in e.commit.authors)),
                                change_summary(e))
                     for e in line.checkins)
    adjustments = tuple(AdjustmentRow(day_of(e, zone).isoformat(), e.commit.id,
                                      tuple((a.name, a.email) for a in e.commit.authors),
                                      e.commit.message, change_summary(e, adjustments_only=True))
                        for e in line.adjustments)
    drift = None
    if line.drift is not None:
        d = line.drift
        moves = tuple((kr, fld, first, now) for (kr, fld, first), (_, _, now)
                      in zip(d.first, d.now, strict=True))
        drift = DriftRow(d.goal, moves, adjustments)
    progress = tuple((day.isoformat(), value) for day, value in line.progress)
    return Derived(checkins, line.wins, drift, adjustments, pages.encode_progress(progress))


def exact_value(value: Any) -> str:
    """A value in a log as it was written (``91.625``, not the chart's rounded ``91.63``)."""
    if isinstance(value, bool):
        return "done" if value else "not done"
    if value is None:
        return "—"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def change_summary(event: Event, adjustments_only: bool = False) -> str:
    """A commit's changes to a goal in a few words: ``deploy-time 22 → 18``."""
    parts = []
    for change in event.changes:
        if adjustments_only and not change.is_adjustment:
            continue
        if not adjustments_only and not (change.is_checkin or change.is_adjustment):
            continue
        if change.kr is None and change.field.startswith("milestones["):
            title = change.field[len("milestones["):-len("].done")]
            parts.append(f"milestone “{title}” {exact_value(change.new)}")
        else:
            name = change.field
            if change.kr is not None:
                name = change.kr if change.field in ("current", "done") else \
                    f"{change.kr} {change.field}"
            parts.append(f"{name} {exact_value(change.old)} → {exact_value(change.new)}")
    return "; ".join(parts)


def goal_key(data: SiteData, signatures: Mapping[str, tuple[int, str]], goal_id: str) -> Any:
    """Everything a goal page shows, as plain data: the page is rendered again when it
    changes."""
    status = data.statuses[goal_id]
    goal = status.goal
    parents, kids = pages.goal_neighbours(data, goal)
    people = (goal.owner, *goal.contributors)
    return (ENCODER.encode(goal), data.cards[goal_id].key, status.kr_progress,
            status.start.isoformat() if status.start else None,
            pages.card_keys(parents), pages.card_keys(kids),
            tuple(data.person_name(p) for p in people), data.smart.get(goal_id, ()),
            signatures.get(goal_id),
            goal.superseded_by in data.cards if goal.superseded_by else None,
            pages.card_keys(data.replaced.get(goal_id, ())),
            *(pages.card_keys(cards) for cards in pages.chain(data, goal_id)),
            signatures.get(goal.continues) if goal.continues else None)


def goal_context(data: SiteData, found: History, timelines: dict[str, Timeline],
                 goal_id: str) -> dict[str, Any]:
    """A goal page's context, from the goal's timeline (read now from its history, unless
    this build read it already)."""
    status = data.statuses[goal_id]
    goal = status.goal
    zone = data.config.zone
    line = timelines.get(goal_id) or read_timeline(goal_id, found.of(goal_id), zone)
    parents, kids = pages.goal_neighbours(data, goal)
    ended = _where_predecessor_ended(data, found, timelines, goal.continues)
    krs = []
    for index, (kr, kr_progress) in enumerate(zip(goal.key_results, status.kr_progress,
                                                  strict=True)):
        chart = None
        points = line.series.get(kr.id, ())
        last = ended.get(kr.id)
        if kr.kind == "numeric" and last is not None and (not points or points[0][0] > last[0]):
            points = (last, *points)  # a key result carried over goes on from there
        if kr.kind != "milestone":
            lower = (kr.keep == "below" if kr.kind == "control"
                     else (kr.target or 0) < (kr.start or 0))
            series = charts.Series(points=points, start=status.start, due=status.due,
                                   as_of=data.as_of,
                                   baseline=kr.start if kr.kind == "numeric" else None,
                                   target=kr.target, unit=kr.unit, lower_is_better=lower)
            chart = charts.kr_chart(series, kr.title, f"kr-{index}")
        krs.append({"kr": kr, "progress": kr_progress, "chart": chart, "points": points})
    superseded = None
    if goal.superseded_by:
        superseded = data.cards.get(goal.superseded_by) or goal.superseded_by
    return {
        "status": status, "goal": goal, "card": data.cards[goal_id],
        "owner": data.people.get(goal.owner), "owner_name": data.person_name(goal.owner),
        "contributors": [(p, data.person_name(p), p in data.people) for p in goal.contributors],
        "team": data.teams.get(goal.team) if goal.team else None,
        "period": data.config.period(goal.period),
        "description": markdown.render(goal.description or ""),
        "krs": krs, "parents": parents, "children": kids,
        "checkins": [_event_view(data, e, zone) for e in reversed(line.checkins)],
        "adjustments": [_event_view(data, e, zone, adjustments_only=True)
                        for e in reversed(line.adjustments)],
        "smart": pages.smart_checklist(data.smart.get(goal_id, ())),
        "superseded_by": superseded, "supersedes": data.replaced.get(goal_id, []),
        "actions": goal_actions(data.config, goal),
        "chain": pages.chain(data, goal_id),
    }


def _where_predecessor_ended(data: SiteData, found: History,
                             timelines: dict[str, Timeline], goal_id: str | None,
                             ) -> dict[str, tuple[date, float]]:
    """The last value of each key result of the goal this one continues (its chart's
    first point, so that a key result carried over starts where it ended)."""
    if goal_id is None or goal_id not in data.statuses:
        return {}
    line = timelines.get(goal_id) or read_timeline(goal_id, found.of(goal_id), data.config.zone)
    return {kr: points[-1] for kr, points in line.series.items() if points}


def _event_view(data: SiteData, event: Event, zone: Any,
                adjustments_only: bool = False) -> dict[str, Any]:
    return {"day": day_of(event, zone).isoformat(), "commit": event.commit.id,
            "who": pages._who(data, tuple((a.name, a.email) for a in event.commit.authors)),
            "summary": change_summary(event, adjustments_only),
            "subject": event.commit.subject, "message": event.commit.message.strip(),
            "sources": event.synced_from}


def site_context(data: SiteData) -> dict[str, Any]:
    """What every page shows: the site's title, the as-of date and commit, the navigation.
    ``repo_url`` is the forge when it is known (its own commit links), else the safe part
    of the configured URL."""
    config = data.config
    return {
        "site_title": config.title, "as_of": data.as_of.isoformat(),
        "commit": data.commit, "base_url": data.base_url, "version": __version__,
        "repo_url": site_forge(config) or forge.base_url(config.repo_url),
    }


def site_forge(config: Config) -> forge.Forge | None:
    return forge.Forge.of(config.repo_url, config.forge, config.default_branch)


def goal_actions(config: Config, goal: Goal) -> dict[str, Any]:
    """A goal page's ways to change the goal: the forge's editor, the file's history and the
    check-in form (links when the forge is known), and the check-in command to copy."""
    lines = checkin_lines(goal)
    first = next((kr for kr in goal.key_results), None)
    command = None
    if first is not None:
        value = ("done" if first.kind == "milestone" else
                 exact_value(first.current if first.current is not None else first.start))
        command = shlex.join(["goalsrepo", "checkin", goal.id, first.id, value, "-m",
                              "What moved and why"]) + " --commit"
    found = site_forge(config)
    if found is None:
        return {"edit": None, "history": None, "checkin": None, "checkin_form": False,
                "command": command}
    return {"edit": found.edit(goal.path), "history": found.history(goal.path),
            "checkin": found.checkin(goal.id, goal.path, lines),
            "checkin_form": found.has_checkin_form, "command": command}


def checkin_lines(goal: Goal) -> list[str]:
    """The ``target: value`` lines of the check-in form, filled with the values now: each
    key result by id, each open milestone by number (see ``checkin --from-form``)."""
    lines = []
    for kr in goal.key_results:
        if kr.kind == "milestone":
            lines.append(f"{kr.id}: {'done' if kr.done else 'not-done'}")
        else:
            current = kr.current if kr.current is not None else kr.start
            lines.append(f"{kr.id}: {exact_value(current) if current is not None else ''}")
    lines += [f"{i}: not-done" for i, ms in enumerate(goal.milestones, 1) if not ms.done]
    return lines


def _assets(data: SiteData) -> list[pages.Page]:
    """The stylesheet, the scripts and the search index."""
    out = []
    folder = resources.files("goalsrepo.templates") / "assets"
    for name in sorted(f.name for f in folder.iterdir() if f.is_file()):
        content = (folder / name).read_bytes()
        out.append(pages.Page(f"assets/{name}", digest(("asset", content)),
                              raw=_constant(content)))
    entries = pages.index_entries(data.cards)
    out.append(pages.Page("assets/search-index.js", digest(("index", entries)),
                          raw=lambda: data_script("GOALSREPO_INDEX", entries)))
    # The form's data (every goal's id and title, people, teams, periods) changes only with
    # a goal's shape or the global key: after a check-in it is the last build's.
    form = functools.cache(lambda: proposal.form_data(data, site_forge(data.config)))
    out.append(pages.Page(proposal.ASSET,
                          None if data.dirty is not None else digest(("propose", form())),
                          raw=lambda: data_script("GOALSREPO_PROPOSE", form())))
    if data.base_url:
        urls = sorted(p for p in ["index.html", "alignment.html", "wins.html", "drift.html",
                                  *(c.path for c in data.cards.values())])
        out.append(pages.Page("sitemap.xml", digest(("sitemap", data.base_url, urls)),
                              raw=lambda: sitemap(data.base_url or "", urls)))
    return out


def _constant(content: bytes) -> Callable[[], bytes]:
    return lambda: content


def data_script(variable: str, value: Any) -> bytes:
    """Data for the site's scripts (the search index, the proposal form's lists) as a
    script, because a page opened from ``file://`` may not fetch a JSON file;
    ``ensure_ascii`` escapes U+2028/2029, which end a line in old JavaScript."""
    body = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    return f"window.{variable} = {body};\n".encode()


def sitemap(base_url: str, urls: list[str]) -> bytes:
    from markupsafe import escape

    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    lines += [f"  <url><loc>{escape(base_url + '/' + u)}</loc></url>" for u in urls]
    lines.append("</urlset>\n")
    return "\n".join(lines).encode()


def _renderer_digest() -> str:
    """A digest of the templates and of the modules that write HTML, so an upgrade, or an
    edit of an installed copy, renders every page again."""
    folder = resources.files("goalsrepo.templates")
    parts = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_file() and entry.name.endswith((".html", ".atom", ".xml")):
            parts.append((entry.name, entry.read_bytes()))
    for module in (charts, forge, markdown, pages, widgets):
        parts.append((module.__name__, Path(module.__file__ or "").read_bytes()))
    parts.append((__name__, Path(__file__).read_bytes()))
    return digest(tuple(parts)).hex()


def display_value(value: Any, unit: str | None = None) -> str:
    """A field's value for people: numbers compactly with their unit, text as it is."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "done" if value else "not done"
    if isinstance(value, (int, float)):
        return charts.value_label(value, unit)
    return str(value)


class TemplateCache(jinja2.BytecodeCache):
    """Compiled templates in ``folder``, as checksummed cache files: Jinja's own file
    cache would load a damaged file's code, or fail on it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            bucket.bytecode_from_string(bytes(read_file(self.folder / f"{bucket.key}.cache")))
        except Exception:  # missing or damaged: compile afresh
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            write_file(self.folder / f"{bucket.key}.cache", bucket.bytecode_to_string())


def make_env(cache: Path | None = None, rows: Rows | None = None) -> jinja2.Environment:
    """The one Jinja2 environment: autoescape everywhere (HTML and the Atom feed), undefined
    names fail the build, and every filter is registered here. With ``cache`` (a folder in
    the git directory) compiled templates are kept between builds: compiling them costs a
    rebuild after one commit a third of a second. With ``rows``, the long lists take the
    rows the last build drew (:mod:`goalsrepo.web.rows`)."""
    env = jinja2.Environment(
        bytecode_cache=TemplateCache(cache) if cache else None,
        loader=jinja2.FileSystemLoader(str(resources.files("goalsrepo.templates"))),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        finalize=widgets.printable,
    )
    env.filters.update({
        "pct": widgets.percent,
        "value": display_value,
        "health_label": widgets.health_label,
        "safe_url": widgets.safe_url,
        "file_name": pages.file_name,
    })
    env.globals.update({"bar": widgets.bar, "badge": widgets.badge,
                        "people": widgets.people, "commit_link": widgets.commit_link,
                        "checkin_rows": widgets.checkin_rows, "value_rows": widgets.value_rows})
    lists = (widgets.goal_table, widgets.tree, widgets.win_list, widgets.score_rows,
             widgets.carried_rows, widgets.summary_row)
    env.globals.update({f.__name__: functools.partial(f, memo=rows) for f in lists})
    return env
