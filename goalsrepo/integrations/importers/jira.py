"""``jira``: Jira's CSV export of issues ("Export CSV (all fields)" or "(current fields)").

Each epic (or each issue of ``--goal-type``) is a goal; the issues whose ``Parent`` /
``Parent id`` (the parent's issue id), ``Parent key`` or ``Custom field (Epic Link)`` (the
epic's key) name it are its milestones. Descriptions in Jira wiki markup become Markdown
where the markup maps simply (:func:`markdown`), and stay text otherwise.
"""

from __future__ import annotations

import re
from pathlib import Path

from goalsrepo.integrations.importers import values
from goalsrepo.integrations.importers.records import Draft, Dropped, Read, ReadError, Where, Who
from goalsrepo.integrations.importers.tables import Row, Table, cell, open_table

DONE_STATUSES = frozenset({"done", "closed", "resolved", "complete", "completed"})


def read(path: Path, shown: str, goal_type: str | None = None) -> Read:
    with open_table(path, shown) as table:
        return _read(table, shown, goal_type)


def _read(table: Table, shown: str, goal_type: str | None) -> Read:
    col = {name: table.column(*headers) for name, headers in {
        "summary": ("Summary",), "key": ("Issue key",), "id": ("Issue id",),
        "type": ("Issue Type",), "status": ("Status",), "category": ("Status Category",),
        "assignee": ("Assignee",), "due": ("Due date", "Due Date"),
        "start": ("Custom field (Start date)", "Start date"),
        "description": ("Description",), "parent": ("Parent id", "Parent"),
        "parent_key": ("Parent key",), "epic_link": ("Custom field (Epic Link)", "Epic Link"),
    }.items()}
    missing = [h for h, c in (("Summary", col["summary"]), ("Issue Type", col["type"]))
               if c is None]
    if missing:
        raise ReadError.at(Where(shown, 1), f"not a Jira CSV export: no {', '.join(missing)} "
                           "column")
    labels = [i for i, h in enumerate(table.header) if h.casefold() in ("labels", "fix versions",
                                                                       "fix version/s")]
    wanted = (goal_type or "Epic").casefold()
    goals: dict[str, Draft] = {}
    children: list[tuple[int, dict[str, str | None], Who | None, list[str]]] = []
    problems: list[tuple[Where, str]] = []
    for number, cells in table.rows:
        row = Row(table, number, cells, col)
        text = row.text
        title = text("summary")
        if title is None:
            problems.append((row.where("summary"), "the issue has no summary"))
            continue
        refs = [r for r in (text("parent"), text("parent_key"), text("epic_link")) if r]
        assignee = text("assignee")
        who = Who(name=assignee, where=row.where("assignee")) if assignee else None
        done = _done(text("category"), text("status"))
        due = row.day("due", problems)
        if (text("type") or "").casefold() == wanted:
            goal = Draft(title, row.where("summary"), owner=who)
            goal.team_hints = [v for i in labels if (v := values.text(cell(cells, i)))]
            goal.period_hints = list(goal.team_hints)
            if due:
                goal.data["due"] = due
            start = row.day("start", problems)
            if start:
                goal.data["start"] = start
            if done:
                goal.data["status"] = "achieved"
            if description := text("description"):
                goal.data["description"] = markdown(description)
            for ref in (text("id"), text("key")):
                if ref:
                    goals[ref] = goal
            continue
        item: dict[str, str | None] = {"title": title, "due": due, "done": "1" if done else None,
                                       "type": text("type")}
        children.append((number, item, who, refs))
    if problems:
        raise ReadError(problems)
    dropped = []
    for number, item, who, refs in children:
        parent = next((goals[r] for r in refs if r in goals), None)
        if parent is None:
            dropped.append(Dropped(number, "Summary", item["title"] or "",
                                   f"a {item['type'] or 'issue'} that is neither a goal "
                                   f"({goal_type or 'Epic'}) nor a goal's child"))
            continue
        milestone: dict[str, object] = {"title": item["title"]}
        if item["due"]:
            milestone["due"] = item["due"]
        if item["done"]:
            milestone["done"] = True
        parent.milestones.append((milestone, who))
    unique = list({id(g): g for g in goals.values()}.values())
    return Read(unique, dropped)


def _done(category: str | None, status: str | None) -> bool:
    """Done when the status category is Done; without that column, by the status name."""
    if category is not None:
        return category.casefold() == "done"
    return (status or "").casefold() in DONE_STATUSES



_HEADING = re.compile(r"^h([1-6])\.\s+", re.M)
_LINK = re.compile(r"\[([^\[\]|]+)\|((?:https?|mailto):[^\[\]|\s]+)\]")
_BARE_LINK = re.compile(r"\[((?:https?|mailto):[^\[\]|\s]+)\]")
_BOLD = re.compile(r"(?<![\w*])\*(\S(?:[^*\n]*\S)?)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(\S(?:[^_\n]*\S)?)_(?![\w_])")
_MONO = re.compile(r"\{\{(.+?)\}\}")
_BULLET = re.compile(r"^(\*+|-)\s+", re.M)
_NUMBERED = re.compile(r"^(#+)\s+", re.M)
_QUOTE = re.compile(r"^bq\.\s+", re.M)
_BLOCK = re.compile(r"(?<!\{)\{(code|noformat)(?::[^}]*)?\}(?!\})")


def markdown(text: str) -> str:
    """Jira wiki markup as Markdown, for what maps one to one: headings, bold, italic,
    monospace, links, lists, quotes and code blocks. Anything else stays as written."""
    parts = _BLOCK.split(text)
    out = []
    inside = False
    for n, part in enumerate(parts):
        if n % 2 == 1:  # the name of a {code}/{noformat} marker
            out.append("```")
            inside = not inside
            continue
        if inside:
            out.append(part)
            continue
        part = _NUMBERED.sub(lambda m: "   " * (len(m[1]) - 1) + "1. ", part)
        part = _HEADING.sub(lambda m: "#" * int(m[1]) + " ", part)
        part = _BULLET.sub(lambda m: "  " * (len(m[1]) - 1) + "- ", part)
        part = _QUOTE.sub("> ", part)
        part = _LINK.sub(r"[\1](\2)", part)
        part = _BARE_LINK.sub(r"<\1>", part)
        part = _MONO.sub(r"`\1`", part)
        part = _BOLD.sub(r"**\1**", part)
        part = _ITALIC.sub(r"*\1*", part)
        out.append(part)
    return "".join(out)
