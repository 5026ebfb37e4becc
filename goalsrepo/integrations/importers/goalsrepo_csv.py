"""``goalsrepo-csv``: the layout of ``export --format okr-csv``, read back.

One row per key result, per milestone and per link, each repeating the goal's own fields
(a goal with none of them has one row of its own). Lists of ids are joined by ``;``. A
text cell that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``), or that
starts with ``'``, is written with one ``'`` in front, which the reader takes off again:
export then import gives back the same goals.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from goalsrepo.files.model import Goal
from goalsrepo.integrations.importers import values
from goalsrepo.integrations.importers.records import Draft, Dropped, Read, ReadError, Where, Who
from goalsrepo.integrations.importers.tables import Cell, Table, open_table

GOAL_COLUMNS = ("goal_id", "goal_title", "level", "owner", "team", "contributors", "period",
                "start", "due", "aligns_to", "status", "superseded_by", "continues",
                "description")
KR_COLUMNS = ("kr_id", "kr_title", "kr_unit", "kr_start", "kr_target", "kr_current",
              "kr_done", "kr_keep", "kr_weight", "kr_source")
MILESTONE_COLUMNS = ("milestone_title", "milestone_due", "milestone_done", "milestone_owner")
LINK_COLUMNS = ("link_title", "link_url")
COLUMNS = (*GOAL_COLUMNS, *KR_COLUMNS, *MILESTONE_COLUMNS, *LINK_COLUMNS)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")
_INT = re.compile(r"[+-]?\d+")


def write(goals: Iterable[Goal]) -> str:
    """The CSV text of ``goals``, every field of their files but ``x-`` extension keys."""
    out = io.StringIO()
    # CRLF rows (RFC 4180): the writer then quotes a cell holding a lone \r as well as \n.
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for goal in goals:
        head = [goal.id, goal.title, goal.level, goal.owner, goal.team,
                ";".join(goal.contributors), goal.period, goal.start, goal.due,
                ";".join(goal.aligns_to), goal.status, goal.superseded_by, goal.continues,
                goal.description]
        blank_kr = [None] * len(KR_COLUMNS)
        blank_ms = [None] * len(MILESTONE_COLUMNS)
        blank_link = [None] * len(LINK_COLUMNS)
        rows: list[list[Any]] = [
            [kr.id, kr.title, kr.unit, kr.start, kr.target, kr.current, kr.done, kr.keep,
             None if kr.weight == 1 and isinstance(kr.weight, int) else kr.weight,
             _source_cell(kr.source), *blank_ms, *blank_link]
            for kr in goal.key_results]
        rows += [[*blank_kr, m.title, m.due, m.done, m.owner, *blank_link]
                 for m in goal.milestones]
        rows += [[*blank_kr, *blank_ms, link.title, link.url] for link in goal.links]
        for row in rows or [[*blank_kr, *blank_ms, *blank_link]]:
            writer.writerow([_cell(v) for v in (*head, *row)])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _source_cell(source: str | dict[str, Any] | None) -> str | None:
    """A key result's source in one cell: its name, or its mapping as a JSON object."""
    if source is None or isinstance(source, str):
        return source
    return json.dumps(source, ensure_ascii=False)


def read(path: Path, shown: str) -> Read:
    with open_table(path, shown) as table:
        return _read(table, shown)


def _read(table: Table, shown: str) -> Read:
    index = {name: i for i, name in reversed(list(enumerate(table.header)))}
    missing = [c for c in ("goal_id", "goal_title", "owner") if c not in index]
    if missing:
        raise ReadError.at(Where(shown, 1), f"not a goalsrepo okr-csv export: no "
                           f"{', '.join(missing)} column")
    unknown = [h for h in table.header if h not in COLUMNS]
    drafts: dict[str, Draft] = {}
    problems: list[tuple[Where, str]] = []
    dropped: list[Dropped] = []
    for number, cells in table.rows:
        row = _Row(table.where, number, cells, index, problems)
        dropped += [Dropped(number, h, str(cells[table.header.index(h)]), "not a column of "
                            "the goalsrepo layout") for h in unknown
                    if table.header.index(h) < len(cells) and cells[table.header.index(h)]]
        goal_id = row.text("goal_id")
        if goal_id is None:
            problems.append((table.where(number, index["goal_id"]), "no goal_id"))
            continue
        goal = drafts.get(goal_id)
        if goal is None:
            goal = drafts[goal_id] = _goal(row, goal_id)
        _items(goal, row)
    if problems:
        raise ReadError(problems)
    return Read(list(drafts.values()), dropped)


class _Row:
    """One row's cells by column name, parsed strictly; problems collected."""

    def __init__(self, where: Callable[[int | None, int | None], Where], number: int,
                 cells: list[Cell], index: dict[str, int],
                 problems: list[tuple[Where, str]]) -> None:
        self.where, self.number, self.cells = where, number, cells
        self.index, self.problems = index, problems

    def raw(self, column: str) -> Cell:
        i = self.index.get(column)
        return self.cells[i] if i is not None and i < len(self.cells) else None

    def text(self, column: str) -> str | None:
        value = self.raw(column)
        if value is None or value == "":
            return None
        out = str(value)
        return out[1:] if out.startswith("'") else out

    def parse(self, column: str, parse: Callable[[str], Any]) -> Any:
        value = self.text(column)
        if value is None:
            return None
        try:
            return parse(value)
        except ValueError as exc:
            self.problems.append((self.where(self.number, self.index[column]), str(exc)))
            return None

    def ids(self, column: str) -> list[str]:
        return [v for v in (self.text(column) or "").split(";") if v]


def _number(text: str) -> int | float:
    if _INT.fullmatch(text):
        return int(text)
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"`{text}` is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"`{text}` is not a finite number")
    return number


def _bool(text: str) -> bool:
    if text not in ("true", "false"):
        raise ValueError(f"`{text}` is not true or false")
    return text == "true"


def _source(text: str) -> str | dict[str, Any]:
    if not text.startswith("{"):
        return text
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise ValueError(f"`{text}` is not a source: a name, or a JSON object such as "
                         '{"from": "jira", "query": "..."}')
    return value


def _iso(text: str) -> str:
    day = values.day(text)
    if day != text:
        raise ValueError(f"`{text}` is not a date (YYYY-MM-DD)")
    return day


def _goal(row: _Row, goal_id: str) -> Draft:
    where = row.where(row.number, row.index["goal_title"])
    title = row.text("goal_title")
    if title is None:
        row.problems.append((where, "no goal_title"))
    goal = Draft(title or goal_id, where, id=goal_id)
    owner = row.text("owner")
    goal.owner = Who(id=owner) if owner else None
    team = row.text("team")
    goal.team = Who(id=team) if team else None
    goal.period = row.text("period")
    goal.contributors = [Who(id=p) for p in row.ids("contributors")]
    goal.aligns_to = row.ids("aligns_to")
    for column in ("level", "status", "superseded_by", "continues", "description"):
        if (value := row.text(column)) is not None:
            goal.data[column] = value
    for column in ("start", "due"):
        if (value := row.parse(column, _iso)) is not None:
            goal.data[column] = value
    return goal


def _items(goal: Draft, row: _Row) -> None:
    if row.text("kr_id") is not None or row.text("kr_title") is not None:
        kr: dict[str, Any] = {"id": row.text("kr_id"), "title": row.text("kr_title")}
        for key in ("unit", "keep"):
            if (text := row.text(f"kr_{key}")) is not None:
                kr[key] = text
        for key in ("start", "target", "current", "weight"):
            if (number := row.parse(f"kr_{key}", _number)) is not None:
                kr[key] = number
        if (done := row.parse("kr_done", _bool)) is not None:
            kr["done"] = done
        if (source := row.parse("kr_source", _source)) is not None:
            kr["source"] = source
        goal.key_results.append(kr)
    if row.text("milestone_title") is not None:
        milestone: dict[str, Any] = {"title": row.text("milestone_title")}
        if (due := row.parse("milestone_due", _iso)) is not None:
            milestone["due"] = due
        if row.parse("milestone_done", _bool):
            milestone["done"] = True
        owner = row.text("milestone_owner")
        goal.milestones.append((milestone, Who(id=owner) if owner else None))
    if row.text("link_url") is not None:
        link = {"url": row.text("link_url")}
        if (title := row.text("link_title")) is not None:
            link["title"] = title
        goal.data.setdefault("links", []).append(link)
