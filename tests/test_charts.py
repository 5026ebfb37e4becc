"""Key-result charts: well-formed SVG whose shapes sit where the numbers say."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from msgspec.structs import replace

from goalsrepo.web.charts import Series, expected_value, kr_chart, value_label

SVG = "{http://www.w3.org/2000/svg}"
CLASSES = {"chart", "chart-actual", "chart-dot", "chart-expected", "chart-target",
           "chart-today", "chart-axis", "chart-label"}
START, DUE, AS_OF = date(2026, 10, 1), date(2026, 12, 31), date(2026, 11, 15)
DEPLOY = Series(
    points=((START, 45.0), (date(2026, 10, 20), 38.0), (date(2026, 11, 10), 30.0)),
    start=START,
    due=DUE,
    as_of=AS_OF,
    baseline=45.0,
    target=10.0,
    unit="min",
    lower_is_better=True,
)
CONTROL = Series(
    points=((date(2026, 10, 3), 6.0), (date(2026, 11, 12), 3.2)),
    start=START,
    due=DUE,
    as_of=AS_OF,
    baseline=None,
    target=5.0,
    unit="%",
    lower_is_better=True,
)


def numbers(text: str) -> list[float]:
    return [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", text)]


class Chart:
    """The parsed SVG, with the plot area read back from its axis path."""

    def __init__(self, series: Series, label: str = "Median deploy time", cid: str = "c") -> None:
        self.markup = str(kr_chart(series, label, cid))
        self.root = ET.fromstring(self.markup)  # fails unless well-formed XML
        axis = self.one("chart-axis")
        self.left, self.top, self.bottom, self.right = numbers(axis.attrib["d"])

    def all(self, cls: str) -> list[ET.Element]:
        return [e for e in self.root.iter() if cls in e.attrib.get("class", "").split()]

    def one(self, cls: str) -> ET.Element:
        (element,) = self.all(cls)
        return element

    def x(self, day: date, first: date, last: date) -> float:
        """Where a day falls on an axis from first to last, computed here independently."""
        return self.left + (day - first).days / (last - first).days * (self.right - self.left)

    def step(self) -> list[tuple[float, float]]:
        """The vertices of the actual line's path, whose commands are M, L, H and V."""
        d = self.one("chart-actual").attrib["d"]
        assert re.fullmatch(r"M[^A-Za-z]+(?:[LHV][^A-Za-z]+)*", d)
        vertices: list[tuple[float, float]] = []
        for command, args in re.findall(r"([MLHV])([^MLHV]*)", d):
            a = numbers(args)
            if command in "ML":
                vertices.append((a[0], a[1]))
            elif command == "H":
                vertices.append((a[0], vertices[-1][1]))
            else:
                vertices.append((vertices[-1][0], a[0]))
        return vertices

    def text(self, tag: str) -> str:
        element = self.root.find(SVG + tag)
        assert element is not None
        return element.text or ""


def close(a: float, b: float) -> bool:
    return abs(a - b) <= 0.15  # coordinates are written with one decimal


def test_the_svg_is_responsive_accessible_and_free_of_inline_styles() -> None:
    chart = Chart(DEPLOY, cid="kr-deploy-time")
    root = chart.root
    assert root.tag == SVG + "svg" and root.attrib["role"] == "img"
    assert root.attrib["width"] == "100%" and "height" not in root.attrib
    assert numbers(root.attrib["viewBox"])[:2] == [0, 0]
    ids = root.attrib["aria-labelledby"].split()
    assert ids == ["kr-deploy-time-title", "kr-deploy-time-desc"]
    assert [e.tag for e in root if e.attrib.get("id") in ids] == [SVG + "title", SVG + "desc"]
    assert chart.text("title") == "Median deploy time"
    for element in root.iter():
        assert "style" not in element.attrib
        assert set(element.attrib.get("class", "chart").split()) <= CLASSES
    assert chart.one("chart-actual").attrib["fill"] == "none"
    assert "stroke-dasharray" in chart.one("chart-expected").attrib


def test_the_desc_says_where_the_key_result_is_and_should_be() -> None:
    # expected at T: 45 + (10 - 45) * 45 / 91 = 27.69..., shown with one decimal
    assert Chart(DEPLOY).text("desc") == (
        "Median deploy time went from 45 min on 2026-10-01 to 30 min on 2026-11-10;"
        " expected by now: 27.7 min; target 10 min by 2026-12-31."
    )
    assert Chart(CONTROL, "Change failure rate").text("desc") == (
        "Change failure rate went from 6% on 2026-10-03 to 3.2% on 2026-11-12;"
        " keep at or below 5%."
    )


def test_the_step_line_holds_each_value_until_the_next_check_in() -> None:
    chart = Chart(DEPLOY)
    (d0, _), (d1, _), (d2, _) = DEPLOY.points
    x0, x1, x2 = (chart.x(d, START, DUE) for d in (d0, d1, d2))
    today = chart.x(AS_OF, START, DUE)
    step = chart.step()
    assert [x for x, _ in step] == pytest.approx([x0, x1, x1, x2, x2, today], abs=0.15)
    y45, y38, y30 = step[0][1], step[2][1], step[4][1]
    assert step[1][1] == y45 and step[3][1] == y38 and step[5][1] == y30
    assert chart.top < y45 < y38 < y30 < chart.bottom  # lower values are drawn lower
    assert (y38 - y45) / (y30 - y45) == pytest.approx(7 / 15, abs=0.01)  # linear in value
    dots = [(float(c.attrib["cx"]), float(c.attrib["cy"])) for c in chart.all("chart-dot")]
    assert dots == [step[0], step[2], step[4]]


def test_the_expected_line_runs_from_start_value_to_target() -> None:
    chart = Chart(DEPLOY)
    line = chart.one("chart-expected").attrib
    y45 = chart.step()[0][1]
    target_y = float(chart.one("chart-target").attrib["y1"])
    assert close(float(line["x1"]), chart.left) and close(float(line["x2"]), chart.right)
    assert close(float(line["y1"]), y45) and close(float(line["y2"]), target_y)
    y30 = chart.step()[-1][1]
    assert y30 < target_y  # 30 min sits above the 10 min target
    # Where the today marker crosses the expected line is the expected value, 27.69 min.
    today = float(chart.one("chart-today").attrib["x1"])
    share = (today - chart.left) / (chart.right - chart.left)
    assert share == pytest.approx(45 / 91, abs=0.001)
    crossing = float(line["y1"]) + share * (float(line["y2"]) - float(line["y1"]))
    y_of_expected = y45 + (45 + (10 - 45) * 45 / 91 - 45) / (30 - 45) * (y30 - y45)
    assert crossing == pytest.approx(y_of_expected, abs=0.3)


def test_the_today_marker_sits_between_the_axes() -> None:
    chart = Chart(DEPLOY)
    marker = chart.one("chart-today").attrib
    assert marker["x1"] == marker["x2"]
    assert chart.left < float(marker["x1"]) < chart.right
    assert close(float(marker["x1"]), chart.x(AS_OF, START, DUE))


def test_axis_labels_show_extremes_target_and_the_first_and_last_day() -> None:
    labels = [e.text for e in Chart(DEPLOY).all("chart-label")]
    assert {"10 min", "45 min", "2026-10-01", "2026-12-31", "today"} <= set(labels)
    assert "30 min" not in labels


def test_a_control_key_result_has_a_threshold_and_no_expected_line() -> None:
    chart = Chart(CONTROL)
    assert chart.all("chart-expected") == []
    target = chart.one("chart-target").attrib
    assert target["y1"] == target["y2"] and "stroke-dasharray" in target
    y6, y32 = chart.step()[0][1], chart.step()[-1][1]
    assert y6 < float(target["y1"]) < y32  # 6 above the 5% line, 3.2 below it


def test_hostile_label_and_unit_stay_text() -> None:
    label = "<script>alert(1)</script> \"q\" 'a' ]]> &amp; <![CDATA[x]]> \x01\u202eRTL"
    unit = '</text><script>x</script>"'
    series = Series(((START, 1.0),), START, DUE, AS_OF, 0.0, 2.0, unit, False)
    chart = Chart(series, label, 'id"><script>')
    assert "<script" not in chart.markup and "]]>" not in chart.markup
    assert chart.text("title") == label.replace("\x01", "")
    assert "1 </text><script>x</script>\" on 2026-10-01" in chart.text("desc")
    assert chart.root.attrib["aria-labelledby"] == 'id"><script>-title id"><script>-desc'


def test_charts_are_deterministic() -> None:
    assert kr_chart(DEPLOY, "x", "c") == kr_chart(DEPLOY, "x", "c")


def edge(**changes: object) -> Series:
    return replace(DEPLOY, **changes)  # type: ignore[arg-type]


EDGES = {
    "no points": edge(points=()),
    "one point": edge(points=((date(2026, 10, 20), 38.0),)),
    "all equal": edge(points=((START, 7.0), (AS_OF, 7.0)), baseline=7.0, target=7.0),
    "all zero": edge(points=((START, 0.0),), baseline=None, target=None),
    "start is due": edge(start=DUE, points=((DUE, 20.0),)),
    "points before start": edge(points=((date(2026, 9, 1), 50.0), (AS_OF, 30.0))),
    "no dates": edge(start=None, due=None),
    "no dates, no points": edge(start=None, due=None, points=(), baseline=None, target=None),
    "as of before start": edge(as_of=date(2026, 9, 1), points=()),
    "negative": edge(points=((START, -5.0), (AS_OF, -12.5)), baseline=-5.0, target=-20.0),
    "huge": edge(points=((START, 1e300), (AS_OF, -1e300)), baseline=1e308, target=-1e308),
    "tiny range": edge(points=((START, 1e-300), (AS_OF, 2e-300)), baseline=0.0, target=5e-324),
    "not finite": edge(
        points=((START, math.nan), (AS_OF, math.inf), (DUE, 3.0)), baseline=math.nan,
        target=-math.inf,
    ),
    "unsorted": edge(points=((AS_OF, 30.0), (START, 45.0))),
}


@pytest.mark.parametrize("name", EDGES)
def test_edge_cases_render_well_formed_finite_svg(name: str) -> None:
    chart = Chart(EDGES[name], "Deploy time")
    lowered = chart.markup.lower()
    assert "nan" not in lowered and "inf" not in lowered
    for element in chart.root.iter():
        for attr in ("x", "y", "x1", "y1", "x2", "y2", "cx", "cy"):
            if attr in element.attrib:
                assert -1 <= float(element.attrib[attr]) <= 600
    for element in chart.all("chart-actual") + chart.all("chart-dot"):
        coords = numbers(element.attrib.get("d", "")) or [float(element.attrib["cy"])]
        assert all(0 <= c <= 600 for c in coords)
    assert chart.left <= float(chart.one("chart-today").attrib["x1"]) <= chart.right


def test_no_check_ins_draw_the_expected_line_and_say_so() -> None:
    chart = Chart(EDGES["no points"])
    assert chart.all("chart-actual") == [] and chart.all("chart-dot") == []
    assert "No check-ins yet" in [e.text for e in chart.all("chart-label")]
    assert chart.all("chart-expected")
    assert chart.text("desc").startswith("Median deploy time has no check-ins yet;")


def test_one_point_holds_until_today() -> None:
    chart = Chart(EDGES["one point"])
    (x0, y0), (x1, y1) = chart.step()
    assert y0 == y1 and close(x0, chart.x(date(2026, 10, 20), START, DUE))
    assert close(x1, chart.x(AS_OF, START, DUE))
    assert chart.text("desc").startswith("Median deploy time was 38 min on 2026-10-20;")


def test_the_x_axis_starts_at_an_earlier_point_and_ends_at_the_latest_day() -> None:
    days = [e.text for e in Chart(EDGES["points before start"]).all("chart-label")]
    assert "2026-09-01" in days and "2026-12-31" in days
    days = [e.text for e in Chart(EDGES["no dates"]).all("chart-label")]
    assert "2026-10-01" in days and "2026-11-15" in days  # first point to as_of


def test_all_equal_values_sit_mid_plot() -> None:
    chart = Chart(EDGES["all equal"])
    ys = {y for _, y in chart.step()}
    assert len(ys) == 1 and chart.top < ys.pop() < chart.bottom


@pytest.mark.parametrize(
    ("value", "unit", "label"),
    [
        (45.0, "min", "45 min"),
        (3.25, "%", "3.25%"),
        (3.2, None, "3.2"),
        (27.6923, "min", "27.69 min"),
        (0.5, "", "0.5"),
        (-0.001, "ms", "0 ms"),
        (-12.5, " kEUR ", "-12.5 kEUR"),
        (1200000.0, "users", "1200000 users"),
        (1e20, "x", "1e+20 x"),
        (math.nan, "min", "— min"),
        (-math.inf, None, "—"),
    ],
)
def test_value_label_is_compact(value: float, unit: str | None, label: str) -> None:
    assert value_label(value, unit) == label


def test_expected_value_follows_the_line_and_stops_at_its_ends() -> None:
    assert expected_value(DEPLOY) == pytest.approx(45 + (10 - 45) * 45 / 91)
    assert expected_value(edge(as_of=date(2026, 9, 1))) == 45.0
    assert expected_value(edge(as_of=date(2027, 3, 1))) == 10.0
    assert expected_value(edge(start=DUE, as_of=DUE)) == 10.0
    assert expected_value(edge(start=DUE, as_of=AS_OF)) == 45.0
    assert expected_value(CONTROL) is None
    assert expected_value(edge(start=None)) is None
    assert expected_value(edge(target=math.nan)) is None
