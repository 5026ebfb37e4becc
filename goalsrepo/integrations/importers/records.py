"""What a reader makes of an export, before anything in the repository is looked at.

Readers know a file format; they do not know people.yaml, teams or ids. They return
:class:`Draft` goals naming people, teams and periods as the export does, the values they
had no place for (:class:`Dropped`), and stop with :class:`ReadError` listing every cell
that a goal needs but that cannot be read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from goalsrepo.diagnostics import Diagnostic, make
from goalsrepo.errors import GoalsrepoError


@dataclass(frozen=True)
class Where:
    """A place in the file read: row (1 = the header of a CSV), column name and number,
    and the sheet of a workbook."""

    file: str
    row: int | None = None
    column: str | None = None
    number: int | None = None
    sheet: str | None = None

    @property
    def spot(self) -> str:
        return ":".join(str(x) for x in (self.file, self.row, self.number) if x is not None)

    @property
    def names(self) -> str:
        """The sheet, column letter and header, for a person looking at the spreadsheet."""
        names = []
        if self.sheet is not None:
            names.append(f"sheet {self.sheet!r}")
            if self.number is not None:
                names.append(f"column {column_letter(self.number)}")
        if self.column is not None:
            names.append(repr(self.column))
        return ", ".join(names)

    def diagnostic(self, message: str) -> Diagnostic:
        """The problem as a diagnostic (GR801) positioned at this row and column."""
        names = self.names
        return make("GR801", f"{names + ': ' if names else ''}{message}", self.file,
                    self.row, self.number)


def column_letter(number: int) -> str:
    """1 -> A, 27 -> AA: how spreadsheets name columns."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class ReadError(GoalsrepoError):
    """The file cannot be imported; every problem found, each with its place."""

    def __init__(self, problems: list[tuple[Where, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{where.spot}: {message}" for where, message in problems))

    @classmethod
    def at(cls, where: Where, message: str) -> ReadError:
        return cls([(where, message)])


@dataclass(frozen=True)
class Who:
    """A person as an export names them: by goalsrepo id, name or e-mail, or several."""

    name: str | None = None
    email: str | None = None
    id: str | None = None
    where: Where | None = None


@dataclass(frozen=True)
class Dropped:
    """A value the goal format has no place for, listed so nothing is lost silently."""

    row: int | None
    field: str
    value: str
    why: str


@dataclass
class Draft:
    """One goal as read. ``data`` holds what is already in goal-file shape (level, dates,
    status, description, key results, links ...); people, team, period and parents are
    resolved against the repository later. ``team_hint``/``period_hint`` are names that
    count only when they match a team or period the repository has (a Trello label)."""

    title: str
    where: Where
    id: str | None = None
    owner: Who | None = None
    contributors: list[Who] = field(default_factory=list)
    team: Who | None = None
    period: str | None = None
    team_hints: list[str] = field(default_factory=list)
    period_hints: list[str] = field(default_factory=list)
    aligns_to: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    key_results: list[dict[str, Any]] = field(default_factory=list)
    milestones: list[tuple[dict[str, Any], Who | None]] = field(default_factory=list)


@dataclass(frozen=True)
class Read:
    """A reader's result."""

    drafts: list[Draft]
    dropped: list[Dropped]
