"""``okr-csv``: the spreadsheet layout of OKR templates, one row per key result.

The objective is repeated on each of its rows, or left blank under its first row. Headers
are matched case-insensitively with their common synonyms (:data:`SYNONYMS`); ``--map
HEADER=FIELD`` names the field of any other header. A value in a column that maps to no
field is dropped and listed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from goalsrepo.integrations.importers import values
from goalsrepo.integrations.importers.records import Draft, Dropped, Read, ReadError, Where, Who
from goalsrepo.integrations.importers.tables import Cell, Table, open_table

SYNONYMS: dict[str, tuple[str, ...]] = {
    "objective": ("objective", "objectives", "goal", "goals", "objective title", "goal title",
                  "objective name", "goal name"),
    "key_result": ("key result", "key results", "kr", "krs", "key result title",
                   "key result name"),
    "owner": ("owner", "assignee", "email", "owner email", "assignee email", "owner name",
              "responsible", "dri"),
    "team": ("team", "department", "dept", "squad", "group", "team name"),
    "period": ("quarter", "period", "cycle", "time period", "timeframe"),
    "start": ("start", "baseline", "from", "start value", "initial value", "baseline value"),
    "target": ("target", "to", "target value", "goal value"),
    "current": ("current", "actual", "progress value", "current value", "actual value"),
    "unit": ("unit", "units", "metric unit", "unit of measure"),
    "due": ("due", "deadline", "due date", "end date", "target date"),
    "aligns_to": ("parent", "aligned to", "aligns to", "parent objective", "parent goal",
                  "alignment"),
    "description": ("description", "why", "rationale", "objective description"),
    "weight": ("weight", "kr weight"),
    "level": ("level",),
    "status": ("status", "objective status", "goal status"),
}
FIELDS = (*SYNONYMS, "ignore")
_KR_VALUES = ("start", "target", "current", "unit", "weight")
_LEVELS = {"organization": "organization", "organisation": "organization",
           "company": "organization", "org": "organization", "team": "team",
           "individual": "individual", "personal": "individual", "person": "individual"}
_STATUSES = frozenset({"draft", "active", "achieved", "missed", "dropped"})
_GOAL_FIELDS = ("team", "period", "due", "aligns_to", "description", "level", "status")


def _norm(header: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", header.casefold()).split())


def parse_map(pairs: tuple[str, ...]) -> dict[str, str]:
    """``HEADER=FIELD`` options as ``{normalised header: field}``; ValueError when wrong."""
    out = {}
    for pair in pairs:
        header, sep, name = pair.partition("=")
        if not sep or not header.strip() or name.strip() not in FIELDS:
            raise ValueError(f"`{pair}`: use HEADER=FIELD with FIELD one of "
                             f"{', '.join(FIELDS)}")
        out[_norm(header)] = name.strip()
    return out


def columns(header: list[str], mapping: Mapping[str, str]) -> dict[int, str]:
    """Column index -> field, the first column of each field winning."""
    lookup = {_norm(s): name for name, synonyms in SYNONYMS.items() for s in synonyms}
    lookup.update(mapping)
    found: dict[int, str] = {}
    for index, name in enumerate(header):
        field = lookup.get(_norm(name))
        if field is not None and (field == "ignore" or field not in found.values()):
            found[index] = field
    return found


def read(path: Path, shown: str, mapping: Mapping[str, str]) -> Read:
    with open_table(path, shown) as table:
        return _read(table, shown, mapping)


def _read(table: Table, shown: str, mapping: Mapping[str, str]) -> Read:
    fields = columns(table.header, mapping)
    if "objective" not in fields.values():
        raise ReadError.at(Where(shown, 1, sheet=table.sheet),
                           "no objective column (a header such as Objective or Goal); name "
                           "it with --map 'HEADER=objective'")
    reader = _Reader(table, fields)
    for number, cells in table.rows:
        reader.row(number, cells)
    if reader.problems:
        raise ReadError(reader.problems)
    return Read(list(reader.goals.values()), reader.dropped)


class _Reader:
    """Folds rows into drafts; collects every problem before giving up."""

    def __init__(self, table: Table, fields: dict[int, str]) -> None:
        self.table = table
        self.fields = fields
        self.goals: dict[str, Draft] = {}
        self.first_row: dict[tuple[str, str], int] = {}
        self.current: Draft | None = None
        self.dropped: list[Dropped] = []
        self.problems: list[tuple[Where, str]] = []

    def row(self, number: int, cells: list[Cell]) -> None:
        got: dict[str, tuple[int, Cell]] = {}
        for index, cell in enumerate(cells):
            field = self.fields.get(index)
            if field == "ignore" or values.text(cell) is None:
                continue
            if field is None:
                header = self.table.header[index] if index < len(self.table.header) else ""
                self.dropped.append(Dropped(
                    number, header or f"column {index + 1}", str(values.text(cell)),
                    "no goal field for this column; name one with --map 'HEADER=FIELD'"))
                continue
            got[field] = (index, cell)
        title = self._text(got, "objective")
        if title is not None:
            key = title.casefold()
            if key not in self.goals:
                self.goals[key] = Draft(title, self.table.where(number, got["objective"][0]))
            self.current = self.goals[key]
        elif self.current is None:
            self.problems.append((self.table.where(number, None),
                                  "the first row has no objective"))
            return
        goal = self.current
        assert goal is not None
        self._goal_fields(goal, number, got)
        self._key_result(goal, number, got)

    def _text(self, got: dict[str, tuple[int, Cell]], field: str) -> str | None:
        return values.text(got[field][1]) if field in got else None

    def _where(self, number: int, got: dict[str, tuple[int, Cell]], field: str) -> Where:
        return self.table.where(number, got[field][0] if field in got else None)

    def _parse(self, number: int, got: dict[str, tuple[int, Cell]], field: str,
               parse: Callable[[Any], Any]) -> Any:
        if field not in got:
            return None
        try:
            return parse(got[field][1])
        except ValueError as exc:
            self.problems.append((self._where(number, got, field), f"{field}: {exc}"))
            return None

    def _goal_fields(self, goal: Draft, number: int, got: dict[str, tuple[int, Cell]]) -> None:
        owner = self._text(got, "owner")
        if owner is not None:
            who = _who(owner, self._where(number, got, "owner"))
            if goal.owner is None:
                goal.owner = who
            elif who not in goal.contributors and who != goal.owner:
                goal.contributors.append(who)
        for field in _GOAL_FIELDS:
            value = self._goal_value(number, got, field)
            if value is None:
                continue
            first = self.first_row.setdefault((goal.title.casefold(), field), number)
            have = _have(goal, field)
            if have is None:
                _set(goal, field, value)
            elif have != value and first != number:
                self.dropped.append(Dropped(number, self.table.header[got[field][0]],
                                            str(value), f"the goal has {field} `{have}` "
                                            f"from row {first}"))

    def _goal_value(self, number: int, got: dict[str, tuple[int, Cell]], field: str) -> Any:
        if field == "due":
            return self._parse(number, got, "due", values.day)
        raw = self._text(got, field)
        if raw is not None and field == "aligns_to":
            return ";".join(v.strip() for v in re.split(r"[;\n]", raw) if v.strip()) or None
        if raw is None or field not in ("level", "status"):
            return raw
        known = _LEVELS.get(raw.casefold()) if field == "level" else (
            raw.casefold() if raw.casefold() in _STATUSES else None)
        if known is None:
            self.dropped.append(Dropped(number, self.table.header[got[field][0]], raw,
                                        f"not a goal {field}"))
        return known

    def _key_result(self, goal: Draft, number: int, got: dict[str, tuple[int, Cell]]) -> None:
        title = self._text(got, "key_result")
        given = [f for f in _KR_VALUES if f in got]
        if title is None:
            if given:
                self.problems.append((self._where(number, got, given[0]),
                                      "a key result value on a row without a key result "
                                      "title"))
            return
        kr: dict[str, Any] = {"title": title}
        marks = {f: values.done_word(got[f][1]) for f in ("start", "target", "current")
                 if f in got}
        if any(mark is not None for mark in marks.values()) and not any(
                _is_number(got[f][1]) for f in marks):
            kr["done"] = bool(marks.get("current"))
        elif any(f in got for f in ("start", "target", "current")):
            self._numbers(kr, number, got)
        else:
            kr["done"] = False  # a key result with no numbers: done or not
        weight = self._parse(number, got, "weight", values.number)
        if weight is not None:
            if weight[0] <= 0:
                self.problems.append((self._where(number, got, "weight"),
                                      f"weight: `{weight[0]}` is not above 0"))
            kr["weight"] = weight[0]
        goal.key_results.append(kr)

    def _numbers(self, kr: dict[str, Any], number: int, got: dict[str, tuple[int, Cell]],
                 ) -> None:
        parsed = {f: self._parse(number, got, f, values.number)
                  for f in ("start", "target", "current")}
        if parsed["target"] is None:
            if "target" not in got:
                self.problems.append((self._where(number, got, "target"),
                                      "target: the key result has numbers but no target"))
            return
        start = parsed["start"][0] if parsed["start"] else 0
        kr["unit"] = self._text(got, "unit") or (
            "%" if any(p and p[1] for p in parsed.values()) else None)
        if kr["unit"] is None:
            del kr["unit"]
        kr["start"], kr["target"] = start, parsed["target"][0]
        if parsed["current"] is not None:
            kr["current"] = parsed["current"][0]
        if start == kr["target"]:
            self.problems.append((self._where(number, got, "target"),
                                  f"target: `{kr['target']}` equals the start; give a "
                                  "start (baseline) the key result moves away from"))


def _who(text: str, where: Where) -> Who:
    if "@" in text and " " not in text:
        return Who(email=text, where=where)
    match = re.fullmatch(r"(.*?)\s*<([^<>@\s]+@[^<>\s]+)>", text)
    if match:
        return Who(name=match[1].strip('" ') or None, email=match[2], where=where)
    return Who(name=text, where=where)


def _have(goal: Draft, field: str) -> Any:
    if field == "team":
        return goal.team.name if goal.team else None
    if field == "period":
        return goal.period
    if field == "aligns_to":
        return ";".join(goal.aligns_to) or None
    return goal.data.get(field)


def _set(goal: Draft, field: str, value: Any) -> None:
    if field == "team":
        goal.team = Who(name=value)
    elif field == "period":
        goal.period = value
    elif field == "aligns_to":
        goal.aligns_to = value.split(";")
    else:
        goal.data[field] = value


def _is_number(cell: Cell) -> bool:
    try:
        return values.number(cell) is not None
    except ValueError:
        return False
