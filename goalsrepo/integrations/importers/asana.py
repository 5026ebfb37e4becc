"""``asana``: Asana's project CSV export ("Export/Print > CSV").

Each top-level task is a goal; a subtask (its ``Parent task`` holds the parent's name) is
a milestone of the goal of that name. ``Section/Column`` and ``Tags`` name the goal's team
or period when they match one the repository has.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from goalsrepo.integrations.importers.records import Draft, Dropped, Read, ReadError, Where, Who
from goalsrepo.integrations.importers.tables import Row, Table, open_table


def read(path: Path, shown: str) -> Read:
    with open_table(path, shown) as table:
        return _read(table, shown)


def _read(table: Table, shown: str) -> Read:
    col = {name: table.column(header) for name, header in {
        "name": "Name", "section": "Section/Column", "assignee": "Assignee",
        "email": "Assignee Email", "start": "Start Date", "due": "Due Date",
        "completed": "Completed At", "notes": "Notes", "parent": "Parent task",
        "tags": "Tags",
    }.items()}
    if col["name"] is None or table.column("Task ID") is None:
        raise ReadError.at(Where(shown, 1), "not an Asana CSV export: no Task ID and Name "
                                            "columns")
    goals: list[Draft] = []
    by_name: dict[str, Draft] = {}
    subtasks: list[tuple[int, str, dict[str, Any], Who | None]] = []
    problems: list[tuple[Where, str]] = []
    for number, cells in table.rows:
        row = Row(table, number, cells, col)
        title = row.text("name")
        if title is None:
            problems.append((row.where("name"), "the task has no name"))
            continue
        name, email = row.text("assignee"), row.text("email")
        who = Who(name=name, email=email, where=row.where("assignee")) \
            if name or email else None
        dates = {key: row.day(key, problems) for key in ("start", "due")}
        done = row.text("completed") is not None
        parent = row.text("parent")
        if parent is not None:
            milestone: dict[str, Any] = {"title": title}
            if dates["due"]:
                milestone["due"] = dates["due"]
            if done:
                milestone["done"] = True
            subtasks.append((number, parent, milestone, who))
            continue
        goal = Draft(title, row.where("name"), owner=who)
        hints = [row.text("section"), *(t.strip() for t in (row.text("tags") or "").split(","))]
        goal.team_hints = [h for h in hints if h]
        goal.period_hints = list(goal.team_hints)
        goal.data.update({k: v for k, v in dates.items() if v})
        if done:
            goal.data["status"] = "achieved"
        if notes := row.text("notes"):
            goal.data["description"] = notes
        goals.append(goal)
        by_name.setdefault(title.casefold(), goal)
    if problems:
        raise ReadError(problems)
    dropped: list[Dropped] = []
    for number, parent, milestone, who in subtasks:
        found = by_name.get(parent.casefold())
        if found is None:
            dropped.append(Dropped(number, "Name", milestone["title"],
                                   f"a subtask of `{parent}`, which is not a top-level task"))
        else:
            found.milestones.append((milestone, who))
    return Read(goals, dropped)

