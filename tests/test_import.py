"""``goalsrepo import``: real exports and spreadsheets into a real goals repository, through
the CLI, and what every run writes checked by ``goalsrepo validate`` through the CLI too."""

from __future__ import annotations

import datetime
import json
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from browser import need
from gitrepo import ALICE, git, git_env, new_repo, run_cli

from goalsrepo.files import loader

# Real exports from public repositories (shared/import-samples/PROVENANCE.md says where each
# comes from). They state no licence, so they are not part of this project: they are read
# from the shared folder beside it, where CI has them. The Asana fixture is this project's
# own, written from Asana's documented columns.
SHARED = Path(__file__).resolve().parents[2] / "shared" / "import-samples"
OWN = Path(__file__).parent / "data" / "import-samples"


def sample(name: str) -> Path:
    """A sample export: ours, or a shared one (missing: skipped, except in CI)."""
    if (OWN / name).is_file():
        return OWN / name
    need((SHARED / name).is_file(), f"the shared import sample {SHARED / name}")
    return SHARED / name

PERIODS = """\
periods:
  - id: 2026-Q4
    name: Q4 2026
    start: 2026-10-01
    end: 2026-12-31
  - id: 2026-Q1
    start: 2026-01-01
    end: 2026-03-31
"""
PEOPLE = """\
# Everyone who owns a goal. Keep this comment.
people:
  - id: alice
    name: Alice Archer
    email: alice@example.com   # her work address
  - id: bob
    name: Bob Baker
"""

# An OKR template as people fill it in: the objective left blank under its first row.
OKR_CSV = (Path(__file__).parent / "data" / "okrs.csv").read_text("utf-8")


def repo_with(tmp_path: Path, *, people: str | None = PEOPLE) -> Path:
    root = tmp_path / "goals-repo"
    root.mkdir()
    git(root, "init", "--quiet", "--initial-branch=main")
    (root / "goalsrepo.yaml").write_text(PERIODS, encoding="utf-8")
    if people is not None:
        (root / "people.yaml").write_text(people, encoding="utf-8")
    return root


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def do_import(root: Path, *args: str) -> Any:
    result = run_cli("import", *args, "-C", str(root), "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def assert_validates(root: Path) -> None:
    result = run_cli("validate", "-C", str(root))
    assert result.exit_code == 0, result.output


def goal_files(root: Path) -> dict[str, dict[str, Any]]:
    """Every goal file's data as goalsrepo reads it (dates as text)."""
    return {p.relative_to(root).as_posix(): loader.parse(p.read_text("utf-8"), p.name).data
            for p in sorted(root.glob("goals/**/*.yaml"))}


def test_okr_csv_makes_goals_people_and_teams(tmp_path: Path) -> None:
    root = repo_with(tmp_path)
    out = do_import(root, "okr-csv", str(write(tmp_path, "okrs.csv", OKR_CSV)))
    assert out["version"] == 1 and out["format"] == "okr-csv" and out["commit"] is None
    assert out["goals"] == [
        {"id": "delight-every-customer-who-signs-up",
         "path": "goals/customer-success/2026-Q4/delight-every-customer-who-signs-up.yaml",
         "key_results": 3, "milestones": 0},
        {"id": "ship-any-change-within-one-hour",
         "path": "goals/platform/2026-Q4/ship-any-change-within-one-hour.yaml",
         "key_results": 1, "milestones": 0},
    ]
    assert out["skipped"] == []
    assert out["people_added"] == ["carol-cruz"]  # alice by e-mail, bob by name
    assert out["dropped"] == [{"row": 2, "field": "Progress", "value": "33%",
                               "why": "no goal field for this column; name one with --map "
                                      "'HEADER=FIELD'"}]
    files = goal_files(root)
    delight = files["goals/customer-success/2026-Q4/delight-every-customer-who-signs-up.yaml"]
    assert delight == {
        "id": "delight-every-customer-who-signs-up",
        "title": "Delight every customer who signs up", "level": "team", "owner": "alice",
        "team": "customer-success", "contributors": ["bob"], "period": "2026-Q4",
        "description": "Why it matters:\ncustomers stay.",
        "key_results": [
            {"id": "raise-the-net-promoter-score", "title": "Raise the net promoter score",
             "unit": "points", "start": 20, "target": 40, "current": 25},
            {"id": "cut-monthly-logo-churn", "title": "Cut monthly logo churn", "unit": "%",
             "start": 5, "target": 2},
            {"id": "launch-the-help-centre", "title": "Launch the help centre", "done": True},
        ],
    }
    ship = files["goals/platform/2026-Q4/ship-any-change-within-one-hour.yaml"]
    assert ship["owner"] == "carol-cruz" and ship["due"] == "2026-12-15"
    assert ship["aligns_to"] == ["delight-every-customer-who-signs-up"]
    people = (root / "people.yaml").read_text("utf-8")
    assert people.startswith(PEOPLE)  # appended in place: comments and order kept
    assert yaml.safe_load(people)["people"][-1] == {
        "id": "carol-cruz", "name": "Carol Cruz", "email": "carol@example.com"}
    assert yaml.safe_load((root / "teams.yaml").read_text("utf-8")) == {"teams": [
        {"id": "customer-success", "name": "Customer Success"},
        {"id": "platform", "name": "Platform"}]}
    assert_validates(root)


def test_a_goal_file_reads_in_the_order_of_the_spec(tmp_path: Path) -> None:
    root = repo_with(tmp_path)
    do_import(root, "okr-csv", str(write(tmp_path, "okrs.csv", OKR_CSV)))
    text = (root / "goals/platform/2026-Q4/ship-any-change-within-one-hour.yaml").read_text()
    assert text == """\
id: ship-any-change-within-one-hour
title: Ship any change within one hour
level: team
owner: carol-cruz
team: platform
period: 2026-Q4
due: 2026-12-15
aligns_to: [delight-every-customer-who-signs-up]
key_results:
  - id: median-deploy-time
    title: Median deploy time
    unit: min
    start: 45
    target: 10
    current: 22
"""


def test_importing_again_skips_every_goal_and_writes_nothing(tmp_path: Path) -> None:
    root = repo_with(tmp_path)
    source = write(tmp_path, "okrs.csv", OKR_CSV)
    first = do_import(root, "okr-csv", str(source))
    before = {p: p.read_bytes() for p in root.rglob("*.yaml")}
    again = do_import(root, "okr-csv", str(source))
    assert again["goals"] == [] and again["people_added"] == []
    assert again["skipped"] == [g["id"] for g in first["goals"]]
    assert {p: p.read_bytes() for p in root.rglob("*.yaml")} == before


def test_update_rewrites_the_goals_already_there_in_place(tmp_path: Path) -> None:
    root = repo_with(tmp_path)
    do_import(root, "okr-csv", str(write(tmp_path, "okrs.csv", OKR_CSV)))
    changed = write(tmp_path, "okrs2.csv", OKR_CSV.replace(",45,10,22,", ",45,10,15,"))
    out = do_import(root, "okr-csv", str(changed), "--update")
    assert [g["id"] for g in out["goals"]] == ["delight-every-customer-who-signs-up",
                                               "ship-any-change-within-one-hour"]
    ship = goal_files(root)["goals/platform/2026-Q4/ship-any-change-within-one-hour.yaml"]
    assert ship["key_results"][0]["current"] == 15
    assert_validates(root)


def test_dry_run_shows_the_plan_and_writes_nothing(tmp_path: Path) -> None:
    root = repo_with(tmp_path)
    result = run_cli("import", "okr-csv", str(write(tmp_path, "okrs.csv", OKR_CSV)),
                     "-C", str(root), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Would import 2 goals from okrs.csv (okr-csv):" in result.stdout
    assert "+ goals/platform/2026-Q4/ship-any-change-within-one-hour.yaml" in result.stdout
    assert "Would add 1 person to people.yaml: carol-cruz" in result.stdout
    assert "row 2, Progress: 33%: no goal field" in result.stdout
    assert not (root / "goals").exists() and not (root / "teams.yaml").exists()
    assert (root / "people.yaml").read_text() == PEOPLE


def test_commit_makes_one_commit_of_the_new_files_and_people(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = repo_with(tmp_path)
    (root / "notes.txt").write_text("not part of the import\n")
    for name, value in git_env(ALICE, "2026-10-02T09:00:00+00:00").items():
        monkeypatch.setenv(name, value)
    out = do_import(root, "okr-csv", str(write(tmp_path, "okrs.csv", OKR_CSV)), "--commit")
    assert out["commit"] == git(root, "rev-parse", "HEAD").strip()
    files = git(root, "show", "--name-only", "--format=%s%n%an", "HEAD").split("\n")
    assert files[0] == "Import 2 goals from okrs.csv (okr-csv)"
    assert files[1] == ALICE.name
    assert sorted(f for f in files[2:] if f) == [
        "goals/customer-success/2026-Q4/delight-every-customer-who-signs-up.yaml",
        "goals/platform/2026-Q4/ship-any-change-within-one-hour.yaml",
        "people.yaml", "teams.yaml"]
    assert git(root, "status", "--porcelain") .strip().splitlines() == [
        "?? goalsrepo.yaml", "?? notes.txt"]


def test_no_new_people_refuses_unknown_owners(tmp_path: Path) -> None:
    root = repo_with(tmp_path)
    result = run_cli("import", "okr-csv", str(write(tmp_path, "okrs.csv", OKR_CSV)),
                     "-C", str(root), "--no-new-people")
    assert result.exit_code == 1
    assert ("okrs.csv:5:3: error: 'Owner': Carol Cruz is not in people.yaml "
            "(--no-new-people) [GR801]") in result.stderr
    assert not (root / "goals").exists()


def test_options_fill_what_the_data_does_not_say(tmp_path: Path) -> None:
    root = repo_with(tmp_path)
    source = write(tmp_path, "plain.csv", "Goal,KR,Baseline,To\n"
                                          "Grow revenue to new highs,ARR,1.200.000,1.500.000\n")
    out = do_import(root, "okr-csv", str(source), "--owner", "alice", "--team", "sales",
                    "--period", "2026-Q4")
    assert out["goals"][0]["path"] == "goals/sales/2026-Q4/grow-revenue-to-new-highs.yaml"
    goal = goal_files(root)["goals/sales/2026-Q4/grow-revenue-to-new-highs.yaml"]
    assert (goal["owner"], goal["team"], goal["period"]) == ("alice", "sales", "2026-Q4")
    assert goal["key_results"] == [{"id": "arr", "title": "ARR", "start": 1200000,
                                    "target": 1500000}]
    assert_validates(root)


def test_map_names_the_field_of_any_header(tmp_path: Path) -> None:
    root = repo_with(tmp_path)
    source = write(tmp_path, "sheet.csv",
                   "Ziel;Ergebnis;Verantwortlich;Soll;Ist;Kommentar\n"
                   "Mehr Kunden gewinnen diesen Herbst;Neue Kunden;bob;120;30;egal\n")
    out = do_import(root, "okr-csv", str(source), "--map", "Ziel=objective",
                    "--map", "ergebnis=key_result", "--map", "Verantwortlich=owner",
                    "--map", "Soll=target", "--map", "IST=current", "--map", "Kommentar=ignore")
    assert out["dropped"] == []
    goal = goal_files(root)["goals/mehr-kunden-gewinnen-diesen-herbst.yaml"]
    assert goal["owner"] == "bob"
    assert goal["key_results"] == [{"id": "neue-kunden", "title": "Neue Kunden", "start": 0,
                                    "target": 120, "current": 30}]


def test_a_bad_map_is_a_usage_error(tmp_path: Path) -> None:
    root = repo_with(tmp_path)
    result = run_cli("import", "okr-csv", str(write(tmp_path, "x.csv", OKR_CSV)), "-C",
                     str(root), "--map", "Progress=progress")
    assert result.exit_code == 2
    assert "use HEADER=FIELD with FIELD one of objective" in result.stderr


def workbook(path: Path, title: str, rows: list[list[Any]]) -> Path:
    """An .xlsx whose first sheet ``title`` holds ``rows``, and a second sheet besides."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.create_sheet("ignored").append(["nothing", "here"])
    book.save(path)
    return path


def test_xlsx_first_sheet_with_dates_numbers_and_a_formula(tmp_path: Path) -> None:
    root = repo_with(tmp_path)
    workbook(tmp_path / "okrs.xlsx", "Q4 OKRs", [
        ["Objective", "Key result", "Owner", "Baseline", "Target", "Current", "Deadline",
         "Why"],
        ["Win the enterprise segment this quarter", "Signed enterprise logos", "alice", 0, 12,
         4.5, datetime.datetime(2026, 12, 31), None],
        [None, '=HYPERLINK("https://evil.example","click")', "alice", None, 0.9, None, None,
         "=1+1"]])
    out = do_import(root, "okr-csv", str(tmp_path / "okrs.xlsx"))
    goal = goal_files(root)["goals/win-the-enterprise-segment-this-quarter.yaml"]
    assert out["goals"][0]["key_results"] == 2
    assert goal["due"] == "2026-12-31"
    assert goal["description"] == "=1+1"  # a formula is its text, never evaluated
    assert goal["key_results"] == [
        {"id": "signed-enterprise-logos", "title": "Signed enterprise logos", "start": 0,
         "target": 12, "current": 4.5},
        {"id": "hyperlink-https-evil-example-click",
         "title": '=HYPERLINK("https://evil.example","click")', "start": 0, "target": 0.9},
    ]
    assert_validates(root)


def test_xlsx_errors_name_the_sheet_row_and_column(tmp_path: Path) -> None:
    root = repo_with(tmp_path)
    workbook(tmp_path / "bad.xlsx", "Plan", [["Objective", "KR", "Owner", "Target"],
                                            ["Grow the business this year", "Revenue",
                                             "alice", "lots"]])
    result = run_cli("import", "okr-csv", str(tmp_path / "bad.xlsx"), "-C", str(root))
    assert result.exit_code == 1
    assert ("bad.xlsx:2:4: error: sheet 'Plan', column D, 'Target': target: `lots` is not a "
            "number [GR801]") in result.stderr
    assert "nothing was written" in result.stderr
    assert not (root / "goals").exists()


def test_every_unreadable_cell_is_reported_and_nothing_is_written(tmp_path: Path) -> None:
    root = repo_with(tmp_path)
    source = write(tmp_path, "bad.csv",
                   "Objective,KR,Owner,Start,Target,Due,Quarter\n"
                   ",Orphan KR,alice,1,2,,\n"
                   "A real objective for the team,Count,alice,3,3,,\n"
                   "Another objective for the team,Count,alice,1,x,03/04/2026,Q9 2031\n")
    result = run_cli("import", "okr-csv", str(source), "-C", str(root))
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if "[GR801]" in line]
    assert errors == [
        "bad.csv:2: error: the first row has no objective [GR801]",
        "bad.csv:3:5: error: 'Target': target: `3` equals the start; give a start "
        "(baseline) the key result moves away from [GR801]",
        "bad.csv:4:6: error: 'Due': due: `03/04/2026` could be day/month or month/day: "
        "write it as YYYY-MM-DD [GR801]",
        "bad.csv:4:5: error: 'Target': target: `x` is not a number [GR801]",
    ]
    assert not (root / "goals").exists()
    assert (root / "people.yaml").read_text() == PEOPLE


def test_an_unknown_period_stops_the_import(tmp_path: Path) -> None:
    root = repo_with(tmp_path)
    source = write(tmp_path, "p.csv", "Objective,Owner,Cycle\nA goal for next year,alice,FY31\n")
    result = run_cli("import", "okr-csv", str(source), "-C", str(root))
    assert result.exit_code == 1
    assert ("p.csv:2:1: error: 'Objective': period `FY31` is not a period of goalsrepo.yaml; "
            "add it there with its dates, or map the column to nothing [GR801]") in result.stderr


def test_semicolon_csv_with_bom_and_decimal_commas(tmp_path: Path) -> None:
    root = repo_with(tmp_path)
    source = write(tmp_path, "excel.csv", "\ufeffObjectif;Key result;Owner;Start;Target\n"
                                          "Réduire le délai de paiement;Délai moyen;bob;12,5;"
                                          "7,25\n".replace("Objectif", "Objective"))
    do_import(root, "okr-csv", str(source))
    goal = goal_files(root)["goals/reduire-le-delai-de-paiement.yaml"]
    assert goal["title"] == "Réduire le délai de paiement"
    assert goal["key_results"][0] == {"id": "delai-moyen", "title": "Délai moyen",
                                      "start": 12.5, "target": 7.25}


def test_same_titles_get_distinct_ids_that_stay_the_same(tmp_path: Path) -> None:
    root = repo_with(tmp_path)
    source = write(tmp_path, "t.json", json.dumps({"cards": [
        {"id": "1", "name": "Launch", "closed": False, "idMembers": []},
        {"id": "2", "name": "Launch", "closed": False, "idMembers": []},
        {"id": "3", "name": "../../etc/passwd", "closed": False, "idMembers": []},
        {"id": "4", "name": "con", "closed": False, "idMembers": []},
    ]}))
    out = do_import(root, "trello", str(source), "--owner", "alice")
    assert [g["id"] for g in out["goals"]] == ["launch", "launch-2", "etc-passwd", "con-1"]
    assert all(g["path"].startswith("goals/") and ".." not in g["path"] for g in out["goals"])
    again = do_import(root, "trello", str(source), "--owner", "alice")
    assert again["skipped"] == ["launch", "launch-2", "etc-passwd", "con-1"]
    assert_validates(root)


@pytest.mark.parametrize(("fmt", "name", "goals", "milestones"), [
    ("jira", "jira/shattered-crown-jira-cloud.csv", 7, 6),
    ("jira", "jira/gas-delivery-current-fields.csv", 5, 0),
    ("trello", "trello/gocd-test-drive.json", 44, 2),
    ("trello", "trello/how-goes-it-public-board.json", 20, 2),
    ("asana", "asana/q4-launch-project.csv", 3, 2),
])
def test_real_exports_import_into_files_that_validate(
        tmp_path: Path, fmt: str, name: str, goals: int, milestones: int) -> None:
    root = repo_with(tmp_path, people=None)
    out = do_import(root, fmt, str(sample(name)), "--owner", "alice")
    assert len(out["goals"]) == goals
    assert sum(1 for g in out["goals"] if g["milestones"]) == milestones
    assert len({g["id"] for g in out["goals"]}) == goals
    assert_validates(root)


def test_jira_epics_become_goals_with_their_children_as_milestones(tmp_path: Path) -> None:
    root = repo_with(tmp_path, people=None)
    out = do_import(root, "jira", str(sample("jira/shattered-crown-jira-cloud.csv")),
                    "--owner", "alice")
    goal = goal_files(root)["goals/core-gameplay-loop.yaml"]
    assert goal["owner"] == "alice"  # the epic has no assignee
    assert goal["description"].startswith("**Objective**\nDeliver a playable core loop")
    assert "\n- Core player controls" in goal["description"]
    assert {m["title"]: (m.get("done", False), m["owner"]) for m in goal["milestones"]} == {
        "Add basic feedback (hit, damage, cooldown or equivalent)": (False, "bella"),
        "Core controls + interaction/combat MVP": (False, "bella"),
        "Implement playable core loop (start → play → fail/win → restart)": (False, "bella"),
    }
    assert any(d["why"] == "a Sub-task that is neither a goal (Epic) nor a goal's child"
               for d in out["dropped"])
    people = yaml.safe_load((root / "people.yaml").read_text())["people"]
    assert [p["id"] for p in people] == ["alice", "bella", "jack"]


def test_jira_goal_type_picks_another_issue_type(tmp_path: Path) -> None:
    root = repo_with(tmp_path, people=None)
    out = do_import(root, "jira", str(sample("jira/gas-delivery-current-fields.csv")),
                    "--goal-type", "Task", "--owner", "alice")
    assert len(out["goals"]) == 15
    achieved = [g for g in goal_files(root).values() if g.get("status") == "achieved"]
    assert achieved  # Status "Done" without a Status Category column


def test_trello_skips_archived_cards_and_reads_checklists(tmp_path: Path) -> None:
    root = repo_with(tmp_path, people=None)
    board = json.loads((sample("trello/how-goes-it-public-board.json")).read_text())
    archived = {c["name"] for c in board["cards"] if c["closed"]}
    out = do_import(root, "trello", str(sample("trello/how-goes-it-public-board.json")),
                    "--owner", "alice")
    titles = {g["title"] for g in goal_files(root).values()}
    assert archived and not archived & titles
    twitter = goal_files(root)["goals/27-set-up-a-twitter-account.yaml"]
    card = next(c for c in board["cards"] if c["name"] == "#27 Set up a twitter account")
    assert twitter["links"] == [{"title": "Trello card", "url": card["shortUrl"]}]
    assert len(twitter["milestones"]) == 4
    assert out["people_added"][0] == "alice"


def test_asana_top_level_tasks_are_goals_and_subtasks_milestones(tmp_path: Path) -> None:
    root = repo_with(tmp_path)
    (root / "teams.yaml").write_text("teams:\n  - id: growth\n    name: Growth\n")
    out = do_import(root, "asana", str(sample("asana/q4-launch-project.csv")))
    files = goal_files(root)
    launch = files["goals/growth/launch-the-self-serve-plan-in-three-markets.yaml"]
    assert launch["owner"] == "maya-lindqvist" and launch["team"] == "growth"
    assert (launch["start"], launch["due"]) == ("2026-10-01", "2026-12-18")
    assert launch["milestones"] == [
        {"title": "Pick the payment provider", "due": "2026-10-10", "done": True,
         "owner": "kwame-mensah"},
        {"title": "Translate the checkout into German and French", "due": "2026-11-14"}]
    moved = files["goals/move-month-end-reconciliation-off-the-legacy-server.yaml"]
    assert moved["status"] == "achieved"
    assert out["dropped"] == [{"row": 7, "field": "Name", "value": "Write the rollback runbook",
                               "why": "a subtask of `Dry run on October's books`, which is "
                                      "not a top-level task"}]
    assert_validates(root)


def test_import_runs_as_a_process(tmp_path: Path) -> None:
    root = repo_with(tmp_path)
    done = subprocess.run(["goalsrepo", "import", "okr-csv",
                           str(write(tmp_path, "o.csv", OKR_CSV)), "-C", str(root)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Imported 2 goals from o.csv (okr-csv):")


def test_new_repository_gets_people_yaml_only_when_it_has_no_goals(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r", people=False)
    repo.write("goals/old.yaml", "id: old\ntitle: An old goal of someone\nowner: zed\n")
    out = do_import(repo.root, "okr-csv", str(write(tmp_path, "o.csv", OKR_CSV)))
    assert out["people_added"] == [] and not (repo.root / "people.yaml").exists()
    goal = goal_files(repo.root)["goals/platform/2026-Q4/ship-any-change-within-one-hour.yaml"]
    assert goal["owner"] == "carol-cruz"
    assert_validates(repo.root)


def test_update_commit_of_unchanged_goals_makes_no_commit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = repo_with(tmp_path)
    for name, value in git_env(ALICE, "2026-10-02T09:00:00+00:00").items():
        monkeypatch.setenv(name, value)
    source = str(write(tmp_path, "okrs.csv", OKR_CSV))
    first = do_import(root, "okr-csv", source, "--commit")
    again = do_import(root, "okr-csv", source, "--update", "--commit")
    assert len(again["goals"]) == 2 and again["commit"] is None
    assert git(root, "rev-parse", "HEAD").strip() == first["commit"]
