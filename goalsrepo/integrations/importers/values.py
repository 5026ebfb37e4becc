"""Cell values as the goal format wants them: numbers as spreadsheets write them (``45%``,
``1,234.5``, ``12,5``), dates in the forms exports use, done words, plain text, slugs.

Each parser returns None for an empty cell and raises :class:`ValueError` with a reason
for a cell it cannot read; the reader adds the row and column.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime
from typing import Any

from goalsrepo.validate import unsafe_as_file_name

DONE = frozenset({"done", "yes", "y", "true", "complete", "completed", "achieved", "✓",
                  "✔", "☑", "x"})
NOT_DONE = frozenset({"not done", "not-done", "no", "n", "false", "todo", "to do",
                      "open", "incomplete", "✗", "✘", "☐"})
_GROUPING = re.compile(r"[\s'\u00a0\u202f]")
_DOT_THOUSANDS = re.compile(r"[+-]?\d{1,3}(\.\d{3})+")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
_WORD = re.compile(r"[a-z0-9]+")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[/ -]([A-Za-z]{3})[a-z]*[/ -](\d{2}|\d{4})\b")
_MONTH_DAY_YEAR = re.compile(r"([A-Za-z]{3})[a-z]* (\d{1,2}),? (\d{4})\b")
_NUMERIC_DATE = re.compile(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4}|\d{2})\b")


def text(value: Any) -> str | None:
    """A cell as text with its line breaks made ``\\n``; None when empty."""
    if value is None:
        return None
    if not isinstance(value, str):
        value = str(int(value) if isinstance(value, float) and value.is_integer() else value)
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.strip() or None


def number(value: Any) -> tuple[float | int, bool] | None:
    """A number and whether it was written as a percentage; None for an empty cell."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(f"`{value}` is not a number")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ValueError(f"`{value}` is not a finite number")
        return value, False
    raw = str(value).strip()
    if raw.isascii() and raw.isdigit():
        return int(raw), False  # the common case, without the regular expressions
    percent = raw.endswith("%")
    body = _GROUPING.sub("", raw.rstrip("%"))  # 1 234 and 1'234 too
    if "," in body and "." in body:  # the later one is the decimal mark
        thousands = "," if body.rfind(".") > body.rfind(",") else "."
        body = body.replace(thousands, "").replace(",", ".")
    elif body.count(",") > 1 or _THOUSANDS.fullmatch(body):
        body = body.replace(",", "")
    elif body.count(",") == 1:
        body = body.replace(",", ".")  # a decimal comma (semicolon CSV, European locale)
    elif body.count(".") > 1 and _DOT_THOUSANDS.fullmatch(body):
        body = body.replace(".", "")
    if not _NUMBER.fullmatch(body):
        raise ValueError(f"`{raw}` is not a number")
    result = float(body)
    if not math.isfinite(result):
        raise ValueError(f"`{raw}` is not a finite number")
    return (int(result) if result.is_integer() and abs(result) < 2**53
            and not any(c in body for c in ".eE") else result), percent


def done_word(value: Any) -> bool | None:
    """True for done/yes/✓, False for not done/no/✗, None for anything else."""
    if isinstance(value, bool):
        return value
    if not isinstance(value, str):
        return None
    word = value.strip().lower()
    return True if word in DONE else False if word in NOT_DONE else None


def day(value: Any) -> str | None:
    """An ISO date (YYYY-MM-DD) from an ISO date or timestamp, ``24/Mar/26 12:00 AM``
    (Jira), ``Mar 24, 2026``, ``24.03.2026`` or a workbook's date; None when empty. A
    numeric date that could be read day-first or month-first is refused."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raw = str(value).strip()
    if not raw:
        return None
    try:
        if _ISO.match(raw):
            return date.fromisoformat(raw[:10]).isoformat()
        if m := _DAY_MONTH_YEAR.match(raw):
            return _make(m[3], _month(m[2]), m[1])
        if m := _MONTH_DAY_YEAR.match(raw):
            return _make(m[3], _month(m[1]), m[2])
        if m := _NUMERIC_DATE.match(raw):
            first, second = int(m[1]), int(m[2])
            if first > 12 or raw[m.end(1)] == ".":
                return _make(m[3], second, first)
            if second > 12:
                return _make(m[3], first, second)
            raise ValueError(f"`{raw}` could be day/month or month/day: write it as "
                             "YYYY-MM-DD")
    except (ValueError, KeyError) as exc:
        if "could be" in str(exc):
            raise
        raise ValueError(f"`{raw}` is not a date") from None
    raise ValueError(f"`{raw}` is not a date (write YYYY-MM-DD)")


def _month(name: str) -> int:
    return _MONTHS[name[:3].lower()]


def _make(year: str, month: int, day_of_month: str | int) -> str:
    full = int(year) + (2000 if len(year) == 2 else 0)
    return date(full, int(month), int(day_of_month)).isoformat()


def slug(title: str, fallback: str = "goal", limit: int = 64) -> str:
    """An id from a title: ASCII letters and digits joined by hyphens, at most ``limit``
    characters cut at a word, never a name Windows reserves; ``fallback`` when nothing is
    left (a title in a script with no ASCII letters)."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = _WORD.findall(ascii_text.lower())
    out = ""
    for word in words:
        joined = f"{out}-{word}" if out else word
        if len(joined) > limit:
            out = out or word[:limit]
            break
        out = joined
    out = out or fallback
    return f"{out[:limit - 2]}-1" if unsafe_as_file_name(out) else out


def unique(base: str, taken: set[str], limit: int = 64) -> str:
    """``base``, or ``base-2``, ``base-3`` ... the first not in ``taken``; added to it."""
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        suffix = f"-{n}"
        candidate = base[:limit - len(suffix)].rstrip("-") + suffix
    taken.add(candidate)
    return candidate
