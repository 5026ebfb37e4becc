"""Periods as a sequence: which period follows another, and adding it to goalsrepo.yaml
(``rollover --create-period``) with an in-place edit that keeps the file's comments."""

from __future__ import annotations

import re
from datetime import date, timedelta

from goalsrepo.errors import GoalsrepoError
from goalsrepo.files import edit
from goalsrepo.files.config import Period

QUARTER = re.compile(r"(?P<year>\d{4})-(?P<q>[Qq])(?P<n>[1-4])")
FISCAL_YEAR = re.compile(r"(?P<fy>[Ff][Yy])(?P<year>\d{4})")


class PeriodError(GoalsrepoError):
    """No period can be said to follow this one."""


def following(period: Period) -> Period:
    """The period after ``period``: the next quarter for ``YYYY-Qn`` (three months from
    the day after its end), the next year for ``FYYYYY`` (twelve months). The id keeps the
    letters' case (``2026-Q4`` -> ``2027-Q1``, ``FY2026`` -> ``FY2027``)."""
    start = period.end + timedelta(days=1)
    if match := QUARTER.fullmatch(period.id):
        year, number = int(match["year"]), int(match["n"])
        year, number = (year + 1, 1) if number == 4 else (year, number + 1)
        return Period(f"{year}-{match['q']}{number}", start, _months_later(start, 3))
    if match := FISCAL_YEAR.fullmatch(period.id):
        return Period(f"{match['fy']}{int(match['year']) + 1}", start, _months_later(start, 12))
    raise PeriodError(f"cannot tell which period follows `{period.id}` (only YYYY-Qn and "
                      "FYYYYY ids have a known successor): add the next period to "
                      "goalsrepo.yaml by hand")


def _months_later(start: date, months: int) -> date:
    """The day before the same day ``months`` later: the last day of a span that starts
    on ``start`` (a span from the 1st ends on the last day of a month)."""
    if start.day > 28:  # not every month has that day
        raise PeriodError(f"a period starting on day {start.day} of a month has no "
                          "following period of whole months: add it by hand")
    total = start.month - 1 + months
    return date(start.year + total // 12, total % 12 + 1, start.day) - timedelta(days=1)


def add_period(config_text: str, period: Period) -> str:
    """goalsrepo.yaml's text with ``period`` appended to ``periods``, every other byte kept."""
    item: dict[str, edit.Scalar] = {"id": period.id, "start": period.start.isoformat(),
                                    "end": period.end.isoformat()}
    return edit.append_item(config_text, ("periods",), item)
