"""``close`` and ``rollover`` on the scripted quarter of tests/quarter.py: the statuses and
scores they fix, the successors they write, all or nothing, and running them twice."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from gitrepo import ALICE, Repo, cli_json, git_env, run_cli
from quarter import FASTER, GROW, HIRING, IDEA, ONBOARDING, quarter_repo

NEXT_FASTER = "goals/platform/2027-Q1/faster-deploys-2027-q1.yaml"
NEXT_HIRING = "goals/platform/2027-Q1/hiring-2027-q1.yaml"
NEXT_GROW = "goals/2027-Q1/grow-2027-q1.yaml"


@pytest.fixture
def quarter(tmp_path: Path) -> Repo:
    return quarter_repo(tmp_path / "repo")


@pytest.fixture
def on(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Commits made by the CLI are Alice's, dated by ``on(day)``."""
    def set_day(when: str) -> None:
        for name, value in git_env(ALICE, f"{when}T12:00:00+00:00").items():
            monkeypatch.setenv(name, value)
    set_day("2027-01-08")
    yield set_day


def run(repo: Repo, *args: str) -> tuple[int, str, str]:
    result = run_cli(*args, "-C", str(repo.root))
    return result.exit_code, result.stdout, result.stderr


def export(repo: Repo) -> dict[str, tuple[str, float, float | None]]:
    goals = cli_json("export", "-C", str(repo.root))["goals"]
    return {g["id"]: (g["status"], g["progress"], g["score"]) for g in goals}


def test_close_refuses_before_the_end_of_the_period(quarter: Repo, on: object) -> None:
    on("2026-12-30")  # type: ignore[operator]
    before = quarter.head()
    code, _, err = run(quarter, "close", "2026-Q4")
    assert code == 1
    assert "2026-Q4 ends on 2026-12-31" in err and "--early" in err
    assert quarter.head() == before and not quarter.git("status", "--porcelain")


def test_close_early_is_allowed_with_early(quarter: Repo, on: object) -> None:
    on("2026-12-30")  # type: ignore[operator]
    code, out, _ = run(quarter, "close", "2026-Q4", "--early", "--dry-run")
    assert code == 0 and "close(2026-Q4): 1 achieved, 3 missed" in out


def test_close_dry_run_shows_scores_and_writes_nothing(quarter: Repo, on: object) -> None:
    code, out, _ = run(quarter, "close", "2026-Q4", "--keep", "hiring", "--dry-run")
    assert code == 0
    lines = out.splitlines()
    assert "  missed    0.7  faster-deploys" in lines
    assert "  achieved  1.0  onboarding" in lines
    assert "  missed    0.8  grow" in lines
    assert "  active    0.5  hiring  (kept open with --keep)" in lines
    assert "  draft       -  idea  (draft, left as it is)" in lines
    assert not quarter.git("status", "--porcelain")


def test_close_commits_status_lines_in_place_and_fixes_the_scores(quarter: Repo,
                                                                   on: object) -> None:
    before = (quarter.root / FASTER).read_text()
    result = cli_json("close", "2026-Q4", "--keep", "hiring", "--commit", "--format", "json",
                      "-C", str(quarter.root))
    assert result["commit"] == quarter.head()
    assert result["goals"] == [
        {"id": "faster-deploys", "score": 0.7, "status": "missed"},
        {"id": "grow", "score": 0.8, "status": "missed"},
        {"id": "hiring", "score": 0.5, "status": "active"},
        {"id": "idea", "score": None, "status": "draft"},
        {"id": "onboarding", "score": 1.0, "status": "achieved"},
    ]
    subject = quarter.git("log", "-1", "--format=%s").strip()
    assert subject == "close(2026-Q4): 1 achieved, 2 missed"
    changed = quarter.git("show", "--name-only", "--format=", "HEAD").split()
    assert sorted(changed) == sorted([FASTER, GROW, ONBOARDING])
    # faster-deploys had no status line: one is added after aligns_to, comments stay
    assert (quarter.root / FASTER).read_text() == before.replace(
        "aligns_to: [grow]\n", "aligns_to: [grow]\nstatus: missed\n")
    assert "status: achieved\n" in (quarter.root / ONBOARDING).read_text()
    assert "status: draft\n" in (quarter.root / IDEA).read_text()
    # the numbers everyone sees are the ones the close printed
    found = export(quarter)
    assert found["faster-deploys"] == ("missed", 0.675, 0.7)
    assert found["onboarding"] == ("achieved", 1.0, 1.0)
    assert found["grow"] == ("missed", 0.8375, 0.8)
    assert found["hiring"] == ("active", 0.5, 0.5)
    history = cli_json("history", "faster-deploys", "-C", str(quarter.root),
                       "--format", "json")["events"]
    assert history[-1]["kind"] == "status"
    assert history[-1]["changes"] == [
        {"kr": None, "field": "status", "old": "active", "new": "missed"}]


def test_closing_twice_changes_nothing_the_second_time(quarter: Repo, on: object) -> None:
    assert run(quarter, "close", "2026-Q4", "--commit")[0] == 0
    head = quarter.head()
    on("2027-01-09")  # type: ignore[operator]
    code, out, _ = run(quarter, "close", "2026-Q4", "--commit", "--format", "json")
    assert code == 0
    assert json.loads(out)["commit"] is None
    assert quarter.head() == head and not quarter.git("status", "--porcelain")
    assert "Nothing to close" in run(quarter, "close", "2026-Q4")[1]


def test_close_names_what_is_wrong(quarter: Repo, on: object) -> None:
    code, _, err = run(quarter, "close", "2027-Q9")
    assert code == 1 and "period `2027-Q9` is not defined" in err
    code, _, err = run(quarter, "close", "2026-Q4", "--keep", "nope")
    assert code == 1 and "--keep nope: not a goal of 2026-Q4" in err


def test_close_refuses_a_repository_with_errors(quarter: Repo, on: object) -> None:
    quarter.write("goals/broken.yaml", "id: broken\ntitle: [\n")
    code, _, err = run(quarter, "close", "2026-Q4")
    assert code == 1
    assert "goals/broken.yaml:" in err and "nothing was written" in err
    assert "Traceback" not in err
    assert quarter.git("status", "--porcelain").strip() == "?? goals/broken.yaml"


def test_rollover_writes_successors_as_spec_3_says(quarter: Repo, on: object) -> None:
    assert run(quarter, "close", "2026-Q4", "--keep", "hiring", "--commit")[0] == 0
    on("2027-01-09")  # type: ignore[operator]
    result = cli_json("rollover", "2026-Q4", "2027-Q1", "--create-period", "--commit",
                      "--format", "json", "-C", str(quarter.root))
    assert result == {
        "version": 1, "period": "2026-Q4", "next": "2027-Q1", "commit": quarter.head(),
        "goals": [
            {"id": "faster-deploys", "successor": "faster-deploys-2027-q1",
             "path": NEXT_FASTER},
            {"id": "grow", "successor": "grow-2027-q1", "path": NEXT_GROW},
            {"id": "hiring", "successor": "hiring-2027-q1", "path": NEXT_HIRING},
        ]}
    assert quarter.git("log", "-1", "--format=%s").strip() == \
        "rollover(2026-Q4 -> 2027-Q1): 3 goals"
    # the new period, added to goalsrepo.yaml without touching the rest
    config = quarter.read_yaml("goalsrepo.yaml")
    assert config["periods"][-1] == {"id": "2027-Q1", "start": "2027-01-01",
                                     "end": "2027-03-31"}
    # faster-deploys: deploy-time restarts at 13 (its current), runbook carried
    text = (quarter.root / NEXT_FASTER).read_text()
    assert text.startswith("# Carried over from faster-deploys (2026-Q4)")
    assert yaml.safe_load(text) == {
        "id": "faster-deploys-2027-q1",
        "title": "Ship any change to production within one hour",
        "level": "team", "owner": "alice", "team": "platform", "contributors": ["bob"],
        "period": "2027-Q1", "aligns_to": ["grow-2027-q1"], "status": "active",
        "continues": "faster-deploys",
        "description": "Deploys take most of an afternoon.\n\nMake them boring.\n",
        "key_results": [
            {"id": "deploy-time", "title": "Median deploy time", "unit": "min",
             "start": 13, "target": 10, "current": 13, "weight": 3},
            {"id": "runbook", "title": "Publish the deploy runbook", "done": False}],
        "links": [{"title": "Pipeline epic", "url": "https://example.com/epic/12"}],
    }
    assert list(yaml.safe_load(text)) == [  # SPEC §1's key order
        "id", "title", "level", "owner", "team", "contributors", "period", "aligns_to",
        "status", "continues", "description", "key_results", "links"]
    assert "description: |\n" in text and "  - id: deploy-time\n" in text
    # hiring: the milestone done is not carried, the open one is; hiring becomes missed
    hiring = quarter.read_yaml(NEXT_HIRING)
    assert hiring["key_results"] == [{"id": "hires", "title": "Engineers hired",
                                      "unit": "people", "start": 2, "target": 4,
                                      "current": 2}]
    assert "  - title: Run the onsite loop\n    due: 2027-02-15\n" in \
        (quarter.root / NEXT_HIRING).read_text()
    assert "status: missed" in (quarter.root / HIRING).read_text()
    assert quarter.read_yaml(NEXT_GROW)["continues"] == "grow"
    # the achieved and the draft goal stay where they are
    assert not list(quarter.root.glob("goals/sales/2027-Q1/*"))
    code, out, _ = run(quarter, "validate")
    assert code == 0, out
    found = export(quarter)
    assert found["hiring"] == ("missed", 0.5, 0.5)
    assert found["faster-deploys-2027-q1"] == ("active", 0.0, None)


def test_rollover_twice_adds_nothing(quarter: Repo, on: object) -> None:
    assert run(quarter, "rollover", "2026-Q4", "2027-Q1", "--create-period", "--commit")[0] == 0
    head = quarter.head()
    config = (quarter.root / "goalsrepo.yaml").read_text()
    code, out, _ = run(quarter, "rollover", "2026-Q4", "2027-Q1", "--create-period",
                       "--commit")
    assert code == 0
    assert "= faster-deploys: already continued by faster-deploys-2027-q1" in out
    assert "Nothing to roll over." in out
    assert quarter.head() == head and not quarter.git("status", "--porcelain")
    assert (quarter.root / "goalsrepo.yaml").read_text() == config


def test_rollover_takes_the_next_free_id_and_never_overwrites(quarter: Repo,
                                                              on: object) -> None:
    quarter.write("goals/other/hiring-2027-q1.yaml",
                  (quarter.root / HIRING).read_text()
                  .replace("id: hiring", "id: hiring-2027-q1")
                  .replace("period: 2026-Q4\n", ""))
    code, out, _ = run(quarter, "rollover", "2026-Q4", "2027-Q1", "hiring",
                       "--create-period")
    assert code == 0, out
    assert "+ hiring -> hiring-2027-q1-2 (goals/platform/2027-Q1/hiring-2027-q1-2.yaml)" in out
    assert quarter.read_yaml("goals/platform/2027-Q1/hiring-2027-q1-2.yaml")["continues"] \
        == "hiring"


def test_rollover_of_named_goals_only(quarter: Repo, on: object) -> None:
    code, out, _ = run(quarter, "rollover", "2026-Q4", "2027-Q1", "faster-deploys",
                       "--create-period", "--dry-run")
    assert code == 0
    assert "faster-deploys -> faster-deploys-2027-q1" in out and "hiring" not in out
    assert not quarter.git("status", "--porcelain")
    code, _, err = run(quarter, "rollover", "2026-Q4", "2027-Q1", "idea", "--create-period")
    assert code == 1 and "`idea` has nothing to roll over: it is draft" in err


def test_rollover_needs_the_next_period(quarter: Repo, on: object) -> None:
    code, _, err = run(quarter, "rollover", "2026-Q4", "2027-Q1")
    assert code == 1 and "--create-period" in err
    code, _, err = run(quarter, "rollover", "2026-Q4", "2027-Q2", "--create-period")
    assert code == 1 and "the period after 2026-Q4 is 2027-Q1, not 2027-Q2" in err
    assert not quarter.git("status", "--porcelain")


def test_create_period_keeps_the_comments_of_goalsrepo_yaml(quarter: Repo, on: object) -> None:
    text = ("title: Test goals  # shown on every page\n"
            "periods:\n"
            "  # quarters, oldest first\n"
            "  - {id: 2026-Q4, start: 2026-10-01, end: 2026-12-31}\n"
            "\n"
            "checkin_days: 14\n")
    quarter.write("goalsrepo.yaml", text)
    assert run(quarter, "rollover", "2026-Q4", "2027-Q1", "--create-period")[0] == 0
    assert (quarter.root / "goalsrepo.yaml").read_text() == text.replace(
        "2026-12-31}\n", '2026-12-31}\n  - {id: 2027-Q1, start: "2027-01-01", '
        'end: "2027-03-31"}\n')


def test_rollover_writes_all_or_nothing_when_a_file_is_in_the_way(quarter: Repo,
                                                                  on: object) -> None:
    # a file where grow's successor needs a folder: faster-deploys' successor is staged
    # first (in a folder made for it), then grow's fails, so none of the successors,
    # the status edits or the new period are written, and the folder made is removed
    (quarter.root / "goals/2027-Q1").write_text("in the way\n")
    before = {p: p.read_bytes() for p in quarter.root.rglob("*") if p.is_file()
              and ".git" not in p.parts}
    code, _, err = run(quarter, "rollover", "2026-Q4", "2027-Q1", "--create-period")
    assert code == 1 and "nothing was written" in err and "Traceback" not in err
    after = {p: p.read_bytes() for p in quarter.root.rglob("*") if p.is_file()
             and ".git" not in p.parts}
    assert after == before
    assert not (quarter.root / "goals/platform/2027-Q1").exists()
    assert not list(quarter.root.rglob(".goalsrepo-*"))


def test_history_of_a_successor_shows_its_predecessors_events(quarter: Repo,
                                                              on: object) -> None:
    assert run(quarter, "rollover", "2026-Q4", "2027-Q1", "faster-deploys",
               "--create-period", "--commit")[0] == 0
    code, out, _ = run(quarter, "history", "faster-deploys-2027-q1")
    assert code == 0
    own, earlier = out.split("\nContinues faster-deploys:\n")
    assert own.count("\n") == 1 and " created " in own
    assert "deploy-time.current: 16 -> 13" in earlier
    assert earlier.splitlines()[-1] == "    status: active -> missed"
    found = cli_json("history", "faster-deploys-2027-q1", "--format", "json",
                     "-C", str(quarter.root))
    assert [e["kind"] for e in found["events"]] == ["created"]
    [before] = found["predecessors"]
    assert before["goal"] == "faster-deploys"
    assert [e["kind"] for e in before["events"]] == [
        "created", "checkin", "checkin", "checkin", "status"]
