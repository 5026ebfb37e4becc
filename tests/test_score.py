"""Scores as SPEC §3 says: fixed in the commit that closed the goal, or at the end of its
due date; check-ins dated later change nothing. The numbers are worked out by hand in
tests/quarter.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import BOB, Repo, cli_json, day, goal, new_repo, numeric, run_cli
from quarter import FASTER, quarter_repo


def scores(root: Path, *extra: str) -> dict[str, tuple[float, float | None]]:
    found = cli_json("export", "-C", str(root), *extra)
    return {g["id"]: (g["progress"], g["score"]) for g in found["goals"]}


@pytest.fixture(scope="module")
def quarter(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    return quarter_repo(tmp_path_factory.mktemp("quarter") / "repo")


def test_an_active_goal_past_due_scores_its_progress_at_the_end_of_the_due_date(
        quarter: Repo) -> None:
    found = scores(quarter.root)
    # progress counts the Jan 05 check-in (0.675); the score stops at Dec 31 (0.6)
    assert found["faster-deploys"] == (0.675, 0.6)
    assert found["onboarding"] == (1.0, 1.0)
    assert found["hiring"] == (0.5, 0.5)


def test_a_goal_without_key_results_scores_what_its_children_stood_at(quarter: Repo) -> None:
    # progress (0.675 + 1.0) / 2; score (0.6 + 1.0) / 2
    assert scores(quarter.root)["grow"] == (0.8375, 0.8)


def test_draft_goals_and_goals_before_their_due_date_have_no_score(quarter: Repo) -> None:
    assert scores(quarter.root)["idea"][1] is None
    before = scores(quarter.root, "--as-of", "2026-12-15")
    assert before["faster-deploys"] == (0.375, None)
    assert {gid: s for gid, (_, s) in before.items()} == dict.fromkeys(before)


def test_status_and_export_show_the_same_score(quarter: Repo) -> None:
    status = cli_json("status", "-C", str(quarter.root), "--format", "json")
    assert {g["id"]: g["score"] for g in status["goals"]} == {
        gid: s for gid, (_, s) in scores(quarter.root).items()}
    table = run_cli("status", "-C", str(quarter.root)).stdout.splitlines()
    assert table[0].split()[-1] == "SCORE"
    column = {line.split()[0]: line.split()[-1] for line in table[1:-1]}
    assert column == {"faster-deploys": "0.6", "onboarding": "1.0", "hiring": "0.5",
                      "grow": "0.8", "idea": "-"}


def test_a_check_in_on_the_due_date_itself_counts(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    repo.write_yaml("goals/a.yaml", goal("a", period="2026-Q4",
                                         key_results=[numeric("k", 0, 10, 2)]))
    repo.commit("Plan", date=day("2026-10-01"))
    repo.update_kr("goals/a.yaml", "k", current=6)
    repo.commit("On the last day", who=BOB, date=day("2026-12-31", hour=23))
    repo.update_kr("goals/a.yaml", "k", current=9)
    repo.commit("A day late", who=BOB, date=day("2027-01-01", hour=0))
    assert scores(repo.root)["a"] == (0.9, 0.6)


def test_the_due_date_is_a_calendar_day_in_the_configured_time_zone(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    repo.write_yaml("goalsrepo.yaml", {
        "periods": [{"id": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"}],
        "timezone": "America/New_York"})
    repo.write_yaml("goals/a.yaml", goal("a", period="2026-Q4",
                                         key_results=[numeric("k", 0, 10, 2)]))
    repo.commit("Plan", date=day("2026-10-01"))
    repo.update_kr("goals/a.yaml", "k", current=7)
    # 03:00 UTC on Jan 1 is still Dec 31 in New York: in time
    repo.commit("Late evening", who=BOB, date="2027-01-01T03:00:00+00:00")
    repo.update_kr("goals/a.yaml", "k", current=9)
    repo.commit("Next morning", who=BOB, date="2027-01-01T15:00:00+00:00")
    assert scores(repo.root)["a"] == (0.9, 0.7)


def test_a_goal_first_committed_after_its_due_date_scores_its_first_version(
        tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    repo.write_yaml("goals/a.yaml", goal("a", period="2026-Q4",
                                         key_results=[numeric("k", 0, 10, 3)]))
    repo.commit("Written down late", date=day("2027-01-04"))
    repo.update_kr("goals/a.yaml", "k", current=8)
    repo.commit("Later still", who=BOB, date=day("2027-01-06"))
    assert scores(repo.root)["a"] == (0.8, 0.3)


def test_a_closed_goal_scores_the_closing_commit_and_later_edits_change_nothing(
        tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    repo.write_yaml("goals/a.yaml", goal("a", period="2026-Q4",
                                         key_results=[numeric("k", 0, 10, 2)]))
    repo.commit("Plan", date=day("2026-10-01"))
    repo.update_kr("goals/a.yaml", "k", current=4)
    repo.update("goals/a.yaml", status="missed")
    repo.commit("Close early", date=day("2026-11-01"))
    repo.update_kr("goals/a.yaml", "k", current=10)
    repo.commit("A correction after the close", who=BOB, date=day("2026-11-05"))
    assert scores(repo.root)["a"] == (1.0, 0.4)
    # reopened and closed again: the last closing commit counts
    repo.update("goals/a.yaml", status="active")
    repo.commit("Reopen", date=day("2026-11-06"))
    repo.update("goals/a.yaml", status="achieved")
    repo.commit("Achieved after all", date=day("2026-11-07"))
    assert scores(repo.root)["a"] == (1.0, 1.0)


def test_a_close_not_committed_yet_scores_the_files_values(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    repo.write_yaml("goals/a.yaml", goal("a", period="2026-Q4",
                                         key_results=[numeric("k", 0, 10, 3)]))
    repo.commit("Plan", date=day("2026-10-01"))
    repo.update("goals/a.yaml", status="missed")  # in the work tree only
    assert scores(repo.root)["a"] == (0.3, 0.3)


def test_a_late_close_takes_the_progress_in_the_closing_commit(quarter: Repo,
                                                               tmp_path: Path) -> None:
    clone = Repo.__new__(Repo)
    clone.root = tmp_path / "clone"
    quarter.git("clone", "--quiet", str(quarter.root), str(clone.root))
    text = (clone.root / FASTER).read_text().replace("period: 2026-Q4",
                                                     "period: 2026-Q4\nstatus: missed")
    clone.write(FASTER, text)
    clone.commit("Close faster-deploys late", date=day("2027-01-08"))
    # 0.675 in the closing commit (it holds the Jan 05 check-in), not 0.6 at Dec 31
    assert scores(clone.root)["faster-deploys"] == (0.675, 0.7)


def test_scores_read_from_the_files_equal_scores_replayed_from_history(quarter: Repo,
                                                                       tmp_path: Path) -> None:
    """A goal whose key results did not move after its score was fixed is scored from its
    file without reading its events; forcing every goal through its events agrees."""
    from msgspec.structs import replace

    from goalsrepo.numbers.progress import compute
    from goalsrepo.numbers.state import load_state

    clone = Repo.__new__(Repo)
    clone.root = tmp_path / "clone"
    quarter.git("clone", "--quiet", str(quarter.root), str(clone.root))
    text = (clone.root / FASTER).read_text().replace("period: 2026-Q4",
                                                     "period: 2026-Q4\nstatus: missed")
    clone.write(FASTER, text)
    clone.commit("Close faster-deploys late", date=day("2027-01-08"))
    state = load_state(clone.root)
    blind = {g: replace(a, kr_changed=None, status_set=None)
             for g, a in state.history.activity.items()}
    replayed = compute(state.repo.goals, state.repo.config, blind, state.as_of,
                       state.history.of)
    assert [s.score for s in state.statuses()] == [s.score for s in replayed]
    assert {s.goal.id: s.score for s in replayed} == {
        "faster-deploys": 0.7, "grow": 0.8, "hiring": 0.5, "idea": None, "onboarding": 1.0}
