"""The small pieces of ``import``: cell values, slugs, Jira wiki markup, goal files as text
and entries appended to people.yaml."""

from __future__ import annotations

import pytest

from goalsrepo.files import edit, loader, schema
from goalsrepo.files.goalfile import render_goal
from goalsrepo.integrations.importers import values
from goalsrepo.integrations.importers.jira import markdown


@pytest.mark.parametrize(("cell", "expected"), [
    ("45%", (45, True)), ("1,234.5", (1234.5, False)), ("1.234,5", (1234.5, False)),
    ("12,5", (12.5, False)), ("1,234", (1234, False)), ("1 234", (1234, False)),
    ("1'234", (1234, False)), ("-3", (-3, False)), ("0.5", (0.5, False)),
    ("3.0", (3.0, False)), ("1e3", (1000.0, False)), (7, (7, False)), (2.5, (2.5, False)),
    ("", None), (None, None),
])
def test_numbers_as_spreadsheets_write_them(cell: object, expected: object) -> None:
    assert values.number(cell) == expected


@pytest.mark.parametrize("cell", ["lots", "nan", "inf", "1.2.3", "∞", True])
def test_what_is_not_a_number(cell: object) -> None:
    with pytest.raises(ValueError, match="is not a"):
        values.number(cell)


@pytest.mark.parametrize(("cell", "expected"), [
    ("2026-03-24", "2026-03-24"), ("2019-04-05T16:00:00.000Z", "2019-04-05"),
    ("24/Mar/26 12:00 AM", "2026-03-24"), ("Mar 24, 2026", "2026-03-24"),
    ("24.03.2026", "2026-03-24"), ("24/03/2026", "2026-03-24"), ("03/24/2026", "2026-03-24"),
    ("", None), (None, None),
])
def test_dates_in_the_forms_exports_use(cell: object, expected: str | None) -> None:
    assert values.day(cell) == expected


@pytest.mark.parametrize(("cell", "message"), [
    ("03/04/2026", "could be day/month or month/day"), ("31/02/2026", "is not a date"),
    ("soon", "is not a date"),
])
def test_dates_that_cannot_be_read(cell: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        values.day(cell)


@pytest.mark.parametrize(("title", "expected"), [
    ("Ship any change within one hour", "ship-any-change-within-one-hour"),
    ("Réduire le délai — naïve café", "reduire-le-delai-naive-cafe"),
    ("../../etc/passwd", "etc-passwd"), ("CON", "con-1"), ("日本語", "goal"),
    ("word " * 30, "-".join(["word"] * 13)),
])
def test_slugs_are_ascii_ids(title: str, expected: str) -> None:
    assert values.slug(title) == expected
    assert len(expected) <= 64


def test_unique_adds_a_number() -> None:
    taken: set[str] = set()
    assert [values.unique("a", taken) for _ in range(3)] == ["a", "a-2", "a-3"]
    assert values.unique("x" * 64, {"x" * 64}) == "x" * 62 + "-2"


def test_jira_wiki_markup_becomes_markdown() -> None:
    wiki = ("h2. Why\n*Objective* and _scope_ with {{code}}, see [the doc|https://x.org/a]\n"
            "* one\n** nested\n# first\nbq. a quote\n{code:java}\nint *x* = 1;\n{code}\n")
    assert markdown(wiki) == (
        "## Why\n**Objective** and *scope* with `code`, see [the doc](https://x.org/a)\n"
        "- one\n  - nested\n1. first\n> a quote\n```\nint *x* = 1;\n```\n")


def test_a_goal_renders_in_the_spec_order_and_reads_back_exactly() -> None:
    data = {"id": "g", "title": "no", "level": "team", "owner": "alice",
            "description": "Line one\n\n  indented\nlast", "status": "active",
            "key_results": [{"id": "k", "title": "0E0", "unit": "%", "keep": "below",
                             "target": 1e-05, "current": 2}],
            "milestones": [{"title": "Step", "due": "2026-10-15", "done": True}],
            "links": [{"title": "Doc", "url": "https://x.org"}]}
    text = render_goal(data)
    assert text == (
        'id: g\ntitle: "no"\nlevel: team\nowner: alice\nstatus: active\n'
        "description: |-\n  Line one\n\n    indented\n  last\nkey_results:\n"
        '  - id: k\n    title: "0E0"\n    unit: "%"\n    keep: below\n    target: 1.0e-05\n'
        "    current: 2\nmilestones:\n  - title: Step\n    due: 2026-10-15\n    done: true\n"
        "links:\n  - title: Doc\n    url: https://x.org\n")
    doc = loader.parse(text, "g.yaml")
    assert doc.data == data and not doc.diagnostics and schema.check(doc, "goal") == []


def test_people_are_appended_in_place() -> None:
    before = "# who is who\npeople:\n  - id: a   # first\n    name: A\n\nx-note: kept\n"
    after = edit.append_items(before, "people", [{"id": "b", "name": "yes"}])
    assert after == ("# who is who\npeople:\n  - id: a   # first\n    name: A\n"
                     '  - id: b\n    name: "yes"\n\nx-note: kept\n')
    assert edit.append_items("people: []\n", "people", [{"id": "c", "name": "C"}]) == (
        "people:\n  - id: c\n    name: C\n")
    assert edit.append_items("", "teams", [{"id": "t", "name": "T"}]) == (
        "teams:\n  - id: t\n    name: T\n")
