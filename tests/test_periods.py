"""Which period follows another (``rollover --create-period``), worked out by hand."""

from __future__ import annotations

from datetime import date

import pytest

from goalsrepo.files.config import Period
from goalsrepo.numbers.periods import PeriodError, add_period, following


@pytest.mark.parametrize(("period", "expected"), [
    (Period("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
     Period("2027-Q1", date(2027, 1, 1), date(2027, 3, 31))),
    (Period("2027-Q1", date(2027, 1, 1), date(2027, 3, 31)),
     Period("2027-Q2", date(2027, 4, 1), date(2027, 6, 30))),
    # a fiscal quarter that starts in February: three months from the day after its end
    (Period("2027-q2", date(2027, 2, 1), date(2027, 4, 30)),
     Period("2027-q3", date(2027, 5, 1), date(2027, 7, 31))),
    (Period("FY2026", date(2025, 4, 1), date(2026, 3, 31)),
     Period("FY2027", date(2026, 4, 1), date(2027, 3, 31))),
    (Period("fy2028", date(2028, 1, 1), date(2028, 12, 31)),  # a leap year
     Period("fy2029", date(2029, 1, 1), date(2029, 12, 31))),
])
def test_the_following_period(period: Period, expected: Period) -> None:
    assert following(period) == expected


def test_a_period_without_a_known_successor_is_refused() -> None:
    with pytest.raises(PeriodError, match="cannot tell which period follows `H1-2026`"):
        following(Period("H1-2026", date(2026, 1, 1), date(2026, 6, 30)))
    with pytest.raises(PeriodError, match="starting on day 31"):
        following(Period("2026-Q1", date(2025, 12, 1), date(2026, 1, 30)))


def test_adding_a_period_keeps_every_other_byte() -> None:
    text = ("# our quarters\nperiods:\n  - id: 2026-Q4  # this one\n    start: 2026-10-01\n"
            "    end: 2026-12-31\ntitle: Acme\n")
    new = add_period(text, Period("2027-Q1", date(2027, 1, 1), date(2027, 3, 31)))
    assert new == text.replace("    end: 2026-12-31\n", '    end: 2026-12-31\n  - id: 2027-Q1\n'
                               '    start: "2027-01-01"\n    end: "2027-03-31"\n')
