"""The safe loader: every YAML pitfall of issue 3 is a diagnostic at the right place.

Lines and columns below are counted by hand in the text of each case (1-based).
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest
from helpers import RepoFactory, diagnostics, found, write
from test_fuzz import assert_fast_path_agrees

from goalsrepo.files import loader, schema
from goalsrepo.files.loader import MAX_BYTES, decode_and_parse


def where(raw: bytes | str) -> list[tuple[str, int | None, int | None]]:
    """``(code, line, column)`` of every loader diagnostic of one file."""
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    return [(d.code, d.line, d.column) for d in decode_and_parse(data, "goals/x.yaml").diagnostics]


def parsed(text: str) -> loader.Document:
    doc = decode_and_parse(text.encode("utf-8"), "goals/x.yaml")
    assert doc.diagnostics == [], doc.diagnostics
    return doc


# --- YAML syntax -----------------------------------------------------------------------


def test_syntax_error_points_at_the_offending_colon() -> None:
    doc = decode_and_parse(b"id: a\ntitle: a: b\n", "goals/x.yaml")
    assert doc.data is None
    [d] = doc.diagnostics
    assert (d.code, d.line, d.column) == ("GR001", 2, 9)
    assert d.message.startswith("YAML syntax error")
    assert d.file == "goals/x.yaml"


def test_syntax_error_counts_columns_in_characters_not_bytes() -> None:
    # "title: é" is 8 characters (9 bytes); the second colon is character 9.
    assert where("title: é: b\n") == [("GR001", 1, 9)]


def test_unclosed_quote_is_a_syntax_error() -> None:
    [(code, line, _)] = where('id: a\ntitle: "never closed\nowner: bob\n')
    assert (code, line) == ("GR001", 4)


# --- duplicate keys --------------------------------------------------------------------


def test_duplicate_key_points_at_the_second_and_names_the_first_line() -> None:
    doc = decode_and_parse(b"id: a\ntitle: First\nowner: alice\ntitle: Second\n", "x.yaml")
    [d] = doc.diagnostics
    assert (d.code, d.line, d.column) == ("GR002", 4, 1)
    assert "`title`" in d.message
    assert "line 2" in d.message


def test_duplicate_key_inside_a_key_result() -> None:
    text = "id: a\nkey_results:\n  - id: k\n    title: T\n    id: j\n"
    doc = decode_and_parse(text.encode(), "x.yaml")
    [d] = doc.diagnostics
    assert (d.code, d.line, d.column) == ("GR002", 5, 5)
    assert "line 3" in d.message


# --- YAML 1.1 booleans -----------------------------------------------------------------


def test_yes_no_on_off_are_flagged_where_they_stand() -> None:
    doc = decode_and_parse(b"id: no\ntitle: A title\nowner: alice\nteam: on\n", "x.yaml")
    got = [(d.code, d.line, d.column) for d in doc.diagnostics]
    assert got == [("GR013", 1, 5), ("GR013", 4, 7)]
    assert "quote it ('no')" in doc.diagnostics[0].message
    assert "quote it ('on')" in doc.diagnostics[1].message


@pytest.mark.parametrize("word", ["yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON",
                                  "off", "Off", "OFF"])
def test_every_yaml11_boolean_spelling_is_flagged(word: str) -> None:
    assert where(f"owner: {word}\n") == [("GR013", 1, 8)]


@pytest.mark.parametrize("text", ["owner: 'no'\n", 'owner: "on"\n', "done: true\n",
                                  "done: false\n", "owner: nobody\n", "owner: |\n  no\n"])
def test_quoted_text_and_real_booleans_are_not_flagged(text: str) -> None:
    parsed(text)


def test_yaml11_boolean_has_no_second_schema_error_at_the_same_spot() -> None:
    text = "id: no\ntitle: A title of the goal\nowner: alice\nteam: on\n"
    doc = decode_and_parse(text.encode(), "goals/x.yaml")
    assert schema.check(doc, "goal") == []


def test_yaml11_boolean_through_validate_is_one_error_each(goals_repo: RepoFactory) -> None:
    text = "id: no\ntitle: Ship any change within one hour\nowner: alice\nteam: on\n"
    root = goals_repo({"goals/x.yaml": text})
    assert found(root) == [("goals/x.yaml", 1, 5, "GR013"), ("goals/x.yaml", 4, 7, "GR013")]


# --- dates -----------------------------------------------------------------------------


def test_dates_stay_text() -> None:
    doc = parsed("start: 2026-10-01\ndue: 2026-12-31\n")
    assert doc.data == {"start": "2026-10-01", "due": "2026-12-31"}


@pytest.mark.parametrize("day", ["2026-02-30", "2023-02-29", "2026-13-01", "2026-00-10",
                                 "0000-01-01"])
def test_impossible_date_is_an_error_at_the_value(goals_repo: RepoFactory, day: str) -> None:
    text = ("id: a\ntitle: Ship any change within one hour\nowner: alice\n"
            f"due: {day}\n")
    root = goals_repo({"goals/x.yaml": text})
    assert ("goals/x.yaml", 4, 6, "GR015") in found(root)


def test_leap_day_is_a_real_date(goals_repo: RepoFactory) -> None:
    text = ("id: a\ntitle: Ship any change within one hour\nowner: alice\nlevel: organization\n"
            "due: 2024-02-29\nkey_results:\n"
            "  - {id: k, title: T, unit: min, start: 1, target: 2}\n")
    root = goals_repo({"goals/x.yaml": text})
    assert found(root) == []


def test_impossible_period_date_in_config(goals_repo: RepoFactory) -> None:
    config = "periods:\n  - id: q1\n    start: 2026-01-01\n    end: 2026-02-30\n"
    root = goals_repo(config=config)
    assert ("goalsrepo.yaml", 4, 10, "GR015") in found(root)


# --- tabs ------------------------------------------------------------------------------


def test_tab_indentation_at_line_start() -> None:
    assert where("id: a\nkey_results:\n\t- id: k\n") == [("GR003", 3, 1)]


def test_tab_after_spaces_in_indentation() -> None:
    assert where("key_results:\n  \t- id: k\n") == [("GR003", 2, 3)]


def test_tab_inside_a_value_is_kept() -> None:
    assert parsed("title: a\tb\n").data == {"title": "a\tb"}


# --- anchors, aliases, merge keys, alias bombs ----------------------------------------


def test_anchor_is_refused_at_the_anchor() -> None:
    assert where("id: a\nowner: &who alice\n") == [("GR004", 2, 8)]


def test_alias_is_refused_at_the_alias() -> None:
    assert where("id: a\nowner: *who\n") == [("GR004", 2, 8)]


def test_anchor_and_alias_is_refused_at_the_anchor() -> None:
    assert where("x-a: &a alice\nowner: *a\n") == [("GR004", 1, 6)]


def test_merge_key_is_refused() -> None:
    doc = decode_and_parse(b"x-base: {a: 1}\nx-b:\n  <<: {b: 2}\n", "x.yaml")
    [d] = doc.diagnostics
    assert (d.code, d.line, d.column) == ("GR004", 3, 3)
    assert "merge" in d.message


def test_billion_laughs_finishes_fast() -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    bomb = ("\n".join(lines) + "\n").encode()
    began = time.perf_counter()
    doc = decode_and_parse(bomb, "x.yaml")
    elapsed = time.perf_counter() - began
    assert [(d.code, d.line, d.column) for d in doc.diagnostics] == [("GR004", 1, 5)]
    assert elapsed < 1.0


def test_billion_laughs_without_anchor_names_first() -> None:
    # Aliases to anchors never defined: refused as aliases, whatever their number.
    text = "x: [" + ",".join(["*a"] * 1000) + "]\n"
    assert where(text) == [("GR004", 1, 5)]


# --- nesting depth ---------------------------------------------------------------------


def test_deep_flow_sequence_does_not_crash() -> None:
    # The top level is depth 1; the 33rd `[` (column 33) is depth 33, one over the cap.
    assert where("[" * 100_000) == [("GR007", 1, 33)]


def test_deep_closed_flow_value_does_not_crash() -> None:
    # `[` number k stands at column 5 + k and opens depth k + 1: depth 33 at column 37.
    assert where("key: " + "[" * 100_000 + "]" * 100_000 + "\n") == [("GR007", 1, 37)]


def test_deep_flow_mappings_do_not_crash() -> None:
    assert where("a: " + "{b: " * 50_000 + "}" * 50_000 + "\n") == [("GR007", 1, 4 + 31 * 4)]


def test_deep_block_sequence_does_not_crash() -> None:
    # "- " number k starts at column 2k - 1 and opens depth k: depth 33 at column 65.
    assert where("- " * 100_000 + "x\n") == [("GR007", 1, 65)]


def _nested(levels: int) -> str:
    lines = [" " * i + f"k{i}:" for i in range(levels - 1)]
    return "\n".join([*lines, " " * (levels - 1) + f"k{levels - 1}: v"]) + "\n"


def test_block_mappings_32_deep_are_fine() -> None:
    data = parsed(_nested(32)).data
    for i in range(31):
        assert data is not None
        data = data[f"k{i}"]
    assert data == {"k31": "v"}


def test_block_mappings_33_deep_are_refused_at_the_33rd() -> None:
    assert where(_nested(33)) == [("GR007", 33, 33)]


# --- size, emptiness, documents, top level ---------------------------------------------


def test_file_over_one_mebibyte(goals_repo: RepoFactory) -> None:
    big = b"id: big\n# " + b"x" * MAX_BYTES + b"\n"
    root = goals_repo({**_good_goal(), "goals/big.yaml": big})
    [d] = [d for d in diagnostics(root) if d.file == "goals/big.yaml"]
    assert (d.code, d.line, d.column) == ("GR006", None, None)


def test_file_of_exactly_one_mebibyte_is_read() -> None:
    head = b"id: a\n# "
    raw = head + b"x" * (MAX_BYTES - len(head) - 1) + b"\n"
    assert len(raw) == MAX_BYTES
    doc = decode_and_parse(raw, "x.yaml")
    assert doc.diagnostics == []
    assert doc.data == {"id": "a"}


def test_bytes_over_one_mebibyte_are_refused_before_parsing() -> None:
    assert where(b"a: b\n" * (MAX_BYTES // 5 + 1)) == [("GR006", None, None)]


@pytest.mark.parametrize("raw", [b"", b"\n\n", b"   \n\t\n", b"# just a comment\n",
                                 b"# one\n\n   # two\n"])
def test_empty_and_comment_only_files(raw: bytes) -> None:
    assert where(raw) == [("GR008", 1, 1)]


def test_several_documents_point_at_the_second() -> None:
    assert where("id: a\n---\nid: b\n") == [("GR009", 2, 1)]


@pytest.mark.parametrize("text", ["---\nid: a\n", "id: a\n...\n", "%YAML 1.1\n---\nid: a\n"])
def test_one_document_with_markers_is_fine(text: str) -> None:
    assert parsed(text).data == {"id": "a"}


@pytest.mark.parametrize(("text", "line"), [("- a\n- b\n", 1), ("hello\n", 1),
                                            ("# c\n\n[1, 2]\n", 3), ("'quoted'\n", 1)])
def test_top_level_must_be_a_mapping(text: str, line: int) -> None:
    assert where(text) == [("GR010", line, 1)]


# --- bytes: encoding, BOM, control characters --------------------------------------------


def test_non_utf8_byte_is_located() -> None:
    doc = decode_and_parse(b"id: a\ntitle: caf\xe9 au lait\n", "x.yaml")
    [d] = doc.diagnostics
    assert (d.code, d.line, d.column) == ("GR011", 2, 11)
    assert "0xe9" in d.message


def test_non_utf8_column_counts_characters() -> None:
    # "title: é" holds 8 characters; the bad byte is the 9th character of the line.
    assert where("id: a\ntitle: é".encode() + b"\xff\n") == [("GR011", 2, 9)]


def test_utf8_encoded_surrogate_is_not_utf8() -> None:
    assert where(b"title: \xed\xa0\x80\n") == [("GR011", 1, 8)]


def test_byte_order_mark() -> None:
    assert where(b"\xef\xbb\xbfid: a\n") == [("GR012", 1, 1)]


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x9f", "\ufffe"])
def test_control_character_is_located(char: str) -> None:
    doc = decode_and_parse(f"id: a\ntitle: x{char}y\n".encode(), "x.yaml")
    [d] = doc.diagnostics
    assert (d.code, d.line, d.column) == ("GR001", 2, 9)
    assert f"U+{ord(char):04X}" in d.message


def test_control_character_column_counts_characters() -> None:
    assert where("title: ééé\nx: a\x07\n") == [("GR001", 2, 5)]


@pytest.mark.parametrize("text", ["x: &a b\x07\n", "x: " + "[" * 40 + "\x07"])
def test_control_character_in_a_file_with_anchors_or_depth(text: str) -> None:
    # These files take the event-scan path first; it must report, not raise.
    [(code, line, column)] = where(text)
    assert code in ("GR001", "GR004", "GR007")
    assert line == 1
    assert column is not None


# --- tags ------------------------------------------------------------------------------


def test_python_object_tag_is_refused_and_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = f"id: a\nowner: !!python/object/apply:os.system ['touch {marker}']\n"
    doc = decode_and_parse(text.encode(), "x.yaml")
    [d] = doc.diagnostics
    assert (d.code, d.line, d.column) == ("GR005", 2, 8)
    assert "!!python/object/apply" in d.message
    assert not marker.exists()


@pytest.mark.parametrize(("text", "column"), [("id: !local a\n", 5), ("id: !!binary aGk=\n", 5),
                                              ("id: !!int 5\n", 5), ("x: !!set {a}\n", 4),
                                              ("x: !<tag:example.com,2000:x> a\n", 4)])
def test_other_tags_are_refused(text: str, column: int) -> None:
    assert where(text) == [("GR005", 1, column)]


def test_str_tag_is_plain_text() -> None:
    assert parsed("id: !!str 5\n").data == {"id": "5"}


def test_non_text_key_is_refused() -> None:
    assert where("? [a, b]\n: c\n") == [("GR016", 1, 3)]


# --- numbers ---------------------------------------------------------------------------


def test_numbers_of_yaml_12() -> None:
    doc = parsed("a: 1\nb: -2.5\nc: 1_000\nd: 0.0\ne: 1e3\nf: '7'\ng: 0x1F\nh: .inf\n")
    assert doc.data == {"a": 1, "b": -2.5, "c": 1000, "d": 0.0, "e": 1000.0, "f": "7",
                        "g": "0x1F", "h": ".inf"}


@pytest.mark.parametrize("number", ["9" * 5000, "9" * 400 + ".5", "1e999", "-1e999"])
def test_numbers_too_large_do_not_crash(number: str) -> None:
    doc = decode_and_parse(f"target: {number}\n".encode(), "x.yaml")
    assert doc.data is not None
    value = doc.data["target"]
    assert isinstance(value, str) or (value == value and abs(value) != float("inf"))


# --- reading files from a repository ---------------------------------------------------


def _good_goal() -> dict[str, str]:
    return {"goals/good.yaml": "id: good\ntitle: Ship any change within one hour\nowner: alice\n"
            "level: organization\nperiod: 2026-Q4\nkey_results:\n"
            "  - {id: k, title: T, unit: min, start: 45, target: 10}\n"}


def test_dangling_symlink_is_unreadable(goals_repo: RepoFactory) -> None:
    root = goals_repo(_good_goal())
    os.symlink(root / "goals" / "nowhere.yaml", root / "goals" / "dangling.yaml")
    assert found(root) == [("goals/dangling.yaml", None, None, "GR014")]


def test_symlink_outside_the_repository_is_not_read(goals_repo: RepoFactory,
                                                     tmp_path: Path) -> None:
    secret = write(tmp_path, "outside/secret.yaml", "id: secret-value\n")
    root = goals_repo(_good_goal())
    os.symlink(secret, root / "goals" / "link.yaml")
    [d] = diagnostics(root)
    assert (d.file, d.line, d.column, d.code) == ("goals/link.yaml", None, None, "GR014")
    assert "outside" in d.message
    assert "secret-value" not in d.message


def test_symlinked_goals_folder_outside_is_not_read(goals_repo: RepoFactory,
                                                    tmp_path: Path) -> None:
    write(tmp_path, "outside/secret.yaml", "id: secret-value\n")
    root = goals_repo({})
    (root / "goals").rmdir()
    os.symlink(tmp_path / "outside", root / "goals")
    [d] = diagnostics(root)
    assert (d.file, d.line, d.column, d.code) == ("goalsrepo.yaml", 1, 1, "GR134")
    assert "outside the repository" in d.message
    assert "secret" not in d.message


def test_goals_dir_leading_outside_is_not_read(goals_repo: RepoFactory, tmp_path: Path) -> None:
    write(tmp_path, "outside/secret.yaml", "id: secret-value\n")
    root = goals_repo({}, config="title: Acme\ngoals_dir: goals/../../outside\n")
    [d] = diagnostics(root)
    assert (d.file, d.line, d.column, d.code) == ("goalsrepo.yaml", 2, 12, "GR134")
    assert "secret" not in d.message


def test_goals_dir_with_dots_inside_the_repository_is_read(goals_repo: RepoFactory) -> None:
    root = goals_repo({"goals/a.yaml": "id: [\n", "other/notes.txt": "kept"},
                      config="goals_dir: other/../goals\n")
    [(file, _, _, code)] = found(root)
    assert code == "GR001"
    assert file is not None and file.endswith("goals/a.yaml")


def test_symlink_to_a_file_inside_is_read(goals_repo: RepoFactory) -> None:
    root = goals_repo(_good_goal(), config=None)
    write(root, "shared/extra.yaml", "id: extra\ntitle: T\nowner: alice\n")
    os.symlink(root / "shared" / "extra.yaml", root / "goals" / "extra.yaml")
    assert ("goals/extra.yaml", 2, 8, "GR201") in found(root)


def test_hidden_files_and_folders_are_skipped(goals_repo: RepoFactory) -> None:
    root = goals_repo({**_good_goal(), "goals/.draft.yaml": "broken: [",
                       "goals/.trash/old.yaml": "broken: [", "goals/notes.txt": "broken: ["})
    assert found(root) == []


def test_yml_extension_is_read(goals_repo: RepoFactory) -> None:
    root = goals_repo({**_good_goal(), "goals/other.yml": "id: [\n"})
    assert [f for f, *_ in found(root)] == ["goals/other.yml"]


BAD_FILES: dict[str, bytes] = {
    "goals/a-syntax.yaml": b"id: a\ntitle: a: b\n",
    "goals/b-dup.yaml": b"id: b\nid: c\n",
    "goals/c-tab.yaml": b"id: c\n\ttitle: x\n",
    "goals/d-anchor.yaml": b"id: &x d\n",
    "goals/e-empty.yaml": b"",
    "goals/f-multi.yaml": b"id: f\n---\nid: g\n",
    "goals/g-list.yaml": b"- id: g\n",
    "goals/h-latin1.yaml": b"id: h\ntitle: \xe9\n",
    "goals/i-bom.yaml": b"\xef\xbb\xbfid: i\n",
    "goals/j-tag.yaml": b"id: !!python/name:os.system\n",
    "goals/k-deep.yaml": b"[" * 10_000,
    "goals/l-big.yaml": b"#" * (MAX_BYTES + 1),
}


def test_every_bad_file_is_reported_and_the_others_still_checked(
        goals_repo: RepoFactory) -> None:
    # The good goal has a semantic error (unknown owner): it must still be checked.
    good = "id: good\ntitle: Ship any change within one hour\nowner: nobody\nlevel: organization\n"
    root = goals_repo({**BAD_FILES, "goals/z-good.yaml": good})
    os.symlink(root / "missing.yaml", root / "goals" / "m-dangling.yaml")
    got = {(f, code) for f, _, _, code in found(root)}
    assert got == {
        ("goals/a-syntax.yaml", "GR001"), ("goals/b-dup.yaml", "GR002"),
        ("goals/c-tab.yaml", "GR003"), ("goals/d-anchor.yaml", "GR004"),
        ("goals/e-empty.yaml", "GR008"), ("goals/f-multi.yaml", "GR009"),
        ("goals/g-list.yaml", "GR010"), ("goals/h-latin1.yaml", "GR011"),
        ("goals/i-bom.yaml", "GR012"), ("goals/j-tag.yaml", "GR005"),
        ("goals/k-deep.yaml", "GR007"), ("goals/l-big.yaml", "GR006"),
        ("goals/m-dangling.yaml", "GR014"),
        ("goals/z-good.yaml", "GR120"),  # owner `nobody` is not in people.yaml
        ("goals/z-good.yaml", "GR203"),  # and no key results
        ("goals/z-good.yaml", "GR208"),  # and no period or due date
        # b-dup parses: its data is still schema-checked (title and owner are missing).
        ("goals/b-dup.yaml", "GR102"),
    }


def test_find_goal_files_sorted_and_posix(tmp_path: Path) -> None:
    for rel in ("goals/b.yaml", "goals/a/z.yml", "goals/a/b.yaml", "goals/c.json"):
        write(tmp_path, rel, "id: x\n")
    assert loader.find_goal_files(tmp_path, "goals") == [
        "goals/a/b.yaml", "goals/a/z.yml", "goals/b.yaml"]


# --- the fast path of history's old versions ---------------------------------------------

# Scalars of every kind the loader resolves, each as a plain scalar would be written.
PLAIN = ["0", "7", "-3", "+12", "1_000", "0x1F", "012", "99999999999999999999", "9" * 5000,
         "1.5", "-0.25", ".5", "5.", "1e5", "1.0e+3", "+.e5", "1e999", "1_0.5", ".inf", ".nan",
         "2026-01-01", "2026-Q1", "null", "Null", "NULL", "~", "true", "True", "FALSE",
         "yes", "No", "ON", "off", "y", "n", "alice", "a b c", "R&D", "done!", "https://x.y/z",
         "-", "x: y", "under_score", "é"]
QUOTED = ["'1'", '"2.5"', "'yes'", '"null"', "''", "'it''s'", '"tab\\there"']


def _goal_text(rng: random.Random) -> str:
    """A goal-shaped document with scalars of every kind in every place a goal has them."""
    def value() -> str:
        roll = rng.random()
        if roll < 0.75:
            return rng.choice(PLAIN)
        if roll < 0.9:
            return rng.choice(QUOTED)
        return rng.choice(["!!str 5", "!!int 5", "&a 1", "*a", "[1, yes, x]", "{a: 1}", ""])

    lines = [f"id: {rng.choice(['g-1', 'g-2', value()])}", f"title: {value()}"]
    lines += [f"{key}: {value()}" for key in rng.sample(
        ["owner", "team", "status", "level", "period", "due", "weight", "owner"], 4)]
    if rng.random() < 0.3:
        lines.append(f"aligns_to: [{value()}, {value()}]")
    if rng.random() < 0.2:
        lines.append("description: |\n  Some text: 1\n  yes")
    lines.append("key_results:")
    for _ in range(rng.randint(0, 4)):
        keys = rng.sample(["title", "unit", "start", "target", "current", "done", "keep",
                           "id"], 5)
        lines.append(f"  - id: {value()}")
        lines += [f"    {key}: {value()}" for key in keys]
    if rng.random() < 0.2:
        lines.append("milestones:\n  - title: " + value() + "\n    done: " + value())
    if rng.random() < 0.05:
        lines.append("deep: " + "[" * 40 + "]" * 40)
    if rng.random() < 0.05:
        lines.append("<<: {a: 1}")
    return "\n".join(lines) + "\n"


def test_history_fast_path_gives_what_the_full_read_gives() -> None:
    """History reads old versions without positions, on a path of its own: the same data (and
    types), diagnostics and flagged values as a file read fully, on many generated goals,
    each read twice (what the loader learned from the first read must not change the
    second)."""
    rng = random.Random(17)
    texts = [_goal_text(rng) for _ in range(1500)]
    for text in texts + texts[::-1]:
        assert_fast_path_agrees(text.encode("utf-8"))


# Lines of the block YAML goal files are written in, and of what lies just outside it.
BLOCK_LINES = [
    "id: g-1", "title: {v}", "owner: {v}", "status: {v}", "aligns_to: [{f}, {f}]",
    "contributors: [{f}]", "contributors: []", "contributors: [ {f} ,{f} ]", "tags: [{f},]",
    "empty:", "empty: ", "empty:   # nothing", "description: |", "description: |-",
    "description: |+", "description: >", "description: |2", "description: | # c",
    "  Some text: here # not a comment", "  more", "    deeper text", "", "  ", "   ",
    "      ", "# a comment", "  # an indented comment", "key_results:", "  - id: {v}",
    "    title: {v}", "    current: {v}", "    done: {v}", "  - {v}", "- {v}", "- id: {v}",
    "  target: {v}", "   odd: {v}", "milestones:", "  - title: {v}", "  -", "  - - x",
    "  -   spaced: 1", "title : {v}", "title:{v}", "'quoted key': 1", "? complex", "---",
    "...", "%YAML 1.1", "  continued plain text", "x-key_2: {v} # trailing comment",
    "title: {v}   ", "links:", "  - title: {v}", "    url: https://x.y/z?a=1#frag",
    "nested:", "  inner:", "    deep: {v}", "  other: {v}", "list:", "- a", "- b: 1", "  c: 2",
]
FLOW = ["a", "b-2", "x_y", "1", "2.5", "yes", "null", "-a", "a b", "@x", ".5", "a:b", "'q'"]


BLOCK_UNITS = [
    "title: {v}", "owner: {v}", "aligns_to: [{f}, {f}]", "contributors: []", "empty:",
    "empty:   # nothing", "# a comment", "", "  # an indented comment", "due: {v} # when",
    "description: |\n  line one: x # y\n\n    indented\n  \n  last\n\n",
    "description: |-\n  a\n     \n  b\n  ",
    "key_results:\n  - id: {v}\n    title: {v}\n    current: {v}\n  - id: {v}\n    done: {v}",
    "key_results:\n- id: {v}\n  target: {v}\n  unit: {v}",
    "links:\n  - title: {v}\n    url: https://x.y/z?a=1#frag",
    "nested:\n  inner:\n    deep: {v}\n  other: {v}\nafter: 1",
    "list:\n  - {v}\n  - [{f}]\n  - {v}",
]


def _block_text(rng: random.Random) -> str:
    """A goal file of block units, sometimes with a line replaced by a near miss, indented
    otherwise or cut short."""
    def value() -> str:
        return rng.choice([*PLAIN, *PLAIN, *QUOTED, "a #b", "a#b", "'x' #c", '"x" y', "'a'b'",
                           "'it''s' # c", '"a # b"', "C#", "x:", "|x", "~", "=", "<<"])

    units = ["id: g-1", *rng.sample(BLOCK_UNITS, rng.randint(1, 8))]
    lines = "\n".join(units).split("\n")
    for _ in range(rng.choice([0, 0, 0, 1, 1, 2])):
        at = rng.randrange(len(lines))
        roll = rng.random()
        if roll < 0.5:
            lines[at] = rng.choice(BLOCK_LINES)
        elif roll < 0.8:
            lines[at] = " " * rng.randint(1, 3) + lines[at]
        else:
            lines[at] = lines[at][1:]
    text = "\n".join(lines)
    while "{v}" in text or "{f}" in text:
        text = text.replace("{v}", value(), 1).replace("{f}", rng.choice(FLOW), 1)
    return text + ("\n" if rng.random() < 0.95 else "")


def test_history_block_reader_gives_what_libyaml_gives() -> None:
    """History reads old versions in the block part of YAML line by line; every text it
    reads must give what libyaml gives, and what it does not read goes to libyaml: on many
    texts of goal-file lines and their near misses, each read twice."""
    rng = random.Random(3)
    texts = [_block_text(rng) for _ in range(3000)]
    read_here = 0
    for text in texts + texts[::-1]:
        assert_fast_path_agrees(text.encode("utf-8"))
        try:
            loader._read_block(text)
            read_here += 1
        except loader._Unusual:
            pass
    assert 0.2 < read_here / (2 * len(texts)) < 0.8  # both paths are well exercised


def test_history_fast_path_makes_each_value_afresh() -> None:
    # The history cache is marshal data, which writes an object held twice as a reference:
    # two reads sharing a value would change its bytes.
    text = "id: a\ntitle: A title\nweight: 2.5\ncount: 123456\nowner: alice\n"
    first, second = (decode_and_parse(text.encode(), "x", positions=False) for _ in range(2))
    assert first.data == second.data == {
        "id": "a", "title": "A title", "weight": 2.5, "count": 123456, "owner": "alice"}
    assert first.data is not None and second.data is not None
    for key in ("title", "weight", "count", "owner"):
        assert first.data[key] is not second.data[key], key


@pytest.mark.parametrize(("text", "data"), [
    ("# c\n\nid: a\nb:\n- 1\n", {"id": "a", "b": [1]}),
    ("a: b\n   # c\nd: |\n    x\n  # end\ne: 1\n", {"a": "b", "d": "x\n", "e": 1}),
    ("d: |\n  a\n\n  b\n\n\nx: 1\n", {"d": "a\n\nb\n", "x": 1}),
    ("d: |-\n  a\n  \n    b\n   \n", {"d": "a\n\n  b\n "}),
    ("l:\n- 1\n- x: y\n  z: [a, 2]\nm: ''\n", {"l": [1, {"x": "y", "z": ["a", 2]}], "m": ""}),
    ("a: 'it''s' # c\nb: \"#x\"\nc: C# and more  \n", {"a": "it's", "b": "#x",
                                                       "c": "C# and more"}),
])
def test_history_block_reader_reads_goal_files_as_yaml_does(text: str,
                                                           data: dict[str, object]) -> None:
    assert loader._read_block(text) == (data, 2 if text.startswith("#") else 0)
    assert_fast_path_agrees(text.encode())
