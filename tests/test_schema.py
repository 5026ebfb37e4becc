"""Schema errors a user can act on, at the right place; both validators agree.

Lines and columns are counted by hand in each text (1-based).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from helpers import COMPANY_GOAL, CONFIG_TEXT, PEOPLE_TEXT, TEAMS_TEXT, RepoFactory, found
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from goalsrepo.files import schema
from goalsrepo.files.loader import Document, decode_and_parse

HEAD = "id: a\ntitle: Ship any change within one hour\nowner: alice\n"  # lines 1-3


def errors(text: str, kind: str = "goal") -> list[tuple[str, int | None, int | None, str]]:
    doc = decode_and_parse(text.encode("utf-8"), "f.yaml")
    assert doc.diagnostics == [], doc.diagnostics
    return [(d.code, d.line, d.column, d.message) for d in schema.check(doc, kind)]


def codes(text: str, kind: str = "goal") -> list[tuple[str, int | None, int | None]]:
    return [(c, line, col) for c, line, col, _ in errors(text, kind)]


# --- unknown and missing keys ----------------------------------------------------------


def test_unknown_key_points_at_the_key_and_suggests_the_right_one() -> None:
    [(code, line, column, message)] = errors(HEAD + "aligns_too: [b]\n")
    assert (code, line, column) == ("GR101", 4, 1)
    assert "`aligns_too`" in message
    assert "did you mean `aligns_to`?" in message


def test_unknown_key_in_a_key_result() -> None:
    text = HEAD + ("key_results:\n  - id: k\n    title: T\n    start: 0\n    target: 5\n"
                   "    curent: 3\n")
    [(code, line, column, message)] = errors(text)
    assert (code, line, column) == ("GR101", 9, 5)
    assert "did you mean `current`?" in message
    assert "key_results[0]" in message


def test_unknown_key_without_a_close_match_mentions_x_keys() -> None:
    [(code, line, column, message)] = errors(HEAD + "colour: blue\n")
    assert (code, line, column) == ("GR101", 4, 1)
    assert "`x-`" in message


def test_missing_required_key_points_at_the_object() -> None:
    [(code, line, column, message)] = errors("# Platform\n\nid: a\ntitle: T T T T\n")
    assert (code, line, column) == ("GR102", 3, 1)
    assert "`owner`" in message


def test_missing_required_key_of_a_key_result_points_at_the_item() -> None:
    text = HEAD + "key_results:\n  - id: k\n    unit: min\n    start: 1\n    target: 2\n"
    [(code, line, column, message)] = errors(text)
    assert (code, line, column) == ("GR102", 5, 5)
    assert "`title`" in message


def test_every_missing_key_is_reported() -> None:
    assert codes("x-only: 1\n") == [("GR102", 1, 1)] * 3


# --- types and values ------------------------------------------------------------------


def test_number_where_text_is_meant_says_quote_it() -> None:
    [(code, line, column, message)] = errors("id: a\ntitle: 2026\nowner: alice\n")
    assert (code, line, column) == ("GR103", 2, 8)
    assert 'quote it ("2026")' in message


def test_owner_as_number_says_quote_it() -> None:
    [(code, line, column, message)] = errors("id: a\ntitle: T\nowner: 42\n")
    assert (code, line, column) == ("GR103", 3, 8)
    assert 'quote it ("42")' in message


def test_text_where_a_list_is_meant_has_no_quote_hint() -> None:
    [(code, line, column, message)] = errors(HEAD + "contributors: bob\n")
    assert (code, line, column) == ("GR103", 4, 15)
    assert "must be a list" in message
    assert "quote" not in message


def test_empty_value_where_text_is_meant() -> None:
    [(code, line, _, message)] = errors("id: a\ntitle:\nowner: alice\n")
    assert (code, line) == ("GR103", 2)
    assert "not empty" in message
    assert "quote" not in message


@pytest.mark.parametrize(("line", "suggestion"), [("status: actve", "active"),
                                                  ("level: tem", "team"),
                                                  ("status: Achieved", "achieved")])
def test_enum_with_suggestion(line: str, suggestion: str) -> None:
    [(code, lineno, column, message)] = errors(HEAD + line + "\n")
    assert (code, lineno, column) == ("GR104", 4, line.index(":") + 3)
    assert f"did you mean `{suggestion}`?" in message


def test_keep_enum_in_a_key_result() -> None:
    text = HEAD + "key_results:\n  - id: k\n    title: T\n    keep: belo\n    target: 5\n"
    [(code, line, column, message)] = errors(text)
    assert (code, line, column) == ("GR104", 7, 11)
    assert "did you mean `below`?" in message


@pytest.mark.parametrize("bad_id", ["Faster", "-a", "a_b", "a b", "é", "a" * 65])
def test_goal_id_pattern(bad_id: str) -> None:
    assert codes(f"id: '{bad_id}'\ntitle: T\nowner: alice\n") == [("GR104", 1, 5)]


def test_goal_id_with_a_final_newline_is_rejected() -> None:
    # Python's `$` matches before a final newline; JSON Schema's (ECMA-262) does not.
    assert codes('id: "faster-deploys\\n"\ntitle: T\nowner: alice\n') == [("GR104", 1, 5)]


# --- links -----------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JavaScript:alert(1)",
                                 "data:text/html,<script>alert(1)</script>",
                                 "file:///etc/passwd", "ftp://example.org/x", "//example.org",
                                 "https://", "https://exa mple.org", " https://example.org",
                                 "https://example.org\\njavascript:alert(1)"])
def test_bad_link_scheme(url: str) -> None:
    text = HEAD + f'links:\n  - title: Docs\n    url: "{url}"\n'
    [(code, line, column, message)] = errors(text)
    assert (code, line, column) == ("GR132", 6, 10)
    assert "links[0].url" in message


@pytest.mark.parametrize("url", ["https://example.org/a?b=c,d", "http://example.org",
                                 "HTTPS://EXAMPLE.ORG", "mailto:team@example.org"])
def test_good_link_schemes(url: str) -> None:
    assert errors(HEAD + f'links:\n  - url: "{url}"\n') == []


def test_link_without_url() -> None:
    assert codes(HEAD + "links:\n  - title: Docs\n") == [("GR102", 5, 5)]


# --- key result kinds ------------------------------------------------------------------


def test_milestone_key_result_with_a_target() -> None:
    text = HEAD + "key_results:\n  - id: k\n    title: T\n    done: false\n    target: 5\n"
    [(code, line, column, message)] = errors(text)
    assert (code, line, column) == ("GR101", 8, 5)
    assert "key_results[0].target" in message


@pytest.mark.parametrize("key", ["start", "current", "keep", "unit"])
def test_milestone_key_result_with_numeric_keys(key: str) -> None:
    value = "below" if key == "keep" else "5"
    text = HEAD + f"key_results:\n  - id: k\n    title: T\n    done: true\n    {key}: {value}\n"
    assert ("GR101", 8, 5) in codes(text)


def test_control_key_result_with_a_start() -> None:
    text = HEAD + ("key_results:\n  - id: k\n    title: T\n    keep: above\n"
                   "    target: 5\n    start: 1\n")
    [(code, line, column, message)] = errors(text)
    assert (code, line, column) == ("GR101", 9, 5)
    assert "key_results[0].start" in message


def test_control_key_result_without_a_target() -> None:
    text = HEAD + "key_results:\n  - id: k\n    title: T\n    keep: above\n"
    [(code, line, column, message)] = errors(text)
    assert (code, line, column) == ("GR102", 5, 5)
    assert "`target`" in message


def test_numeric_key_result_without_start() -> None:
    text = HEAD + "key_results:\n  - id: k\n    title: T\n    target: 5\n"
    [(code, line, column, message)] = errors(text)
    assert (code, line, column) == ("GR102", 5, 5)
    assert "`start`" in message


@pytest.mark.parametrize("weight", ["0", "-1", "-0.5"])
def test_weight_must_be_positive(weight: str) -> None:
    text = HEAD + f"key_results:\n  - id: k\n    title: T\n    done: false\n    weight: {weight}\n"
    [(code, line, column, message)] = errors(text)
    assert (code, line, column) == ("GR104", 8, 13)
    assert "> 0" in message


def test_small_positive_weight_is_fine() -> None:
    assert errors(HEAD + "key_results:\n  - {id: k, title: T, done: false, weight: 0.5}\n") == []


def test_number_too_large_for_python_is_reported_as_not_a_number() -> None:
    text = HEAD + "key_results:\n  - id: k\n    title: T\n    start: 0\n    target: 1e999\n"
    [(code, line, column, _)] = errors(text)
    assert (code, line, column) == ("GR103", 8, 13)


# --- x-* keys everywhere a user writes keys --------------------------------------------

PLACES: dict[str, tuple[str, str, str, int]] = {
    # name: (file, text with KEY where the extension key goes, kind, line of KEY)
    "goal": ("goals/a.yaml", COMPANY_GOAL + "KEY: 1\n", "goal", 12),
    "key result": ("goals/a.yaml",
                   COMPANY_GOAL.replace("    target: 40\n", "    target: 40\n    KEY: 1\n"),
                   "goal", 12),
    "milestone": ("goals/a.yaml", COMPANY_GOAL + "milestones:\n  - title: M\n    KEY: 1\n",
                  "goal", 14),
    "link": ("goals/a.yaml", COMPANY_GOAL + "links:\n  - url: https://example.org\n    KEY: 1\n",
             "goal", 14),
    "people file": ("people.yaml", PEOPLE_TEXT + "KEY: 1\n", "people", 10),
    "person": ("people.yaml", PEOPLE_TEXT + "    KEY: 1\n", "people", 10),
    "teams file": ("teams.yaml", TEAMS_TEXT + "KEY: 1\n", "teams", 5),
    "team": ("teams.yaml", TEAMS_TEXT + "    KEY: 1\n", "teams", 5),
    "config": ("goalsrepo.yaml", CONFIG_TEXT + "KEY: 1\n", "config", 6),
    "period": ("goalsrepo.yaml", CONFIG_TEXT + "    KEY: 1\n", "config", 6),
    "health": ("goalsrepo.yaml", CONFIG_TEXT + "health:\n  at_risk: 0.1\n  KEY: 1\n", "config", 8),
    "lint": ("goalsrepo.yaml", CONFIG_TEXT + "lint:\n  ignore: [GR207]\n  KEY: 1\n", "config", 8),
}


@pytest.mark.parametrize("place", sorted(PLACES))
def test_x_keys_are_accepted(place: str) -> None:
    _, text, kind, _ = PLACES[place]
    assert errors(text.replace("KEY", "x-acme-note"), kind) == []


@pytest.mark.parametrize("place", sorted(PLACES))
def test_other_unknown_keys_are_refused_at_the_key(place: str) -> None:
    _, text, kind, line = PLACES[place]
    [(code, lineno, _, message)] = errors(text.replace("KEY", "acme-note"), kind)
    assert (code, lineno) == ("GR101", line)
    assert "`acme-note`" in message


def test_x_keys_everywhere_in_one_repository(goals_repo: RepoFactory) -> None:
    goal = COMPANY_GOAL.replace("    target: 40\n", "    target: 40\n    x-kr: 1\n") + (
        "x-goal: {any: [thing]}\nmilestones:\n  - title: M\n    x-ms: 1\n"
        "links:\n  - url: https://example.org\n    x-link: 1\n")
    people = PEOPLE_TEXT + "    x-person: 1\nx-people: 1\n"
    teams = TEAMS_TEXT + "    x-team: 1\nx-teams: 1\n"
    config = CONFIG_TEXT + ("    x-period: 1\nx-config: 1\nhealth:\n  x-health: 1\n"
                            "lint:\n  x-lint: 1\n")
    root = goals_repo({"goals/a.yaml": goal}, config=config, people=people, teams=teams)
    assert found(root) == []


# --- the fast path and the reference agree ---------------------------------------------

GOAL: dict[str, Any] = {
    "id": "faster-deploys", "title": "Ship any change within one hour", "level": "team",
    "owner": "alice", "team": "platform", "contributors": ["bob"], "period": "2026-Q4",
    "start": "2026-10-01", "due": "2026-12-31", "aligns_to": ["company"], "status": "active",
    "superseded_by": "faster-deploys-v2", "description": "Why.",
    "key_results": [
        {"id": "deploy-time", "title": "Median", "unit": "min", "start": 45, "target": 10,
         "current": 22, "weight": 2},
        {"id": "runbook", "title": "Runbook", "done": False},
        {"id": "errors", "title": "Errors", "unit": "%", "keep": "below", "target": 5,
         "current": 3.2},
    ],
    "milestones": [{"title": "Measure", "due": "2026-10-15", "done": True, "owner": "bob"}],
    "links": [{"title": "Epic", "url": "https://example.org/PLAT-12"}],
}
CONFIG: dict[str, Any] = {
    "title": "Acme", "goals_dir": "goals", "repo_url": "https://github.com/acme/goals",
    "base_url": "https://acme.github.io/goals/", "timezone": "UTC",
    "periods": [{"id": "2026-Q4", "name": "Q4", "start": "2026-10-01", "end": "2026-12-31"}],
    "checkin_days": 14, "health": {"at_risk": 0.1, "off_track": 0.25},
    "lint": {"ignore": ["GR207"], "max_key_results": 5, "max_owner_goals": 5},
}
PEOPLE: dict[str, Any] = {"people": [{
    "id": "alice", "name": "Alice", "email": "alice@example.org", "emails": ["a@example.org"],
    "team": "platform", "role": "Lead", "manager": "bob", "partner": "bob"}]}
TEAMS: dict[str, Any] = {"teams": [{"id": "platform", "name": "Platform", "lead": "alice",
                                    "parent": "eng", "mission": "Ship."}]}
VALID = {"goal": GOAL, "config": CONFIG, "people": PEOPLE, "teams": TEAMS}


def _set(doc: Any, path: tuple[str | int, ...], value: Any) -> Any:
    doc = copy.deepcopy(doc)
    target = doc
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return doc


# Hand-made documents, each valid or invalid for a reason the two validators have been
# seen to judge differently, or that matters most (dates, patterns, numbers, kinds).
HAND_MADE: list[tuple[str, Any]] = [
    ("goal", GOAL),
    ("config", CONFIG),
    ("people", PEOPLE),
    ("teams", TEAMS),
    ("goal", _set(GOAL, ("id",), "faster-deploys\n")),
    ("goal", _set(GOAL, ("id",), "Faster")),
    ("goal", _set(GOAL, ("due",), "0000-01-01")),
    ("goal", _set(GOAL, ("due",), "2026-02-30")),
    ("goal", _set(GOAL, ("due",), "2024-02-29")),
    ("goal", _set(GOAL, ("due",), "2026-10-01\n")),
    ("goal", _set(GOAL, ("due",), "20261001")),
    ("goal", _set(GOAL, ("due",), "2026-W40-1")),
    ("goal", _set(GOAL, ("due",), "２０２６-10-01")),
    ("goal", _set(GOAL, ("links", 0, "url"), "https://a\x1cb")),
    ("goal", _set(GOAL, ("links", 0, "url"), "https://a\x85b")),
    ("goal", _set(GOAL, ("links", 0, "url"), "https://a\ufeffb")),
    ("goal", _set(GOAL, ("links", 0, "url"), "https://a\u3000b")),
    ("goal", _set(GOAL, ("links", 0, "url"), "https://example.org\n")),
    ("goal", _set(GOAL, ("links", 0, "url"), "javascript:alert(1)")),
    ("goal", _set(GOAL, ("links", 0, "url"), "mailto:a@b")),
    ("goal", _set(GOAL, ("key_results", 0, "target"), 10**30)),
    ("goal", _set(GOAL, ("key_results", 0, "target"), True)),
    ("goal", _set(GOAL, ("key_results", 0, "weight"), 0)),
    ("goal", _set(GOAL, ("key_results", 1, "target"), 1)),
    ("goal", _set(GOAL, ("key_results", 2, "start"), 1)),
    ("goal", _set(GOAL, ("contributors",), ["bob", "bob"])),
    ("goal", _set(GOAL, ("x-anything",), {"nested": [1, None]})),
    ("goal", _set(GOAL, ("aligns_too",), ["company"])),
    ("config", _set(CONFIG, ("checkin_days",), 1.0)),
    ("config", _set(CONFIG, ("checkin_days",), 1.5)),
    ("config", _set(CONFIG, ("checkin_days",), 0)),
    ("config", _set(CONFIG, ("goals_dir",), "../goals")),
    ("config", _set(CONFIG, ("lint", "ignore"), ["GR20"])),
    ("config", _set(CONFIG, ("health", "at_risk"), 1.5)),
    ("people", _set(PEOPLE, ("people", 0, "email"), "alice@exa mple.org")),
    ("people", _set(PEOPLE, ("people", 0, "email"), "alice@example.org\u2028")),
    ("people", _set(PEOPLE, ("people", 0, "id"), "alice\n")),
    ("teams", _set(TEAMS, ("teams", 0, "name"), "")),
    ("teams", {"teams": []}),
    ("teams", {}),
]


def _agree(kind: str, doc: Any) -> None:
    fast = schema.is_valid(kind, doc)
    reference = schema._reference(kind).is_valid(doc)
    assert fast == reference, (kind, doc)
    checked = schema.check(Document("f.yaml", doc, []), kind)
    assert bool(checked) is not fast, (kind, doc, checked)


@pytest.mark.parametrize(("kind", "doc"), HAND_MADE)
def test_validators_agree_on_hand_made_documents(kind: str, doc: Any) -> None:
    _agree(kind, doc)


def test_hand_made_corpus_holds_both_verdicts() -> None:
    verdicts = [schema.is_valid(kind, doc) for kind, doc in HAND_MADE]
    assert verdicts.count(True) >= 4
    assert verdicts.count(False) >= 20


# Characters on which Python's and ECMA-262's regular expressions differ (`$` before a
# final newline, `\s`, `\d`), which YAML can carry in a quoted string.
DIVERGENT = ["\n", "\x1c", "\x1f", "\x85", "\ufeff", "\u180e", "٣"]
TRICKY = [*DIVERGENT, "\r", "\t", "\xa0", "\u2028", "\u3000", "é", "Ａ", " ", "-", ":", "@",
          "\\"]
text = st.text(alphabet=st.sampled_from([*TRICKY, *"abcAZ09"]), max_size=8)
strings = st.one_of(
    text,
    st.sampled_from(["", "a", "2026-Q4", "2026-10-01", "2026-02-30", "0000-01-01", "active",
                     "below", "team", "GR207", "https://example.org", "mailto:x@y", "x@y"]),
    st.builds(lambda prefix, tail: prefix + tail,
              st.sampled_from(["https://", "http://", "mailto:", "javascript:", "2026-1",
                               "a", "x@", "GR"]), text),
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-2, 3),
                    st.integers(min_value=2**63 - 2, max_value=2**64 + 2),
                    st.floats(allow_nan=False, allow_infinity=False), strings)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(strings, inner, max_size=3)), max_leaves=6)


def _paths(doc: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for key, value in doc.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            out += _paths(value, (*prefix, i))
    return out


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, Any]:
    """A valid document with one to three changes: a value replaced, a tricky character
    slipped into a text value (where the regex dialects differ), or a key added."""
    kind = draw(st.sampled_from(sorted(VALID)))
    doc = copy.deepcopy(VALID[kind])
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        old = _get(doc, path)
        action = draw(st.sampled_from(["replace", "perturb", "perturb", "add-key"]))
        if action == "perturb" and isinstance(old, str):
            at = draw(st.sampled_from(sorted({len(old) // 2, len(old)})))
            char = draw(st.sampled_from(DIVERGENT) | st.sampled_from(TRICKY))
            doc = _set(doc, path, old[:at] + char + old[at:])
        elif action == "add-key" and isinstance(path[-1], str):
            key = draw(st.one_of(strings, st.sampled_from(["x-a", "aligns_too", "tagret"])))
            doc = _set(doc, (*path[:-1], key), draw(values))
        else:
            doc = _set(doc, path, draw(values))
    return kind, doc


def _get(doc: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_validators_agree_on_generated_documents(case: tuple[str, Any]) -> None:
    _agree(*case)


def test_ecma_dollar_and_space_semantics() -> None:
    regex = schema._ecma_regex(r"^[^@\s]+@[^@\s]+$")
    assert regex.search("a@b")
    assert not regex.search("a@b\n")
    assert not regex.search("a@b\ufeff")
    assert regex.search("a@b\x1c")
    assert schema._ecma_regex(r"^\d$").search("٣") is None
    assert schema._ecma_regex(r"^[\\]$").search("\\")


# --- the schemas themselves -----------------------------------------------------------


@pytest.mark.parametrize("kind", schema.KINDS)
def test_every_property_has_a_description(kind: str) -> None:
    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                assert isinstance(sub, dict) and sub.get("description"), f"{where}.{name}"
            for key, sub in node.items():
                if key not in ("allOf", "if", "then"):  # constraints, not what users write
                    walk(sub, f"{where}/{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                walk(sub, f"{where}[{i}]")

    walk(schema.load(kind), kind)


@pytest.mark.parametrize("kind", schema.KINDS)
def test_draft7_copy_has_no_2020_references(kind: str) -> None:
    text = json.dumps(schema.as_draft7(schema.load(kind)))
    assert "$defs" not in text
    assert json.loads(text)["$schema"] == "http://json-schema.org/draft-07/schema#"
