"""Renderers of validation results: text for people, JSON for tools, GitHub annotations.

Reporters are small functions chosen by a flag (the check-jsonschema habit); they take
computed results and return strings, never compute anything themselves.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from goalsrepo.diagnostics import Diagnostic, Severity
from goalsrepo.gitlog.events import Author, Change, Event, show_value
from goalsrepo.numbers import alignment
from goalsrepo.numbers.progress import GoalStatus, clamp

if TYPE_CHECKING:  # what the renderers render: imported by the commands that make them
    from goalsrepo.closing import CloseResult
    from goalsrepo.diff import GoalsDiff, PeriodPlan
    from goalsrepo.digest import Digest, Item
    from goalsrepo.integrations.importers.pipeline import Imported
    from goalsrepo.integrations.sync import SyncRun
    from goalsrepo.rollover import RolloverResult
    from goalsrepo.validate import ValidationResult

JSON_VERSION = 1
GITHUB_ANNOTATION_LIMIT = 10  # GitHub shows at most 10 annotations of each kind per step

_COLORS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.NOTE: "36"}


def diagnostic_line(d: Diagnostic, color: bool = False) -> str:
    """``file:line:column: severity: message [code]`` (the compilers' format).

    Always one line: a message quotes file content (a key may hold a newline), and a
    line of its own starting with ``::`` would be a workflow command in a CI log.
    """
    where = ":".join(str(x) for x in (d.file or "goalsrepo", d.line, d.column) if x is not None)
    severity = d.severity.value
    if color:
        severity = f"\x1b[1;{_COLORS[d.severity]}m{severity}\x1b[0m"
        where = f"\x1b[1m{where}\x1b[0m"
    return f"{_one_line(where)}: {severity}: {_one_line(d.message)} [{d.code}]"


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


def summary(result: ValidationResult) -> str:
    parts = [_plural(result.errors, "error"), _plural(result.warnings, "warning")]
    return f"{', '.join(parts)} in {_plural(result.files, 'file')}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def render_text(result: ValidationResult, strict: bool = False, color: bool = False) -> str:
    lines = [diagnostic_line(d, color) for d in result.diagnostics]
    verdict = "ok" if result.ok(strict) else "failed"
    lines.append(f"{verdict}: {summary(result)}")
    return "\n".join(lines) + "\n"


def diagnostic_json(d: Diagnostic) -> dict[str, Any]:
    return {
        "file": d.file,
        "line": d.line,
        "column": d.column,
        "severity": d.severity.value,
        "code": d.code,
        "message": d.message,
    }


def render_json(result: ValidationResult, strict: bool = False, color: bool = False) -> str:
    """SPEC §8's ``validate --format json`` shape (a public contract: keep it exact)."""
    payload = {
        "version": JSON_VERSION,
        "ok": result.ok(strict),
        "files": result.files,
        "errors": result.errors,
        "warnings": result.warnings,
        "diagnostics": [diagnostic_json(d) for d in result.diagnostics],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def escape_data(text: str) -> str:
    """Escape a workflow command's message as GitHub's toolkit (``escapeData``) does."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property as GitHub's toolkit (``escapeProperty``) does."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


_GITHUB_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}


def render_github(result: ValidationResult, strict: bool = False, color: bool = False) -> str:
    """GitHub Actions annotations, at most 10 of each kind; the rest as plain log lines."""
    out: list[str] = []
    shown: dict[Severity, int] = {}
    for d in result.diagnostics:
        shown[d.severity] = shown.get(d.severity, 0) + 1
        if shown[d.severity] > GITHUB_ANNOTATION_LIMIT:
            out.append(diagnostic_line(d))
            continue
        props = [f"title={escape_property(f'{d.code}')}"]
        if d.file:
            props.insert(0, f"file={escape_property(d.file)}")
        if d.line is not None:
            props.append(f"line={d.line}")
        if d.column is not None:
            props.append(f"col={d.column}")
        out.append(f"::{_GITHUB_COMMAND[d.severity]} {','.join(props)}::{escape_data(d.message)}")
    verdict = "ok" if result.ok(strict) else "failed"
    out.append(f"{verdict}: {summary(result)}")
    return "\n".join(out) + "\n"


def render_markdown(result: ValidationResult, strict: bool = False) -> str:
    """The full report as Markdown, for ``$GITHUB_STEP_SUMMARY`` and PR comments."""
    icon = "✅" if result.ok(strict) else "❌"
    lines = [f"### {icon} goalsrepo validate: {summary(result)}", ""]
    if result.diagnostics:
        lines += ["| | file | line | code | message |", "|---|---|---|---|---|"]
        for d in result.diagnostics:
            mark = {"error": "❌", "warning": "⚠️", "note": "ℹ️"}[d.severity.value]
            lines.append(
                f"| {mark} | `{_md(d.file or '')}` | {d.line or ''} | {d.code} | {_md(d.message)} |"
            )
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    """Table-cell text: pipes, backticks and HTML cannot break out of the cell."""
    return (
        text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")
        .replace(">", "&gt;").replace("\r", " ").replace("\n", " ").replace("`", "'")
    )


_GITLAB_SEVERITY = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.NOTE: "info"}


def render_gitlab(result: ValidationResult, strict: bool = False, color: bool = False) -> str:
    """A GitLab Code Quality report (a JSON list), shown on merge requests.

    Fingerprints hash the code, file and message, not the line, so a problem keeps its
    identity when lines above it move, and GitLab can tell new problems from old ones;
    the same problem twice in one file is told apart by its order.
    """
    seen: Counter[str] = Counter()
    issues = []
    for d in result.diagnostics:
        key = f"{d.code}\x00{d.file or ''}\x00{d.message}"
        seen[key] += 1
        fingerprint = hashlib.sha256(f"{key}\x00{seen[key]}".encode()).hexdigest()
        issues.append({
            "description": d.message,
            "check_name": d.code,
            "fingerprint": fingerprint,
            "severity": _GITLAB_SEVERITY[d.severity],
            "location": {"path": d.file or "goalsrepo.yaml", "lines": {"begin": d.line or 1}},
        })
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"


RENDERERS: dict[str, Callable[..., str]] = {
    "text": render_text,
    "json": render_json,
    "github": render_github,
    "gitlab": render_gitlab,
}


# --- status, tree, history and export (SPEC §8) ------------------------------------------


def fraction(value: float | None) -> float | None:
    """Fractions 0-1 rounded to 4 places (SPEC §8)."""
    return None if value is None else round(value, 4)


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def goal_json(status: GoalStatus) -> dict[str, Any]:
    """One goal with its computed numbers, as ``status`` and ``export`` print it."""
    goal = status.goal
    return {
        "id": goal.id,
        "title": goal.title,
        "level": goal.level,
        "owner": goal.owner,
        "team": goal.team,
        "period": goal.period,
        "start": _iso(status.start),
        "due": _iso(status.due),
        "status": goal.status,
        "aligns_to": list(goal.aligns_to),
        "progress": fraction(status.progress),
        "expected": fraction(status.expected),
        "health": status.health,
        "stale": status.stale,
        "last_checkin": _iso(status.last_checkin),
        "score": status.score,
        "key_results": [
            {
                "id": kr.id,
                "title": kr.title,
                "kind": kr.kind,
                "unit": kr.unit,
                "start": kr.start,
                "target": kr.target,
                "current": kr.current,
                "done": kr.done,
                "keep": kr.keep,
                "weight": kr.weight,
                "progress": fraction(progress),
            }
            for kr, progress in zip(goal.key_results, status.kr_progress, strict=True)
        ],
    }


def goals_json(statuses: Iterable[GoalStatus], as_of: date, commit: str | None) -> str:
    payload = {
        "version": JSON_VERSION,
        "as_of": as_of.isoformat(),
        "commit": commit,
        "goals": [goal_json(s) for s in statuses],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


EXPORT_COLUMNS = ("id", "title", "level", "owner", "team", "period", "start", "due", "status",
                  "aligns_to", "progress", "expected", "health", "stale", "last_checkin",
                  "score", "key_results")


def goals_csv(statuses: Iterable[GoalStatus]) -> str:
    """One row per goal: the scalar fields, lists joined by ``;`` (key results by id)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for status in statuses:
        row = goal_json(status)
        row["key_results"] = [kr["id"] for kr in row["key_results"]]
        writer.writerow(_csv_cell(row[c]) for c in EXPORT_COLUMNS)
    return out.getvalue()


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    text = str(value)
    # Spreadsheets run cells that start like a formula (CSV injection); quote them out.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text) \
        else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


HEALTH_ORDER = {h: i for i, h in enumerate(
    ("off_track", "at_risk", "on_track", "done", "draft", "achieved", "missed", "dropped"))}
_HEALTH_COLORS = {"off_track": "31", "at_risk": "33", "on_track": "32", "done": "32",
                  "achieved": "32", "missed": "31"}


def sort_statuses(statuses: Iterable[GoalStatus]) -> list[GoalStatus]:
    """What needs attention first: by health (off track first), then due date, then id."""
    return sorted(statuses, key=lambda s: (HEALTH_ORDER.get(s.health, 99),
                                           s.due or date.max, s.goal.id))


def bar(value: float, width: int = 10) -> str:
    return _bar(round(clamp(value) * width), width)


# A table of 10,000 goals draws a few dozen distinct bars and percentages: each is made once.
@lru_cache(maxsize=1024)
def _bar(filled: int, width: int) -> str:
    return "█" * filled + "░" * (width - filled)


def _percent(value: float | None) -> str:
    return "-" if value is None else _percent_of(round(value * 100))


@lru_cache(maxsize=1024)
def _percent_of(number: int) -> str:
    return f"{number}%"


def status_text(statuses: list[GoalStatus], as_of: date, commit: str | None,
                color: bool = False) -> str:
    """The terminal table of ``status``: one goal per line, needs-attention first.

    Built column by column, then padded by one format string per line: at 10,000 goals
    a cell-by-cell loop was a third of a ``status`` after a check-in."""
    days: dict[date, str] = {}  # a few hundred due dates among them

    def due(value: date | None) -> str:
        if value is None:
            return "-"
        found = days.get(value)
        return found if found is not None else days.setdefault(value, value.isoformat())

    progress = [s.progress for s in statuses]
    columns = [
        ["GOAL", *(s.goal.id for s in statuses)],
        ["PROGRESS", *map(bar, progress)],
        ["", *map(_percent, progress)],
        ["EXPECTED", *(_percent(s.expected) for s in statuses)],
        ["HEALTH", *(s.health for s in statuses)],
        ["STALE", *("stale" if s.stale else "" for s in statuses)],
        ["OWNER", *(s.goal.owner for s in statuses)],
        ["DUE", *(due(s.due) for s in statuses)],
        ["SCORE", *("-" if s.score is None else f"{s.score:.1f}" for s in statuses)],
    ]
    widths = [max(map(len, column)) for column in columns]
    health = 4
    if color:  # the health cell is padded inside its colour codes
        columns[health] = [columns[health][0], *(
            f"\x1b[{_HEALTH_COLORS[h]}m{h.ljust(widths[health])}\x1b[0m"
            if h in _HEALTH_COLORS else h for h in columns[health][1:])]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [line.format(*row).rstrip() for row in zip(*columns, strict=True)]
    where = f" at {commit[:10]}" if commit else ""
    counts = Counter(s.health for s in statuses)
    summary = ", ".join(f"{counts[h]} {h.replace('_', ' ')}" for h in HEALTH_ORDER if counts[h])
    lines.append(f"{_plural(len(statuses), 'goal')} as of {as_of}{where}"
                 + (f": {summary}" if summary else ""))
    return "\n".join(lines) + "\n"


def tree_nodes(statuses: list[GoalStatus]) -> tuple[list[dict[str, Any]], list[str]]:
    """The alignment graph as nested nodes, and the orphans (SPEC §8 ``tree``); a goal with
    several parents appears under each of them. Built without recursion: an alignment
    chain may be thousands of goals deep."""
    by_id = {s.goal.id: s for s in statuses}
    parents = {s.goal.id: s.goal.aligns_to for s in statuses}
    kids = alignment.children(parents)

    def node(goal_id: str) -> dict[str, Any]:
        s = by_id[goal_id]
        return {"id": goal_id, "title": s.goal.title, "level": s.goal.level,
                "progress": fraction(s.progress), "children": []}

    levels = {s.goal.id: s.goal.level for s in statuses}
    roots, orphans = alignment.roots_and_orphans(parents, levels)
    out = []
    for root in roots:
        out.append(node(root))
        path = {root}  # the goals above, so a cycle (a validation error) ends
        stack = [(out[-1], iter(kids.get(root, ())))]
        while stack:
            parent, todo = stack[-1]
            kid = next(todo, None)
            if kid is None:
                stack.pop()
                path.discard(parent["id"])
            elif kid in by_id and kid not in path:
                parent["children"].append(node(kid))
                path.add(kid)
                stack.append((parent["children"][-1], iter(kids.get(kid, ()))))
    return out, orphans


# Levels of nesting that indent further; deeper ones keep the last indent, so a chain of
# thousands of goals prints in lines of sane length (JSON's whitespace means nothing).
INDENT_LEVELS = 24


def deep_json(value: Any, indent: int = 2) -> str:
    """``json.dumps(value, indent=indent, ensure_ascii=False)`` for nesting of any depth:
    ``json`` recurses (and with an indent would write a 5,000-deep tree in 400 MB)."""
    parts: list[str] = []
    stack: list[tuple[Iterator[tuple[str | None, Any]], str, int]] = []

    def emit(item: Any, depth: int) -> None:
        if isinstance(item, dict) and item:
            parts.append("{")
            stack.append((iter(item.items()), "}", depth))
        elif isinstance(item, list | tuple) and item:
            parts.append("[")
            stack.append((((None, x) for x in item), "]", depth))
        else:
            parts.append(json.dumps(item, ensure_ascii=False))

    emit(value, 0)
    while stack:
        todo, close, depth = stack[-1]
        pad = " " * (indent * min(depth + 1, INDENT_LEVELS))
        entry = next(todo, None)
        if entry is None:
            stack.pop()
            parts.append("\n" + " " * (indent * min(depth, INDENT_LEVELS)) + close)
            continue
        key, item = entry
        parts.append(("\n" if parts[-1] in ("{", "[") else ",\n") + pad)
        if key is not None:
            parts.append(json.dumps(key, ensure_ascii=False) + ": ")
        emit(item, depth + 1)
    return "".join(parts)


def tree_json(statuses: list[GoalStatus], as_of: date) -> str:
    roots, orphans = tree_nodes(statuses)
    payload = {"version": JSON_VERSION, "as_of": as_of.isoformat(), "roots": roots,
               "orphans": orphans}
    return deep_json(payload) + "\n"


def tree_text(statuses: list[GoalStatus], as_of: date) -> str:
    """The alignment tree, indented, with roll-up progress; a goal shown under several
    parents is marked with ``*`` after its first appearance. Past :data:`INDENT_LEVELS`
    a line keeps the last indent and names its depth."""
    roots, orphans = tree_nodes(statuses)
    lines: list[str] = []
    shown: set[str] = set()
    stack = [(root, 0) for root in reversed(roots)]
    while stack:
        node, depth = stack.pop()
        again = " *" if node["id"] in shown else ""
        shown.add(node["id"])
        deeper = f"[{depth}] " if depth > INDENT_LEVELS else ""
        lines.append(f"{'  ' * min(depth, INDENT_LEVELS)}{deeper}{bar(node['progress'], 8)} "
                     f"{_percent(node['progress']):>4}  {node['id']}{again}  {node['title']}")
        stack.extend((child, depth + 1) for child in reversed(node["children"]))
    if orphans:
        lines += ["", "Aligned to nothing:"] + [f"  {o}" for o in orphans]
    if any(line.endswith("*") or " * " in line for line in lines):
        lines += ["", "* also shown under another parent"]
    lines.append(f"as of {as_of}")
    return "\n".join(lines) + "\n"


def close_json(result: CloseResult) -> str:
    payload = {"version": JSON_VERSION, "period": result.period.id, "commit": result.commit,
               "goals": [{"id": g.id, "score": g.score, "status": g.status}
                         for g in result.goals]}
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


_CLOSE_NOTES = {"kept": "kept open with --keep", "draft": "draft, left as it is",
                "unchanged": "already closed"}


def close_text(result: CloseResult) -> str:
    """One line per goal of the period (its status and score after the close), then
    the commit's subject and what was done."""
    lines = [f"{'Would close' if result.dry_run else 'Closing'} {result.period.id} "
             f"(ends {result.period.end.isoformat()}):"]
    for g in result.goals:
        score = "  -" if g.score is None else f"{g.score:.1f}"
        note = _CLOSE_NOTES.get(g.action)
        lines.append(f"  {g.status:<9} {score}  {g.id}" + (f"  ({note})" if note else ""))
    if not result.goals:
        lines.append("  (no goals)")
    lines += _outcome(result, bool(result.closed), "Nothing to close: no active goal left open.")
    return "\n".join(lines) + "\n"


def _outcome(result: CloseResult | RolloverResult, changed: bool, nothing: str) -> list[str]:
    """The last lines of close and rollover: the commit's subject (or that nothing
    changes), whether it was a dry run, and the commit made."""
    if not changed:
        return [nothing]
    lines = [result.message + (" (dry run: nothing written)" if result.dry_run else "")]
    if result.commit:
        lines.append(f"Committed {result.commit[:10]}")
    return lines


def rollover_json(result: RolloverResult) -> str:
    payload = {"version": JSON_VERSION, "period": result.period.id, "next": result.next.id,
               "commit": result.commit,
               "goals": [{"id": r.id, "successor": r.successor, "path": r.path}
                         for r in result.goals]}
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def rollover_text(result: RolloverResult) -> str:
    verb = "Would roll" if result.dry_run else "Rolling"
    lines = [f"{verb} {result.period.id} over into {result.next.id} "
             f"({result.next.start.isoformat()} to {result.next.end.isoformat()}):"]
    if result.created_period:
        lines.append(f"  + period {result.next.id} in goalsrepo.yaml")
    for r in result.goals:
        if r.already:
            lines.append(f"  = {r.id}: already continued by {r.successor} ({r.path})")
        else:
            lines.append(f"  + {r.id} -> {r.successor} ({r.path})")
    lines += _outcome(result, bool(result.new), "Nothing to roll over.")
    return "\n".join(lines) + "\n"


def author_json(author: Author, people: Mapping[str, str]) -> dict[str, Any]:
    return {"name": author.name, "email": author.email,
            "person": people.get(author.email.lower())}


def change_json(change: Change) -> dict[str, Any]:
    return {"kr": change.kr, "field": change.field, "old": _plain(change.old),
            "new": _plain(change.new)}


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def event_json(event: Event, people: Mapping[str, str]) -> dict[str, Any]:
    """One event: ``authors`` names everyone credited (for a merge, the authors of the
    commits it brought in) and ``author``, kept for the readers of version 1, the first."""
    authors = [author_json(a, people) for a in event.commit.authors]
    return {
        "commit": event.commit.id,
        "date": event.commit.date.isoformat(),
        "author": authors[0],
        "authors": authors,
        "message": event.commit.message,
        "kind": event.kind,
        "changes": [change_json(c) for c in event.changes],
    }


def history_json(goal_id: str, events: list[Event], people: Mapping[str, str],
                 earlier: Iterable[tuple[str, list[Event]]] = ()) -> str:
    """SPEC §8's history; for a goal that continues another, also ``predecessors``: the
    events of the goals it continues, nearest first."""
    payload: dict[str, Any] = {"version": JSON_VERSION, "goal": goal_id,
                               "events": [event_json(e, people) for e in events]}
    before = [{"goal": gid, "events": [event_json(e, people) for e in evs]}
              for gid, evs in earlier]
    if before:
        payload["predecessors"] = before
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def _value(value: Any) -> str:
    if value is None:
        return "∅"
    if isinstance(value, bool):
        return "done" if value else "not done"
    if isinstance(value, tuple):
        return ", ".join(map(str, value)) or "[]"
    return str(value)


def history_text(goal_id: str, events: list[Event], people: Mapping[str, str],
                 names: Mapping[str, str],
                 earlier: Iterable[tuple[str, list[Event]]] = ()) -> str:
    """Every event of a goal, oldest first, with who, what moved and why; then, under a
    heading each, the events of the goals it continues, nearest first."""
    lines = _event_lines(events, people, names)
    if not lines:
        lines.append(f"no history for {goal_id}")
    for gid, evs in earlier:
        lines += ["", f"Continues {gid}:"]
        lines += _event_lines(evs, people, names) or [f"no history for {gid}"]
    return "\n".join(lines) + "\n"


def _event_lines(events: list[Event], people: Mapping[str, str],
                 names: Mapping[str, str]) -> list[str]:
    lines = []
    for event in events:
        who = ", ".join(_who(a, people, names) for a in event.commit.authors)
        lines.append(f"{event.commit.date.date()}  {event.commit.id[:10]}  {event.kind:<10}  "
                     f"{who}  {event.commit.subject}")
        if event.kind != "created":
            for c in event.changes:
                name = f"{c.kr}.{c.field}" if c.kr else c.field
                flag = "  (adjustment)" if c.is_adjustment else ""
                lines.append(f"    {name}: {_value(c.old)} -> {_value(c.new)}{flag}")
    return lines


def _who(author: Author, people: Mapping[str, str], names: Mapping[str, str]) -> str:
    person = people.get(author.email.lower())
    return names.get(person, author.name) if person else author.name


# --- diff (SPEC §8) ----------------------------------------------------------------------


def diff_json(result: GoalsDiff) -> str:
    payload = {
        "version": JSON_VERSION,
        "base": result.base,
        "head": result.head,
        "added": list(result.added),
        "removed": list(result.removed),
        "changed": [
            {
                "id": c.id,
                "checkins": [change_json(x) for x in c.checkins],
                "adjustments": [change_json(x) for x in c.adjustments],
                "status": change_json(c.status) if c.status else None,
                "other": list(c.other),
            }
            for c in result.changed
        ],
        "diagnostics": [diagnostic_json(d) for d in result.diagnostics],
        "plan": [
            {"period": p.period, "goals": list(p.goals),
             "by_team_level": [{"team": t, "level": lv, "goals": n}
                               for t, lv, n in p.by_team_level],
             "unaligned": list(p.unaligned),
             "overloaded": [{"owner": o, "goals": n, "limit": p.limit}
                            for o, n in p.overloaded],
             "kr_without_unit": [{"goal": g, "kr": k} for g, k in p.without_unit]}
            for p in result.plan
        ],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def _plan_md(plan: PeriodPlan) -> list[str]:
    """A period's plan in a few lines: what a reviewer of next quarter's goals checks."""
    where = f"period {plan.period}" if plan.period else "no period"
    lines = [f"#### 🗓️ Plan for {_md(where)}: {_plural(len(plan.goals), 'new goal')}", "",
             "| Team | Level | New goals |", "|---|---|---:|"]
    lines += [f"| {_md(team or '(no team)')} | {level} | {n} |"
              for team, level, n in plan.by_team_level]
    lines.append("")
    checks = [
        ("Aligned to nothing", [f"**{_md(g)}**" for g in plan.unaligned]),
        (f"Owners over the limit of {plan.limit} active goals",
         [f"**{_md(o)}** ({n})" for o, n in plan.overloaded]),
        ("Key results without a unit", [f"**{_md(g)}** `{_md(k)}`"
                                        for g, k in plan.without_unit]),
    ]
    for label, items in checks:
        lines.append(f"- {label}: " + (", ".join(items) if items else "none ✅"))
    return [*lines, ""]


def _change_md(change: Change) -> str:
    name = f"{change.kr}.{change.field}" if change.kr else change.field
    return f"`{_md(name)}`: {_md(_value(change.old))} → {_md(_value(change.new))}"


def diff_markdown(result: GoalsDiff) -> str:
    """The pull-request comment: what the change does to the goals, adjustments first."""
    lines = [f"### Goals in this change ({result.base[:10]}…{result.head[:10]})", ""]
    if result.empty:
        lines.append("No goal changed.")
    adjusted = [c for c in result.changed if c.adjustments]
    if adjusted:
        lines += ["#### ⚠️ Adjustments: targets, starts, due dates or periods moved", ""]
        for c in adjusted:
            moved = "; ".join(_change_md(x) for x in c.adjustments)
            lines.append(f"- **{_md(c.id)}** ({_md(c.title)}): {moved}")
        lines.append("")
    sections = [
        ("New goals", [f"- **{_md(g)}**: {_md(result.titles.get(g, g))}" for g in result.added]),
        ("Removed goals", [f"- **{_md(g)}**: {_md(result.titles.get(g, g))}"
                           for g in result.removed]),
        ("Check-ins", [f"- **{_md(c.id)}**: " + "; ".join(_change_md(x) for x in c.checkins)
                       for c in result.changed if c.checkins]),
        ("Status changes", [f"- **{_md(c.id)}**: {_change_md(c.status)}"
                            for c in result.changed if c.status]),
        ("Other edits", [f"- **{_md(c.id)}**: " + ", ".join(f"`{_md(o)}`" for o in c.other)
                         for c in result.changed if c.other]),
    ]
    for heading, items in sections:
        if items:
            lines += [f"#### {heading}", "", *items, ""]
    for period_plan in result.plan:
        lines += _plan_md(period_plan)
    errors = sum(d.severity is Severity.ERROR for d in result.diagnostics)
    warnings = sum(d.severity is Severity.WARNING for d in result.diagnostics)
    verdict = "✅" if errors == 0 else "❌"
    if lines[-1]:
        lines.append("")
    lines += [f"{verdict} validation at {result.head[:10]}: "
              f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}"]
    lines += [f"- `{_md(d.file or '')}:{d.line or ''}` {d.code}: {_md(d.message)}"
              for d in result.diagnostics if d.severity is Severity.ERROR][:20]
    return "\n".join(lines).rstrip() + "\n"


# --- digest (SPEC §8) --------------------------------------------------------------------


def digest_item_json(item: Item) -> dict[str, Any]:
    return {"goal": item.goal, "title": item.title, "owner": item.owner, "what": item.what,
            "people": list(item.people), "commit": item.commit, "date": _iso(item.day)}


def digest_json(digest: Digest) -> str:
    payload: dict[str, Any] = {
        "version": JSON_VERSION,
        "since": digest.since.isoformat(),
        "as_of": digest.as_of.isoformat(),
        "days": digest.days,
        "scope": {"kind": digest.scope.kind, "id": digest.scope.id},
    }
    payload.update({key: [digest_item_json(i) for i in items]
                    for key, _, items in digest.sections()})
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def digest_markdown(digest: Digest) -> str:
    """The review meeting's agenda as Markdown."""
    lines = [f"## {_md(digest.heading)}", ""]
    for key, heading, items in digest.sections():
        lines += [f"### {'🎉 ' if key == 'wins' else ''}{heading}", ""]
        if not items:
            lines += ["Nothing.", ""]
            continue
        for item in items:
            who = ", ".join(item.people) if item.people else digest.owner_name(item)
            lines.append(f"- **{_md(item.goal)}** ({_md(item.title)}): {_md(item.what)} "
                         f"— {_md(who)}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# --- import (SPEC §8) --------------------------------------------------------------------


def import_json(imported: Imported) -> str:
    """SPEC §8's ``import --format json`` shape (a public contract: keep it exact)."""
    plan = imported.plan
    payload = {
        "version": JSON_VERSION,
        "format": imported.format,
        "commit": imported.commit,
        "goals": [{"id": g.id, "path": g.path, "key_results": g.key_results,
                   "milestones": g.milestones} for g in plan.goals],
        "skipped": list(plan.skipped),
        "people_added": list(plan.people_added),
        "dropped": [{"row": d.row, "field": d.field, "value": d.value, "why": d.why}
                    for d in plan.dropped],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def sync_json(run: SyncRun) -> str:
    """SPEC §8 ``sync --format json``."""
    payload = {
        "version": JSON_VERSION,
        "as_of": run.as_of.isoformat(),
        "commit": run.commit,
        "results": [{"goal": r.goal, "kr": r.kr, "source": r.source, "old": r.old, "new": r.new,
                     "status": r.status, "error": r.error} for r in run.results],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def import_text(imported: Imported, source: str) -> str:
    """What an import wrote (or would write, with --dry-run), for people."""
    plan = imported.plan
    verb = "Imported" if imported.written else "Would import"
    lines = [f"{verb} {_plural(len(plan.goals), 'goal')} from {_one_line(source)} "
             f"({imported.format})" + (":" if plan.goals else ".")]
    for g in plan.goals:
        what = f"{_plural(g.key_results, 'key result')}, {_plural(g.milestones, 'milestone')}"
        lines.append(f"  {'~' if g.replaces else '+'} {g.path}  ({what})")
    if plan.skipped:
        lines.append(f"Skipped {_plural(len(plan.skipped), 'goal')} already in the repository "
                     f"(--update rewrites them): {', '.join(plan.skipped)}")
    if plan.people_added:
        lines.append(f"{'Added' if imported.written else 'Would add'} "
                     f"{_plural(len(plan.people_added), 'person')} to people.yaml: "
                     f"{', '.join(plan.people_added)}".replace("1 persons", "1 person")
                     .replace("persons", "people"))
    if plan.teams_added:
        lines.append(f"{'Added' if imported.written else 'Would add'} "
                     f"{_plural(len(plan.teams_added), 'team')} to teams.yaml: "
                     f"{', '.join(plan.teams_added)}")
    if plan.dropped:
        lines.append(f"Dropped {_plural(len(plan.dropped), 'value')} that goal files have "
                     "no place for:")
        lines += [f"  row {d.row if d.row is not None else '-'}, {_one_line(d.field)}: "
                  f"{_one_line(_clip(d.value))}: {d.why}" for d in plan.dropped]
    if imported.commit:
        lines.append(f"Committed {imported.commit[:10]}")
    return "\n".join(lines) + "\n"


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def sync_text(run: SyncRun) -> str:
    """One line per key result, failures saying which source and why, then a summary."""
    lines = []
    for r in run.results:
        where = f"{r.goal}/{r.kr}"
        if r.status == "failed":
            lines.append(f"failed     {where}: source `{r.source}`: {_one_line(r.error or '')}")
        elif r.status == "updated":
            lines.append(f"updated    {where}: {show_value(r.old)} -> {show_value(r.new)} "
                         f"({r.source})")
        else:
            lines.append(f"unchanged  {where}: {show_value(r.old)} ({r.source})")
    counts = Counter(r.status for r in run.results)
    summary = (f"{_plural(len(run.results), 'key result')}: {counts['updated']} updated, "
               f"{counts['unchanged']} unchanged, {counts['failed']} failed")
    if run.dry_run:
        summary += "; dry run, nothing written"
    lines.append(summary + ".")
    if run.commit:
        lines.append(f"Committed {run.commit[:10]}")
    return "\n".join(lines) + "\n"
