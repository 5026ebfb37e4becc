"""Hostile files given to ``goalsrepo import``: each gives a clear error naming the file
(and row and column where there is one) and exit 1, or safe output; never a traceback,
and never a file written when the import stops."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from gitrepo import git, run_cli

from goalsrepo.integrations.importers import tables

CONFIG = "periods:\n  - id: 2026-Q4\n    start: 2026-10-01\n    end: 2026-12-31\n"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "--quiet")
    (repo / "goalsrepo.yaml").write_text(CONFIG)
    return repo


def refused(root: Path, fmt: str, path: Path, *args: str) -> str:
    """Run the import; assert it failed cleanly and wrote nothing; its stderr."""
    before = sorted(p.relative_to(root) for p in root.rglob("*") if ".git" not in p.parts)
    result = run_cli("import", fmt, str(path), "-C", str(root), *args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    after = sorted(p.relative_to(root) for p in root.rglob("*") if ".git" not in p.parts)
    assert after == before
    return result.stderr


def test_a_zip_bomb_workbook_is_refused_before_it_is_opened(tmp_path: Path, root: Path) -> None:
    bomb = tmp_path / "okrs.xlsx"
    book = openpyxl.Workbook()
    book.save(bomb)
    chunk = bytes(1024 * 1024)
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as archive, \
            archive.open("xl/media/zeros.bin", "w", force_zip64=True) as member:
        for _ in range(tables.MAX_UNZIPPED // len(chunk) + 1):
            member.write(chunk)
    assert bomb.stat().st_size < 2 * 1024 * 1024
    stderr = refused(root, "okr-csv", bomb)
    assert "okrs.xlsx: error: the workbook would expand to" in stderr
    assert "refusing to open it [GR801]" in stderr


def test_a_file_that_is_not_a_workbook(tmp_path: Path, root: Path) -> None:
    fake = tmp_path / "okrs.xlsx"
    fake.write_text("Objective,KR\n")
    assert "okrs.xlsx: error: not an .xlsx workbook: File is not a zip file" in refused(
        root, "okr-csv", fake)


def test_a_nul_byte_names_its_row_and_column(tmp_path: Path, root: Path) -> None:
    source = tmp_path / "nul.csv"
    source.write_bytes(b"Objective,Owner\nA goal with a NUL\x00 in it,alice\n")
    assert ("nul.csv:2:1: error: 'Objective': the cell holds a NUL character; no goal file "
            "can [GR801]") in refused(root, "okr-csv", source)


def test_a_ten_megabyte_cell_is_refused(tmp_path: Path, root: Path) -> None:
    source = tmp_path / "big.csv"
    source.write_text("Objective,Owner\nA normal goal for the team,alice\n\"" + "x" * 10_000_000
                      + "\",alice\n")
    assert ("big.csv:3: error: a cell holds more than 128 KiB of text; no goal file can "
            "[GR801]") in refused(root, "okr-csv", source)


def test_a_windows_1252_file_is_named_with_what_to_do(tmp_path: Path, root: Path) -> None:
    source = tmp_path / "excel.csv"
    source.write_bytes("Objective,Owner\nRéduire le délai,alice\n".encode("cp1252"))
    assert ('excel.csv:1: error: excel.csv is not UTF-8 text: save it as "CSV UTF-8" (Excel) '
            "or download it as CSV (Google Sheets) [GR801]") in refused(root, "okr-csv", source)


def test_a_utf16_file_says_so(tmp_path: Path, root: Path) -> None:
    source = tmp_path / "unicode.csv"
    source.write_bytes("Objective\tOwner\nA goal\talice\n".encode("utf-16"))
    assert "unicode.csv is not UTF-8 text (it is UTF-16)" in refused(root, "okr-csv", source)


def test_too_many_rows_stop_while_streaming(tmp_path: Path, root: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tables, "MAX_ROWS", 2_000)  # the mechanism, without 200,000 rows
    source = tmp_path / "huge.csv"
    with open(source, "w") as fh:
        fh.write("Objective,Key result,Owner,Target\n")
        for n in range(tables.MAX_ROWS + 10):
            fh.write(f"Goal {n // 4} of the huge plan,KR {n},alice,{n + 1}\n")
    assert "huge.csv:2001: error: more than 2,000 rows: split the file" \
        in refused(root, "okr-csv", source)


def test_formula_cells_are_kept_as_text(tmp_path: Path, root: Path) -> None:
    source = tmp_path / "formulas.csv"
    source.write_text("Objective,Key result,Owner,Description\n"
                      "\"=cmd|' /C calc'!A0\",\"=HYPERLINK(\"\"https://evil.example\"\")\","
                      "alice,@SUM(1+1)\n")
    result = run_cli("import", "okr-csv", str(source), "-C", str(root), "--format", "json")
    assert result.exit_code == 0, result.output
    (goal,) = json.loads(result.stdout)["goals"]
    text = (root / goal["path"]).read_text()
    assert goal["id"] == "cmd-c-calc-a0"
    assert "title: =cmd|' /C calc'!A0\n" in text  # plain YAML text: nothing runs it
    assert 'title: =HYPERLINK("https://evil.example")\n' in text
    assert 'description: "@SUM(1+1)"\n' in text
    assert run_cli("validate", "-C", str(root)).exit_code == 0


def test_ids_teams_and_periods_cannot_leave_the_goals_folder(tmp_path: Path, root: Path) -> None:
    source = tmp_path / "escape.csv"
    source.write_text("Objective,Owner,Team\n../../etc/passwd,../../root,../../../tmp\n")
    result = run_cli("import", "okr-csv", str(source), "-C", str(root), "--format", "json")
    assert result.exit_code == 0, result.output
    (goal,) = json.loads(result.stdout)["goals"]
    assert goal["path"] == "goals/tmp/etc-passwd.yaml"
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*.yaml")) == [
        "goals/tmp/etc-passwd.yaml", "goalsrepo.yaml", "people.yaml", "teams.yaml"]
    assert '  - id: root\n    name: "../../root"\n' in (root / "people.yaml").read_text()
    assert run_cli("validate", "-C", str(root)).exit_code == 0


def test_own_format_ids_are_checked(tmp_path: Path, root: Path) -> None:
    source = tmp_path / "own.csv"
    source.write_text("goal_id,goal_title,owner\n../../etc,Escape the folder,alice\n")
    assert ("own.csv:2:2: error: 'goal_title': `../../etc` is not a goal id (lowercase "
            "letters, digits, hyphens) [GR801]") in refused(root, "goalsrepo-csv", source)


def test_a_period_or_team_option_that_is_not_an_id(tmp_path: Path, root: Path) -> None:
    source = tmp_path / "o.csv"
    source.write_text("Objective,Owner\nA goal for the team,alice\n")
    assert "--team ../x: not an id" in refused(root, "okr-csv", source, "--team", "../x")
    assert "--period 2031-Q9: not a period of goalsrepo.yaml (known: 2026-Q4)" in refused(
        root, "okr-csv", source, "--period", "2031-Q9")


def test_a_goals_folder_that_links_outside_is_refused(tmp_path: Path, root: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "goals").symlink_to(outside)
    source = tmp_path / "o.csv"
    source.write_text("Objective,Owner\nA goal for the team,alice\n")
    assert "goals/a-goal-for-the-team.yaml would be outside the goals folder" in refused(
        root, "okr-csv", source)
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty.json:1: error: not JSON: Expecting value [GR801]"),
    (b"[1, 2]", "empty.json: error: not a Trello board export: no `cards` list [GR801]"),
    (b"[" * 100_000 + b"]" * 100_000, "empty.json: error: not JSON: maximum recursion depth"),
    (b'{"cards": [3, {"name": 5, "closed": false}]}',
     "empty.json:1: error: 'name': cards[0] is not an object [GR801]"),
    ('{"cards": [{"name": "Caf\u00e9", "due": "someday"}]}'.encode("latin-1"),
     "empty.json: error: not UTF-8 text: not a Trello JSON export [GR801]"),
])
def test_broken_trello_exports(tmp_path: Path, root: Path, content: bytes, message: str) -> None:
    source = tmp_path / "empty.json"
    source.write_bytes(content)
    assert message in refused(root, "trello", source, "--owner", "alice")


def test_an_empty_csv_has_no_header(tmp_path: Path, root: Path) -> None:
    source = tmp_path / "empty.csv"
    source.write_text("")
    assert "empty.csv:1: error: the file has no header row [GR801]" in refused(
        root, "okr-csv", source)


def test_a_jira_file_that_is_not_a_jira_export(tmp_path: Path, root: Path) -> None:
    source = tmp_path / "other.csv"
    source.write_text("Name,Owner\nx,y\n")
    assert "other.csv:1: error: not a Jira CSV export: no Summary, Issue Type column" in \
        refused(root, "jira", source)
