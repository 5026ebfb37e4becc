"""Key-result charts: a value over time against the line it was expected to follow.

Drawn at build time as inline SVG, so a goal page needs no script and makes no request.
The page's CSP forbids inline styles: the chart uses class names (the stylesheet colours
them for light and dark mode) and presentation attributes as readable defaults. Every
number is written with fixed precision, so the same input gives the same bytes.
"""

from __future__ import annotations

import math
import re
from datetime import date, timedelta

import msgspec
from markupsafe import Markup, escape

WIDTH, HEIGHT = 600, 200
# The plot area inside the viewBox (its left edge depends on the y labels' width).
RIGHT, TOP, BOTTOM = 588.0, 18.0, 170.0
# Geometry clamps values here so that a span of huge values cannot overflow to inf.
_HUGE = 1e100
# XML 1.0 forbids these characters even as references; YAML's "\x01" can produce them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_LABEL = 'class="chart-label" font-size="11" fill="currentColor"'
# Fixed coordinates, formatted once.
_TOP, _BOTTOM, _RIGHT = f"{TOP:.1f}", f"{BOTTOM:.1f}", f"{RIGHT:.1f}"
_DATES, _TODAY, _MIDDLE = f"{BOTTOM + 18:.1f}", f"{TOP - 6:.1f}", f"{(TOP + BOTTOM) / 2 + 4:.1f}"


class Series(msgspec.Struct, frozen=True):
    """A key result's check-ins and the goal's dates, as the chart needs them."""

    points: tuple[tuple[date, float], ...]  # (day, value), oldest first
    start: date | None
    due: date | None
    as_of: date
    baseline: float | None  # a numeric KR's start value; None for a control KR
    target: float | None  # numeric: the target; control: the threshold
    unit: str | None
    lower_is_better: bool


def value_label(value: float, unit: str | None) -> str:
    """A number as people write it (``45 min``, ``3.25%``, ``1200 users``): at most two
    decimals and no trailing zeros, so that labels stay short next to a chart."""
    if not math.isfinite(value):
        text = "—"
    elif abs(value) >= 1e15:
        text = f"{value:.3g}"
    else:
        text = f"{value:.2f}".rstrip("0").rstrip(".")
        if text == "-0":
            text = "0"
    unit = (unit or "").strip()
    if not unit:
        return text
    return text + unit if unit == "%" else f"{text} {unit}"


def expected_value(series: Series) -> float | None:
    """Where a numeric KR should be at ``as_of`` on the straight line from its start value
    on the start date to its target on the due date; None without that line."""
    baseline, target = _finite(series.baseline), _finite(series.target)
    if baseline is None or target is None or series.start is None or series.due is None:
        return None
    total = (series.due - series.start).days
    if total > 0:
        share = min(max((series.as_of - series.start).days / total, 0.0), 1.0)
    else:
        share = 1.0 if series.as_of >= series.due else 0.0
    return baseline + (target - baseline) * share


def kr_chart(series: Series, label: str, chart_id: str) -> Markup:
    """The SVG chart of one key result; its title and desc say in words what it shows."""
    points = sorted((p for p in series.points if math.isfinite(p[1])), key=_day)
    baseline, target = _finite(series.baseline), _finite(series.target)

    days = [d for d in (series.start, series.due, series.as_of) if d]
    if points:
        days += (points[0][0], points[-1][0])
    first, last = min(days), max(days)
    if last == first:
        last = first + timedelta(days=1)

    values = [v for _, v in points] + [v for v in (baseline, target) if v is not None]
    plotted = [_clamp(v) for v in values]  # for geometry: huge values cannot overflow it
    low, high = (min(plotted), max(plotted)) if plotted else (0.0, 1.0)
    pad = (high - low) * 0.1 if high > low else max(abs(low) * 0.1, 1.0)
    bottom, y_scale = low - pad, (BOTTOM - TOP) / (high - low + 2 * pad)

    def y(value: float) -> float:
        return BOTTOM - (_clamp(value) - bottom) * y_scale

    # The target first, then the extremes, each where it does not overlap one before it.
    y_labels: list[tuple[float, str]] = []
    for value in (target, *((min(values), max(values)) if values else ())):
        if value is not None:
            at = y(value)
            if all(abs(at - other) >= 12 for other, _ in y_labels):
                y_labels.append((at, value_label(value, series.unit)))
    # Room on the left for the longest y label (about 6.2 units a character at size 11).
    left = min(max(12 + 6.2 * max((len(t) for _, t in y_labels), default=0), 40.0), 240.0)
    x_scale = (RIGHT - left) / (last - first).days

    def x(day: date) -> float:
        return left + (day - first).days * x_scale

    cid, lx = _text(chart_id), f"{left:.1f}"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}"'
        f' width="100%" role="img" aria-labelledby="{cid}-title {cid}-desc">'
        f'<title id="{cid}-title">{_text(label)}</title>'
        f'<desc id="{cid}-desc">{_text(_describe(series, label, points))}</desc>'
        f'<path class="chart-axis" d="M{lx},{_TOP} V{_BOTTOM} H{_RIGHT}" fill="none"'
        ' stroke="currentColor" stroke-opacity="0.5"/>'
        f'<text {_LABEL} x="{lx}" y="{_DATES}" text-anchor="start">{first.isoformat()}</text>'
        f'<text {_LABEL} x="{_RIGHT}" y="{_DATES}" text-anchor="end">{last.isoformat()}</text>'
    ]
    out += [
        f'<text {_LABEL} x="{left - 6:.1f}" y="{at + 4:.1f}" text-anchor="end">{_text(t)}</text>'
        for at, t in y_labels
    ]
    if target is not None:
        out.append(
            f'<line class="chart-target" x1="{lx}" y1="{y(target):.1f}" x2="{_RIGHT}"'
            f' y2="{y(target):.1f}" stroke="currentColor" stroke-opacity="0.5"'
            ' stroke-dasharray="2 4"/>'
        )
    if baseline is not None and target is not None and series.start and series.due:
        out.append(
            f'<line class="chart-expected" x1="{x(series.start):.1f}" y1="{y(baseline):.1f}"'
            f' x2="{x(series.due):.1f}" y2="{y(target):.1f}" stroke="currentColor"'
            ' stroke-opacity="0.6" stroke-dasharray="6 4"/>'
        )
    today = x(series.as_of)
    tx = f"{today:.1f}"
    anchor = "end" if today > RIGHT - 20 else "start" if today < left + 20 else "middle"
    out.append(
        f'<line class="chart-today" x1="{tx}" y1="{_TOP}" x2="{tx}" y2="{_BOTTOM}"'
        ' stroke="currentColor" stroke-opacity="0.4"/>'
        f'<text {_LABEL} x="{tx}" y="{_TODAY}" text-anchor="{anchor}">today</text>'
    )
    if points:
        coords = [
            (f"{left + (day - first).days * x_scale:.1f}", f"{BOTTOM - (v - bottom) * y_scale:.1f}")
            # plotted goes on with the baseline and target; zip stops after the points
            for (day, _), v in zip(points, plotted, strict=False)
        ]
        out.append(_step_path(coords, tx if series.as_of > points[-1][0] else None))
        out += [
            f'<circle class="chart-dot" cx="{cx}" cy="{cy}" r="3.5" fill="currentColor"/>'
            for cx, cy in coords
        ]
    else:
        out.append(
            # Mid-height at the left, where the expected line is still at its start value.
            f'<text {_LABEL} x="{left + 8:.1f}" y="{_MIDDLE}" text-anchor="start">'
            "No check-ins yet</text>"
        )
    out.append("</svg>")
    return Markup("".join(out))


def histogram(counts: tuple[int, ...], label: str, chart_id: str) -> Markup:
    """The distribution of scores as bars, one per score 0.0, 0.1, ..., 1.0 (``counts``),
    each with its count above it; the desc says the same in words."""
    cid = _text(chart_id)
    left, width = 12.0, (RIGHT - 12.0) / len(counts)
    tallest = max(counts, default=0) or 1
    scored = sum(counts)
    said = [f"{n} at {i / 10:.1f}" for i, n in enumerate(counts) if n]
    desc = (f"{scored} goal{'' if scored == 1 else 's'} scored: " + ", ".join(said) + "."
            if scored else "No goal has a score yet.")
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart histogram" viewBox="0 0 {WIDTH}'
        f' {HEIGHT}" width="100%" role="img" aria-labelledby="{cid}-title {cid}-desc">'
        f'<title id="{cid}-title">{_text(label)}</title>'
        f'<desc id="{cid}-desc">{_text(desc)}</desc>'
        f'<path class="chart-axis" d="M{left:.1f},{_BOTTOM} H{_RIGHT}" fill="none"'
        ' stroke="currentColor" stroke-opacity="0.5"/>'
    ]
    for i, count in enumerate(counts):
        x = left + i * width
        middle = f"{x + width / 2:.1f}"
        out.append(f'<text {_LABEL} x="{middle}" y="{_DATES}" text-anchor="middle">'
                   f"{i / 10:.1f}</text>")
        if count:
            height = (BOTTOM - TOP - 14) * count / tallest
            top = BOTTOM - height
            out.append(f'<rect class="chart-bar" x="{x + width * 0.15:.1f}" y="{top:.1f}"'
                       f' width="{width * 0.7:.1f}" height="{height:.1f}"'
                       ' fill="currentColor"/>'
                       f'<text {_LABEL} x="{middle}" y="{top - 4:.1f}" text-anchor="middle">'
                       f"{count}</text>")
    out.append("</svg>")
    return Markup("".join(out))


def _step_path(coords: list[tuple[str, str]], today: str | None) -> str:
    """A value holds until the next check-in, and the last one until today: a step line."""
    d = [f"M{coords[0][0]},{coords[0][1]}"]
    d += [f"H{px}V{py}" for px, py in coords[1:]]
    if today is not None:
        d.append(f"H{today}")
    return (
        f'<path class="chart-actual" d="{"".join(d)}" fill="none" stroke="currentColor"'
        ' stroke-width="2" stroke-linejoin="round"/>'
    )


def _describe(series: Series, label: str, points: list[tuple[date, float]]) -> str:
    """The chart in one sentence, for screen readers and for anyone without the picture."""
    unit = series.unit
    name = label.strip() or "The value"
    if not points:
        parts = [f"{name} has no check-ins yet"]
    elif len(points) == 1:
        parts = [f"{name} was {value_label(points[0][1], unit)} on {points[0][0].isoformat()}"]
    else:
        (d0, v0), (d1, v1) = points[0], points[-1]
        parts = [
            f"{name} went from {value_label(v0, unit)} on {d0.isoformat()}"
            f" to {value_label(v1, unit)} on {d1.isoformat()}"
        ]
    expected = expected_value(series)
    if expected is not None:
        # An interpolated value: one decimal is precision enough, unless it is below 1.
        shown = round(expected, 1) if abs(expected) >= 1 else expected
        parts.append(f"expected by now: {value_label(shown, unit)}")
    target = _finite(series.target)
    if target is not None and _finite(series.baseline) is not None:
        by = f" by {series.due.isoformat()}" if series.due else ""
        parts.append(f"target {value_label(target, unit)}{by}")
    elif target is not None:
        side = "below" if series.lower_is_better else "above"
        parts.append(f"keep at or {side} {value_label(target, unit)}")
    return "; ".join(parts) + "."


def _day(point: tuple[date, float]) -> date:
    return point[0]


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _clamp(value: float) -> float:
    return min(max(value, -_HUGE), _HUGE)


def _text(text: str) -> str:
    return str(escape(_NOT_XML.sub("", text)))
