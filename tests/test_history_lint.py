"""validate's history lint (GR301 stale, GR302 past due, GR303 achieved below target) on
real repositories, measured at HEAD's author date (SPEC §3, §4)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from gitrepo import BOB, Repo, day, goal, new_repo, numeric, run_cli

A = "goals/a.yaml"
B = "goals/b.yaml"


def codes(root: Path, *, use_cache: bool = False) -> list[tuple[str, str]]:
    """(file, code) of every history-lint diagnostic, with or without a warm cache."""
    if use_cache:  # status fills the history cache at HEAD; validate may then use it
        assert run_cli("status", "-C", str(root)).exit_code == 0
    result = run_cli("validate", "-C", str(root), "--format", "json")
    assert result.exit_code in (0, 1), result.output
    payload: dict[str, Any] = json.loads(result.stdout)
    return sorted((d["file"], d["code"]) for d in payload["diagnostics"]
                  if d["code"] in {"GR301", "GR302", "GR303", "GR901", "GR902"})


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """Goals a and b (period 2026-Q4, aligned to nothing is fine: both organisation level)
    created on 2026-10-01; a checked in by Bob on 2026-11-01."""
    r = new_repo(tmp_path / "repo")
    for path, goal_id in ((A, "a"), (B, "b")):
        r.write_yaml(path, goal(goal_id, level="organization", period="2026-Q4",
                                key_results=[numeric("k", 0, 10, 1)]))
    r.commit("Plan Q4", date=day("2026-10-01"))
    r.update_kr(A, "k", current=4)
    r.commit("a: k 1 -> 4", who=BOB, date=day("2026-11-01"))
    return r


@pytest.mark.parametrize("use_cache", [False, True])
def test_stale_counts_checkin_days_back_from_head(repo: Repo, use_cache: bool) -> None:
    # HEAD on 2026-11-15: a's check-in is 14 days old (not more than 14: fresh), b has
    # none since its creation 45 days before: stale.
    repo.write("notes.txt", "x")
    repo.commit("unrelated", date=day("2026-11-15"))
    assert codes(repo.root, use_cache=use_cache) == [(B, "GR301")]


@pytest.mark.parametrize("use_cache", [False, True])
def test_one_day_later_both_are_stale(repo: Repo, use_cache: bool) -> None:
    # HEAD on 2026-11-16: a's check-in is now 15 days old.
    repo.write("notes.txt", "x")
    repo.commit("unrelated", date=day("2026-11-16"))
    assert codes(repo.root, use_cache=use_cache) == [(A, "GR301"), (B, "GR301")]


def test_an_uncommitted_new_goal_is_not_stale(repo: Repo) -> None:
    repo.write("notes.txt", "x")
    repo.commit("unrelated", date=day("2026-11-15"))
    repo.write_yaml("goals/c.yaml", goal("c", level="organization", period="2026-Q4",
                                         key_results=[numeric("k", 0, 10, 1)]))
    assert codes(repo.root) == [(B, "GR301")]


def test_past_due_and_achieved_below_target(repo: Repo) -> None:
    # HEAD on 2027-01-02, after the period's end (2026-12-31): both goals are past due and
    # stale; then b is marked achieved with k at 1 of 10 (10%).
    repo.update_kr(A, "k", current=5)
    repo.update_kr(B, "k", current=2)
    repo.commit("checkins", date=day("2027-01-02"))
    assert codes(repo.root) == [(A, "GR302"), (B, "GR302")]
    repo.update(B, status="achieved")
    repo.commit("b done", date=day("2027-01-02", 13))
    assert codes(repo.root) == [(A, "GR302"), (B, "GR303")]


def test_not_a_git_repository_gets_one_note(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    (root / "goals").mkdir(parents=True)
    assert codes(root) == [(None, "GR901")]  # type: ignore[list-item]


def test_a_shallow_clone_skips_the_history_lint_with_one_note(repo: Repo,
                                                              tmp_path: Path) -> None:
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "--quiet", "--depth", "1", f"file://{repo.root}",
                    str(clone)], check=True)
    assert codes(clone) == [(None, "GR902")]  # type: ignore[list-item]


def test_a_stale_goal_reads_the_same_with_or_without_the_cache(tmp_path: Path) -> None:
    """Issue 12: a cold validate replays only the last checkin_days (+2) days, so it knows
    that b's last check-in is older, not when it was; a warm cache knows the date. Both
    must say the same thing, here after checkin_days changed."""
    r = new_repo(tmp_path / "repo")
    r.write_yaml(B, goal("b", level="organization", period="2026-Q4",
                         key_results=[numeric("k", 0, 10, 1)]))
    r.commit("Plan Q4", date=day("2026-10-01"))
    r.update_kr(B, "k", current=3)
    r.commit("b: k 1 -> 3", who=BOB, date=day("2026-11-10"))
    r.write("notes.txt", "x")
    r.commit("unrelated", date=day("2026-12-10"))
    wanted = "stale: no check-in in the 21 days before 2026-12-10"
    for use_cache in (False, True, True):
        config = r.read_yaml("goalsrepo.yaml")
        config["checkin_days"] = 21
        r.write_yaml("goalsrepo.yaml", config)
        if use_cache:
            assert run_cli("status", "-C", str(r.root)).exit_code == 0
        result = run_cli("validate", "-C", str(r.root), "--format", "json")
        messages = [d["message"] for d in json.loads(result.stdout)["diagnostics"]
                    if d["code"] == "GR301"]
        assert messages == [wanted]
    # Inside the window the date is known either way, and named.
    r.update_kr(B, "k", current=4)
    r.commit("b: k 3 -> 4", who=BOB, date=day("2026-12-11"))
    r.write("notes.txt", "y")
    r.commit("unrelated", date=day("2027-01-02"))
    for use_cache in (False, True):
        assert codes(r.root, use_cache=use_cache) == [(B, "GR301"), (B, "GR302")]
        result = run_cli("validate", "-C", str(r.root))
        assert "stale: last check-in 2026-12-11, more than 21 days before 2027-01-02" \
            in result.stdout


def test_a_goal_moved_to_a_new_file_not_yet_committed(repo: Repo) -> None:
    """Found by the differential test (seed 301): b's file copied to a new, untracked
    name and the original removed. A cold validate reads the window alone and knows
    nothing older of a file git does not track; a warm cache knows b's whole history.
    Both must say the same."""
    repo.write("notes.txt", "x")
    repo.commit("unrelated", date=day("2026-11-20"))
    (repo.root / "goals/c.yaml").write_bytes((repo.root / B).read_bytes())
    (repo.root / B).unlink()
    assert codes(repo.root, use_cache=False) == codes(repo.root, use_cache=True)
