"""The HTML pieces written in Python: every value escaped, widths from classes, and the
alignment map folded when it is large."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from goalsrepo.web.pages import Card, Who
from goalsrepo.web.rows import Rows
from goalsrepo.web.widgets import (
    OPEN_MAP_ROWS,
    bar,
    checkin_rows,
    goal_rows,
    goal_table,
    people,
    printable,
    tree,
)

HOSTILE = "<script>alert(1)</script>\"' onmouseover=x"


def card(goal_id: str = "g", title: str = HOSTILE) -> Card:
    return Card(goal_id, title, f"goals/{goal_id}.html", "team", "alice", HOSTILE, "t",
                HOSTILE, "2026-Q4", 0.42, 0.5, "at_risk", True, "active", "2026-12-31",
                None, None, "people/alice.html", "teams/t.html", "periods/2026-_q4.html")


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_data(self, data: str) -> None:
        self.text += data


def parse(html: str) -> Tags:
    parser = Tags()
    parser.feed(html)
    return parser


def test_goal_rows_escape_every_value() -> None:
    found = parse(str(goal_rows("../", [card()])))
    assert "script" not in found.tags
    assert not any(name.startswith("on") for name, _ in found.attrs)
    assert found.text.count(HOSTILE) == 3  # title, owner and team, as text
    assert ("class", "fill p42 h-at_risk") in found.attrs
    assert ("href", "../goals/g.html") in found.attrs


def test_bar_takes_its_width_from_a_class_and_names_itself() -> None:
    found = parse(str(bar(1.7, -0.2, "on_track", HOSTILE)))
    assert ("class", "fill p100 h-on_track") in found.attrs  # clamped
    assert ("class", "expected e0") in found.attrs
    assert ("aria-label", HOSTILE) in found.attrs  # escaped in the markup, intact parsed
    assert not any(name == "style" for name, _ in found.attrs)


def test_people_and_check_ins_escape_names_and_messages() -> None:
    who = (Who(HOSTILE, "people/a.html"), Who("Sam", None))
    assert parse(str(people("../", who))).text == f"{HOSTILE}, Sam"
    rows = checkin_rows("../", "https://forge.example/acme/goals", [{
        "day": "2026-11-01", "who": who, "summary": HOSTILE, "commit": "a" * 40,
        "subject": HOSTILE}])
    found = parse(str(rows))
    assert "script" not in found.tags
    assert ("href", "https://forge.example/acme/goals/commit/" + "a" * 40) in found.attrs


def test_a_large_alignment_map_starts_folded() -> None:
    def rows(n: int) -> list[tuple[str, object, int]]:
        out: list[tuple[str, object, int]] = [("open", (card("root"), "branch", n), 0)]
        out += [("goal", (card(f"g{i}"), "leaf", 0), 1) for i in range(n)]
        return [*out, ("close", None, 0)]

    small = str(tree("", rows(10)))
    large = str(tree("", rows(OPEN_MAP_ROWS)))
    assert "<details open>" in small
    assert "<details open>" not in large and "<details>" in large
    assert "script" not in parse(large).tags
    for html in (small, large):  # a link inside a <summary> is a control inside a control
        assert not re.search(r"<summary>((?!</summary>).)*<a ", html, re.S), html


def test_rows_drop_control_characters_once_and_print_as_they_are() -> None:
    """A YAML escape can put a control character in a title: the rows drop it as they are
    drawn (and as they are remembered), so printing a list does not scan it again."""
    noisy = card("g", "Ship\x1b it")
    memo = Rows(None, b"key")
    for _ in range(2):  # drawn, then remembered
        for html in (goal_table("", [noisy], "Caption\x07"),
                     tree("", [("goal", (noisy, "leaf", 0), 0)], memo=memo),
                     goal_table("", [noisy], memo=memo)):
            assert "Ship it" in html and not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", html)
            assert printable(html) is html
    assert goal_table("", []) == '<p class="empty">No goals.</p>\n'
