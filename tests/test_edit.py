from __future__ import annotations

import difflib
import math
import os

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from goalsrepo.errors import GoalsrepoError
from goalsrepo.files import edit
from goalsrepo.files.edit import EditError, format_scalar, key_result_index, remove_key, set_value

COMMENTED = """\
# Platform team, Q4. Reviewed every other Tuesday in #platform-goals.
id: faster-deploys          # never change: history follows the id
title: "Ship any change to production within one hour"
level: team
owner: priya
contributors: [jonas, hiro]   # flow list, kept as is

description: |
  ## Why
  Month-end is when customers need us most.

# --- how we measure it ---------------------------------------------
key_results:
  # lower is better
  - id: deploy-time
    title: Median deploy time
    unit: min
    start: 45
    target: 10
    current: 22             # from the pipeline dashboard, 2026-11-20
    weight: 2

  - id: runbook
    title: Publish the deploy runbook
    done: false             # draft in Notion
  - {id: error-rate, title: Change failure rate, unit: "%", keep: below, target: 5, current: 3.2}

milestones:
  - title: Measure today's pipeline
    due: 2026-10-15
    done: true

# The end.
"""


@pytest.fixture(params=["C", "Python"], autouse=True)
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every test with libyaml's loader (when built) and with pure-Python PyYAML."""
    if request.param == "C":
        if not hasattr(yaml, "CSafeLoader"):
            # goalsrepo's speed relies on libyaml: CI must have it, a dev box may not.
            if os.environ.get("CI") == "true":
                pytest.fail("PyYAML was built without libyaml")
            pytest.skip("PyYAML was built without libyaml")
        monkeypatch.setattr(edit, "_LOADER", yaml.CSafeLoader)
    else:
        monkeypatch.setattr(edit, "_LOADER", yaml.SafeLoader)


def changed_lines(before: str, after: str) -> list[str]:
    """The lines that differ, as ``-old`` / ``+new``."""
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def test_numeric_checkin_changes_exactly_one_line() -> None:
    after = set_value(COMMENTED, ("key_results", 0, "current"), 18)
    assert changed_lines(COMMENTED, after) == [
        "-    current: 22             # from the pipeline dashboard, 2026-11-20",
        "+    current: 18             # from the pipeline dashboard, 2026-11-20",
    ]
    assert yaml.safe_load(after)["key_results"][0]["current"] == 18


def test_milestone_done_in_block_mapping() -> None:
    after = set_value(COMMENTED, ("key_results", 1, "done"), True)
    assert changed_lines(COMMENTED, after) == [
        "-    done: false             # draft in Notion",
        "+    done: true             # draft in Notion",
    ]


def test_value_in_flow_mapping_keeps_the_flow_style() -> None:
    after = set_value(COMMENTED, ("key_results", 2, "current"), 4.75)
    assert changed_lines(COMMENTED, after) == [
        '-  - {id: error-rate, title: Change failure rate, unit: "%", keep: below, target: 5,'
        " current: 3.2}",
        '+  - {id: error-rate, title: Change failure rate, unit: "%", keep: below, target: 5,'
        " current: 4.75}",
    ]


def test_item_of_a_flow_list() -> None:
    after = set_value(COMMENTED, ("contributors", 1), "ana")
    assert changed_lines(COMMENTED, after) == [
        "-contributors: [jonas, hiro]   # flow list, kept as is",
        "+contributors: [jonas, ana]   # flow list, kept as is",
    ]


def test_milestone_of_a_nested_list() -> None:
    after = set_value(COMMENTED, ("milestones", 0, "done"), False)
    assert changed_lines(COMMENTED, after) == ["-    done: true", "+    done: false"]


def test_double_quoted_value_is_replaced_with_its_quotes() -> None:
    after = set_value(COMMENTED, ("title",), "Ship every change within thirty minutes")
    assert changed_lines(COMMENTED, after) == [
        '-title: "Ship any change to production within one hour"',
        "+title: Ship every change within thirty minutes",
    ]


def test_missing_key_is_added_at_the_end_of_its_block_mapping() -> None:
    after = set_value(COMMENTED, ("key_results", 1, "weight"), 0.5)
    assert changed_lines(COMMENTED, after) == ["+    weight: 0.5"]
    lines = after.splitlines()
    before_new = lines[lines.index("    weight: 0.5") - 1]
    assert before_new == "    done: false             # draft in Notion"
    assert yaml.safe_load(after)["key_results"][1] == {
        "id": "runbook", "title": "Publish the deploy runbook", "done": False, "weight": 0.5,
    }


def test_missing_top_level_key_goes_after_the_last_entry_not_after_trailing_comments() -> None:
    after = set_value(COMMENTED, ("status",), "achieved")
    assert after.endswith("    done: true\nstatus: achieved\n\n# The end.\n")
    assert changed_lines(COMMENTED, after) == ["+status: achieved"]


def test_missing_key_in_a_flow_mapping() -> None:
    after = set_value(COMMENTED, ("key_results", 2, "weight"), 3)
    assert "target: 5, current: 3.2, weight: 3}" in after
    assert yaml.safe_load(after)["key_results"][2]["weight"] == 3
    assert set_value("a: {}\n", ("a", "b"), 1) == "a: {b: 1}\n"


def test_insert_keeps_crlf_and_a_missing_final_newline() -> None:
    assert set_value("a: 1\r\nb: 2\r\n", ("c",), 3) == "a: 1\r\nb: 2\r\nc: 3\r\n"
    assert set_value("a: 1\nb: 2", ("c",), 3) == "a: 1\nb: 2\nc: 3"


def test_insert_after_a_literal_block_that_keeps_its_trailing_newlines() -> None:
    after = set_value("c: 0\na: |+\n  x\n\n", ("d",), 1)
    assert after == "c: 0\na: |+\n  x\n\nd: 1\n"
    assert yaml.safe_load(after) == {"c": 0, "a": "x\n\n", "d": 1}
    clipped = set_value("c: 0\na: |  # 1+1\n  x\n\n", ("d",), 1)
    assert clipped == "c: 0\na: |  # 1+1\n  x\nd: 1\n\n"


def test_block_scalar_replaced_keeps_the_blank_line_after_it() -> None:
    after = set_value(COMMENTED, ("description",), "Short now.")
    assert "description: Short now.\n\n# --- how we measure it" in after


def test_literal_block_stays_a_literal_block() -> None:
    value = "## Why\nMonth-end is when customers need us most.\n\n**Achieved** early.\n"
    after = set_value(COMMENTED, ("description",), value)
    assert changed_lines(COMMENTED, after) == ["+", "+  **Achieved** early."]
    assert yaml.safe_load(after)["description"] == value


def test_literal_block_in_a_list_item_keeps_its_indentation_and_header_comment() -> None:
    text = "items:\n  - note: |  # Markdown\n        old text\n    id: a\n"
    after = set_value(text, ("items", 0, "note"), "new\ntext\n")
    assert after == "items:\n  - note: |  # Markdown\n        new\n        text\n    id: a\n"


def test_text_a_literal_block_cannot_hold_is_quoted_instead() -> None:
    assert set_value("d: |\n  x\n", ("d",), "no final newline") == "d: no final newline\n"
    assert set_value("d: |\n  x\n", ("d",), " leading\n") == 'd: " leading\\n"\n'
    assert set_value("d: |\n  x\n", ("d",), "tab\there\n") == 'd: "tab\\there\\n"\n'


def test_empty_value_gets_a_space() -> None:
    assert set_value("current:\nnext: 1\n", ("current",), 5) == "current: 5\nnext: 1\n"


def test_non_ascii_text_before_the_value() -> None:
    text = "owner: Tomás — lead  # ünïcode\ncurrent: 1\n"
    assert set_value(text, ("current",), 2) == "owner: Tomás — lead  # ünïcode\ncurrent: 2\n"


def test_round_trip_of_every_value_type() -> None:
    text = "v: 0\n"
    for value in [7, -3, 0.1, 2.5e-07, 1e16, True, False, "plain words", "Tomás",
                  "no", "null", "2026-10-01", "12", "a: b", "#x", "- x", "x, y", "quote\"s",
                  "back\\slash", "two\nlines", "", " padded ", "tab\there", "\x85", "\u2028"]:
        loaded = yaml.safe_load(set_value(text, ("v",), value))["v"]
        assert loaded == value and type(loaded) is type(value), value


@given(st.text())
def test_any_string_reads_back_as_itself(value: str) -> None:
    text = "# c\nitems: [a, b]\nkey: old  # c\n"
    assert yaml.safe_load(set_value(text, ("key",), value))["key"] == value
    assert yaml.safe_load(set_value(text, ("items", 0), value))["items"] == [value, "b"]
    literal = "d: |\n  old\n  text\nnext: 1\n"
    assert yaml.safe_load(set_value(literal, ("d",), value)) == {"d": value, "next": 1}


@given(st.lists(st.text(), min_size=1).map(lambda lines: "\n".join(lines) + "\n"))
def test_any_multiline_text_in_a_literal_block_reads_back_as_itself(value: str) -> None:
    text = "x:\n  - d: |\n      old\n    next: 1\n"
    assert yaml.safe_load(set_value(text, ("x", 0, "d"), value)) == {"x": [{"d": value, "next": 1}]}


@given(st.floats(allow_nan=False, allow_infinity=False) | st.integers())
def test_any_number_reads_back_as_itself(value: float) -> None:
    loaded = yaml.safe_load(set_value("n: 1\n", ("n",), value))["n"]
    assert loaded == value and type(loaded) is type(value)


def test_format_scalar_by_hand() -> None:
    assert format_scalar(True) == "true"
    assert format_scalar(22) == "22"
    assert format_scalar(0.1) == "0.1"
    assert format_scalar(1e-05) == "1.0e-05"
    assert format_scalar("min") == "min"
    assert format_scalar("%") == '"%"'
    assert format_scalar("yes") == '"yes"'
    assert format_scalar("a\nb") == '"a\\nb"'
    with pytest.raises(EditError, match="finite"):
        format_scalar(math.nan)


def test_key_result_index() -> None:
    assert key_result_index(COMMENTED, "deploy-time") == 0
    assert key_result_index(COMMENTED, "error-rate") == 2
    with pytest.raises(EditError, match="no key result has the id `nope`"):
        key_result_index(COMMENTED, "nope")


def test_remove_key_takes_its_lines_only() -> None:
    after = remove_key(COMMENTED, ("key_results", 0, "weight"))
    assert changed_lines(COMMENTED, after) == ["-    weight: 2"]
    after = remove_key(COMMENTED, ("milestones",))
    assert after.endswith("current: 3.2}\n\n\n# The end.\n")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (("nope", "deeper"), "nope does not exist"),
        (("key_results", 7, "current"), r"key_results\[7\] does not exist: the list has 3"),
        (("key_results", "x"), "its parent is a list"),
        (("key_results",), "key_results is a list, not a single value"),
        (("key_results", 0), r"key_results\[0\] is a mapping"),
        ((), "empty path"),
    ],
)
def test_bad_paths_raise_edit_error(path: tuple[str | int, ...], message: str) -> None:
    with pytest.raises(EditError, match=message) as info:
        set_value(COMMENTED, path, 1)
    assert isinstance(info.value, ValueError) and isinstance(info.value, GoalsrepoError)


def test_refuses_what_it_cannot_edit_safely() -> None:
    with pytest.raises(EditError, match="alias"):
        set_value("a: &n 1\nb: *n\n", ("b",), 2)
    with pytest.raises(EditError, match="alias"):
        set_value("- &n 1\n- *n\n", (1,), 2)
    with pytest.raises(EditError, match="anchor or a tag"):
        set_value("a: !!str 1\n", ("a",), "2")
    with pytest.raises(EditError, match="duplicate key"):
        set_value("a: 1\na: 2\n", ("a",), 3)
    with pytest.raises(EditError, match="merge key"):
        set_value("base: &b {x: 1}\ngoal:\n  <<: *b\n  y: 2\n", ("goal", "x"), 3)
    with pytest.raises(EditError, match="not valid YAML"):
        set_value("a: [1\n", ("a",), 2)
    with pytest.raises(EditError, match="no YAML document"):
        set_value("# only a comment\n", ("a",), 2)
    with pytest.raises(EditError, match="starts a list item"):
        remove_key(COMMENTED, ("milestones", 0, "title"))


def test_set_values_changes_several_values_and_nothing_else() -> None:
    changes = {("key_results", 0, "current"): 18, ("key_results", 2, "current"): 2.5}
    edited = edit.set_values(COMMENTED, changes)
    diff = [line for line in difflib.ndiff(COMMENTED.splitlines(), edited.splitlines())
            if line[:1] in "+-"]
    assert len(diff) == 4
    data = yaml.safe_load(edited)
    assert data["key_results"][0]["current"] == 18
    assert data["key_results"][2]["current"] == 2.5
    with pytest.raises(EditError):
        edit.set_values(COMMENTED, {("key_results", 9, "current"): 1})


def test_set_values_adds_missing_keys_and_replaces_the_others_in_one_pass() -> None:
    text = ("key_results:\n  - id: a  # first\n    start: 0\n    target: 10\n"
            "  - {id: b, start: 0, target: 5, current: 1}\n  - id: c\n    current: 3\n")
    edited = edit.set_values(text, {("key_results", 0, "current"): 4,
                                    ("key_results", 1, "current"): 2,
                                    ("key_results", 2, "current"): 3.5})
    assert edited == ("key_results:\n  - id: a  # first\n    start: 0\n    target: 10\n"
                      "    current: 4\n  - {id: b, start: 0, target: 5, current: 2}\n"
                      "  - id: c\n    current: 3.5\n")
