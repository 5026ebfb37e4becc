"""Rows of a spreadsheet, read from a hostile file without trusting it.

A CSV is streamed row by row (UTF-8 with or without BOM, comma, semicolon or tab, as
Excel and Google Sheets write it); a workbook is opened with openpyxl in read-only mode,
after its zip directory has shown that it does not expand beyond :data:`MAX_UNZIPPED`.
Formulas (``=HYPERLINK(...)``) arrive as their text and are never evaluated. Cells that
could not live in a goal file (a NUL, more than :data:`MAX_CELL` characters) stop the
import with their row and column.

Cell values are text, or for a workbook also numbers, booleans and datetimes.
"""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from goalsrepo.integrations.importers import values
from goalsrepo.integrations.importers.records import ReadError, Where

MAX_CELL = 128 * 1024  # csv's own field limit; a goal file may hold 1 MiB
MAX_ROWS = 200_000
MAX_UNZIPPED = 200 * 1024 * 1024
Cell = str | int | float | bool | datetime | date | None


@dataclass(frozen=True)
class Table:
    """The header and a stream of ``(row number, cells)``; ``sheet`` for a workbook."""

    file: str
    header: list[str]
    rows: Iterator[tuple[int, list[Cell]]]
    sheet: str | None = None

    def column(self, *names: str) -> int | None:
        """The index of the first column with one of these headers, case aside."""
        wanted = [n.casefold() for n in names]
        folded = [h.casefold() for h in self.header]
        return next((folded.index(n) for n in wanted if n in folded), None)

    def where(self, row: int | None, index: int | None) -> Where:
        column = self.header[index] if index is not None and index < len(self.header) else None
        return Where(self.file, row, column, None if index is None else index + 1, self.sheet)


@contextmanager
def open_table(path: Path, shown: str) -> Iterator[Table]:
    """The first sheet of a ``.xlsx`` workbook, or a CSV file, closed on leaving the
    ``with`` block however it is left; ``shown`` names the file in errors."""
    with ExitStack() as stack:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            yield _workbook(path, shown, stack)
        else:
            yield _csv(path, shown, stack)


def _csv(path: Path, shown: str, stack: ExitStack) -> Table:
    try:
        fh = stack.enter_context(open(path, encoding="utf-8-sig", newline=""))  # noqa: SIM115
        first = fh.readline(64 * 1024)
    except OSError as exc:
        raise ReadError.at(Where(shown), f"cannot read the file: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ReadError.at(Where(shown, 1), _not_utf8(path)) from None
    delimiter = max((",", ";", "\t"), key=first.count) if first else ","
    fh.seek(0)  # utf-8-sig drops the byte order mark again
    reader = csv.reader(fh, delimiter=delimiter, strict=False)
    try:
        header = [str(h).strip() for h in next(reader, [])]
    except (csv.Error, UnicodeDecodeError) as exc:
        raise ReadError.at(Where(shown, 1), _csv_problem(exc, path)) from None
    if not any(header):
        raise ReadError.at(Where(shown, 1), "the file has no header row")
    table = Table(shown, header, iter(()))
    return Table(shown, header, _csv_rows(reader, table, path))


def _csv_rows(reader: Any, table: Table, path: Path) -> Iterator[tuple[int, list[Cell]]]:
    number = 1  # records, not lines: a cell may hold line breaks
    while True:
        try:
            cells = next(reader, None)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ReadError.at(table.where(number + 1, None), _csv_problem(exc, path)) \
                from None
        if cells is None:
            return
        number += 1
        _check(table, number, cells)
        if any(c.strip() for c in cells):
            yield number, list(cells)


def _check(table: Table, number: int, cells: list[Any]) -> None:
    if number > MAX_ROWS:
        raise ReadError.at(table.where(number, None),
                           f"more than {MAX_ROWS:,} rows: split the file")
    texts = [c for c in cells if isinstance(c, str)]
    if not any("\x00" in c or len(c) > MAX_CELL for c in texts):
        return
    for index, cell in enumerate(cells):
        if isinstance(cell, str) and ("\x00" in cell or len(cell) > MAX_CELL):
            why = ("holds a NUL character" if "\x00" in cell else
                   f"holds more than {MAX_CELL // 1024} KiB of text")
            raise ReadError.at(table.where(number, index), f"the cell {why}; no goal file can")


def _csv_problem(exc: Exception, path: Path) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return _not_utf8(path)
    if "field larger than field limit" in str(exc):
        return f"a cell holds more than {MAX_CELL // 1024} KiB of text; no goal file can"
    return f"not a readable CSV file: {exc}"


def _not_utf8(path: Path) -> str:
    start = path.read_bytes()[:2] if path.stat().st_size else b""
    hint = " (it is UTF-16)" if start in (b"\xff\xfe", b"\xfe\xff") else ""
    return (f"{path.name} is not UTF-8 text{hint}: save it as \"CSV UTF-8\" (Excel) or "
            "download it as CSV (Google Sheets)")


def _workbook(path: Path, shown: str, stack: ExitStack) -> Table:
    try:
        with zipfile.ZipFile(path) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        raise ReadError.at(Where(shown), f"not an .xlsx workbook: {exc}") from None
    if unzipped > MAX_UNZIPPED:
        raise ReadError.at(Where(shown), f"the workbook would expand to {unzipped:,} bytes, "
                           f"more than the {MAX_UNZIPPED // 2**20} MiB allowed; refusing to "
                           "open it")
    import openpyxl

    try:
        # read_only streams the sheet; data_only=False keeps a formula as its text.
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
        stack.callback(book.close)
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header_cells = next(rows, ())
    except Exception as exc:  # openpyxl raises many kinds on a damaged or foreign file
        raise ReadError.at(Where(shown), f"not a readable .xlsx workbook: {exc}") from None
    header = ["" if h is None else str(h).strip() for h in header_cells]
    if not any(header):
        raise ReadError.at(Where(shown, 1, sheet=sheet.title), "the sheet has no header row")
    table = Table(shown, header, iter(()), sheet.title)
    return Table(shown, header, _sheet_rows(rows, table), sheet.title)


def _sheet_rows(rows: Iterator[tuple[Any, ...]], table: Table,
                ) -> Iterator[tuple[int, list[Cell]]]:
    number = 1
    while True:
        try:
            cells = next(rows, None)
        except Exception as exc:  # a damaged sheet: openpyxl raises many kinds
            raise ReadError.at(table.where(number + 1, None),
                               f"the sheet cannot be read: {exc}") from None
        if cells is None:
            return
        number += 1
        row = [_cell(v) for v in cells]
        _check(table, number, row)
        if any(c is not None and str(c).strip() for c in row):
            yield number, row


def _cell(value: Any) -> Cell:
    if value is None or isinstance(value, (str, int, float, bool, datetime, date)):
        return value
    return str(value)  # a time, a timedelta or an error value: its text


def cell(cells: list[Cell], index: int | None) -> Cell:
    """The cell at ``index``, None when the column is missing or the row is short."""
    return cells[index] if index is not None and index < len(cells) else None



@dataclass(frozen=True)
class Row:
    """One row's cells by field, ``columns`` mapping each field to its column (or None)."""

    table: Table
    number: int
    cells: list[Cell]
    columns: Mapping[str, int | None]

    def text(self, field: str) -> str | None:
        return values.text(cell(self.cells, self.columns.get(field)))

    def where(self, field: str) -> Where:
        return self.table.where(self.number, self.columns.get(field))

    def day(self, field: str, problems: list[tuple[Where, str]]) -> str | None:
        """The ISO date in the field's cell; a cell that is not a date goes to ``problems``."""
        try:
            return values.day(cell(self.cells, self.columns.get(field)))
        except ValueError as exc:
            problems.append((self.where(field), str(exc)))
            return None
