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
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from goalsrepo import alignment
from goalsrepo.checkin import show_value
from goalsrepo.diagnostics import Diagnostic, Severity
from goalsrepo.diff import GoalsDiff
from goalsrepo.digest import Digest, Item
from goalsrepo.events import Author, Change, Event
from goalsrepo.progress import GoalStatus, clamp
from goalsrepo.validate import ValidationResult

if TYPE_CHECKING:
    from goalsrepo.sync import SyncRun

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
    filled = round(clamp(value) * width)
    return "█" * filled + "░" * (width - filled)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{round(value * 100)}%"


def status_text(statuses: list[GoalStatus], as_of: date, commit: str | None,
                color: bool = False) -> str:
    """The terminal table of ``status``: one goal per line, needs-attention first."""
    rows = [("GOAL", "PROGRESS", "", "EXPECTED", "HEALTH", "STALE", "OWNER", "DUE")]
    for s in statuses:
        rows.append((s.goal.id, bar(s.progress), _percent(s.progress), _percent(s.expected),
                     s.health, "stale" if s.stale else "", s.goal.owner, _iso(s.due) or "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row)]
        if color and n and row[4] in _HEALTH_COLORS:
            cells[4] = f"\x1b[{_HEALTH_COLORS[row[4]]}m{cells[4]}\x1b[0m"
        lines.append("  ".join(cells).rstrip())
    where = f" at {commit[:10]}" if commit else ""
    counts = Counter(s.health for s in statuses)
    summary = ", ".join(f"{counts[h]} {h.replace('_', ' ')}" for h in HEALTH_ORDER if counts[h])
    lines.append(f"{_plural(len(statuses), 'goal')} as of {as_of}{where}"
                 + (f": {summary}" if summary else ""))
    return "\n".join(lines) + "\n"


def tree_nodes(statuses: list[GoalStatus]) -> tuple[list[dict[str, Any]], list[str]]:
    """The alignment graph as nested nodes, and the orphans (SPEC §8 ``tree``); a goal with
    several parents appears under each of them."""
    by_id = {s.goal.id: s for s in statuses}
    parents = {s.goal.id: s.goal.aligns_to for s in statuses}
    kids = alignment.children(parents)

    def node(goal_id: str, above: frozenset[str]) -> dict[str, Any]:
        s = by_id[goal_id]
        children = [node(k, above | {goal_id}) for k in kids.get(goal_id, ())
                    if k in by_id and k not in above]
        return {"id": goal_id, "title": s.goal.title, "level": s.goal.level,
                "progress": fraction(s.progress), "children": children}

    levels = {s.goal.id: s.goal.level for s in statuses}
    roots, orphans = alignment.roots_and_orphans(parents, levels)
    return [node(r, frozenset()) for r in roots], orphans


def tree_json(statuses: list[GoalStatus], as_of: date) -> str:
    roots, orphans = tree_nodes(statuses)
    payload = {"version": JSON_VERSION, "as_of": as_of.isoformat(), "roots": roots,
               "orphans": orphans}
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def tree_text(statuses: list[GoalStatus], as_of: date) -> str:
    """The alignment tree, indented, with roll-up progress; a goal shown under several
    parents is marked with ``*`` after its first appearance."""
    roots, orphans = tree_nodes(statuses)
    lines: list[str] = []
    shown: set[str] = set()

    def walk(node: dict[str, Any], depth: int) -> None:
        again = " *" if node["id"] in shown else ""
        shown.add(node["id"])
        lines.append(f"{'  ' * depth}{bar(node['progress'], 8)} {_percent(node['progress']):>4}"
                     f"  {node['id']}{again}  {node['title']}")
        for child in node["children"]:
            walk(child, depth + 1)

    for root in roots:
        walk(root, 0)
    if orphans:
        lines += ["", "Aligned to nothing:"] + [f"  {o}" for o in orphans]
    if any(line.endswith("*") or " * " in line for line in lines):
        lines += ["", "* also shown under another parent"]
    lines.append(f"as of {as_of}")
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
    """One event; a merge credited to several people names the first as ``author``."""
    return {
        "commit": event.commit.id,
        "date": event.commit.date.isoformat(),
        "author": author_json(event.commit.authors[0], people),
        "message": event.commit.message,
        "kind": event.kind,
        "changes": [change_json(c) for c in event.changes],
    }


def history_json(goal_id: str, events: list[Event], people: Mapping[str, str]) -> str:
    payload = {"version": JSON_VERSION, "goal": goal_id,
               "events": [event_json(e, people) for e in events]}
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
                 names: Mapping[str, str]) -> str:
    """Every event of a goal, oldest first, with who, what moved and why."""
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
    if not lines:
        lines.append(f"no history for {goal_id}")
    return "\n".join(lines) + "\n"


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
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


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
    payload = {
        "version": JSON_VERSION,
        "since": digest.since.isoformat(),
        "as_of": digest.as_of.isoformat(),
        "moved": [digest_item_json(i) for i in digest.moved],
        "wins": [digest_item_json(i) for i in digest.wins],
        "at_risk": [digest_item_json(i) for i in digest.at_risk],
        "stale": [digest_item_json(i) for i in digest.stale],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def digest_markdown(digest: Digest) -> str:
    """The review meeting's agenda as Markdown."""
    lines = [f"## {_md(digest.title)}: goals review, {digest.since} to {digest.as_of}", ""]
    sections = (("Progress moved", digest.moved), ("🎉 Wins to celebrate", digest.wins),
                ("At risk or off track", digest.at_risk), ("Stale: no recent check-in",
                                                           digest.stale))
    for heading, items in sections:
        lines += [f"### {heading}", ""]
        if not items:
            lines += ["Nothing.", ""]
            continue
        for item in items:
            who = ", ".join(item.people) if item.people else f"owner {item.owner}"
            lines.append(f"- **{_md(item.goal)}** ({_md(item.title)}): {_md(item.what)} "
                         f"— {_md(who)}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


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
