"""``diff``: a pull-request branch with a check-in, a target change, a new goal, a status
change and a removed goal is described exactly, against the merge base (SPEC §2, §8)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from gitrepo import Repo, day, goal, new_repo, numeric, run_cli

A, B, C, D = (f"goals/{x}.yaml" for x in "abcd")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """main: goals a, b, d. Branch pr: a checked in (k 2 -> 5) and its target moved
    (10 -> 12), c added, b achieved, d removed. main then moves on with a change to b's
    title, which is not this change's."""
    r = new_repo(tmp_path / "repo")
    for path, goal_id in ((A, "a"), (B, "b"), (D, "d")):
        r.write_yaml(path, goal(goal_id, level="organization", period="2026-Q4",
                                key_results=[numeric("k", 0, 10, 2)]))
    r.commit("Plan", date=day("2026-10-01"))
    r.git("checkout", "--quiet", "-b", "pr")
    r.update_kr(A, "k", current=5, target=12)
    r.write_yaml(C, goal("c", level="organization", period="2026-Q4",
                         key_results=[numeric("k", 0, 3, 0)]))
    r.update_kr(B, "k", current=10)
    r.update(B, status="achieved")
    (r.root / D).unlink()
    r.commit("The PR", date=day("2026-10-05"))
    r.git("checkout", "--quiet", "main")
    r.update(B, title="Goal b, renamed on main meanwhile")
    r.commit("Main moves on", date=day("2026-10-06"))
    r.git("checkout", "--quiet", "pr")
    return r


def diff_json(root: Path, *args: str) -> dict[str, Any]:
    result = run_cli("diff", "-C", str(root), *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_each_change_is_named_against_the_merge_base(repo: Repo) -> None:
    payload = diff_json(repo.root, "main")
    assert set(payload) == {"version", "base", "head", "added", "removed", "changed", "plan",
                            "diagnostics"}
    assert payload["head"] == repo.head()
    assert payload["base"] == repo.git("merge-base", "main", "pr").strip()
    assert (payload["added"], payload["removed"]) == (["c"], ["d"])
    changed = {c["id"]: c for c in payload["changed"]}
    assert set(changed) == {"a", "b"}  # b's title change on main is not this change's
    assert changed["a"] == {
        "id": "a",
        "checkins": [{"kr": "k", "field": "current", "old": 2, "new": 5}],
        "adjustments": [{"kr": "k", "field": "target", "old": 10, "new": 12}],
        "status": None,
        "other": [],
    }
    assert changed["b"]["status"] == {"kr": None, "field": "status", "old": "active",
                                      "new": "achieved"}
    assert changed["b"]["checkins"] == [{"kr": "k", "field": "current", "old": 2, "new": 10}]


def test_markdown_flags_adjustments_first(repo: Repo) -> None:
    result = run_cli("diff", "-C", str(repo.root), "main")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.index("Adjustments") < text.index("New goals") < text.index("Removed goals")
    assert "`k.target`: 10 → 12" in text
    assert "**c**" in text and "**d**" in text
    assert "0 errors" in text


def test_nothing_changed(repo: Repo) -> None:
    result = run_cli("diff", "-C", str(repo.root), "pr", "pr")
    assert result.exit_code == 0
    assert "No goal changed." in result.stdout


@pytest.mark.parametrize("revision", ["nope", "--output={leak}", "-p"])
def test_a_bad_revision_is_a_clear_error(repo: Repo, tmp_path: Path, revision: str) -> None:
    leak = tmp_path / "leak"
    result = run_cli("diff", "-C", str(repo.root), "--", revision.format(leak=leak))
    assert result.exit_code == 1
    assert "revision" in result.stderr
    assert not leak.exists()  # never handed to git as an option


def test_a_change_that_adds_goals_to_a_period_summarises_the_plan(tmp_path: Path) -> None:
    """Planning 2027-Q1 in a pull request: alice would own three active goals (the lint
    allows two here), one goal aligns to nothing, one key result has no unit."""
    r = new_repo(tmp_path / "repo")
    r.write_yaml("goalsrepo.yaml", {
        "periods": [{"id": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"},
                    {"id": "2027-Q1", "start": "2027-01-01", "end": "2027-03-31"}],
        "lint": {"max_owner_goals": 2}})
    r.write_yaml("teams.yaml", {"teams": [{"id": "platform", "name": "Platform"},
                                          {"id": "sales", "name": "Sales"}]})
    r.write_yaml("goals/company.yaml", goal("company", level="organization",
                                            period="2026-Q4",
                                            key_results=[numeric("k", 0, 10, 2)]))
    r.commit("Q4", date=day("2026-10-01"))
    r.git("checkout", "--quiet", "-b", "plan")
    r.write_yaml("goals/q1/grow.yaml", goal("grow", level="organization", period="2027-Q1",
                                            key_results=[numeric("arr", 1, 2, 1)]))
    r.write_yaml("goals/q1/deploys.yaml", goal(
        "deploys", team="platform", period="2027-Q1", aligns_to=["grow"],
        key_results=[{"id": "time", "title": "Median deploy time", "start": 40,
                      "target": 10}]))
    r.write_yaml("goals/q1/hire.yaml", goal("hire", owner="bob", team="platform",
                                            level="individual", period="2027-Q1",
                                            key_results=[numeric("hires", 0, 2)]))
    r.write_yaml("goals/q1/deals.yaml", goal("deals", team="sales", period="2027-Q1",
                                             aligns_to=["grow"],
                                             key_results=[numeric("deals", 0, 5)]))
    r.commit("Plan 2027-Q1", date=day("2026-12-20"))
    payload = json.loads(run_cli("diff", "main", "-C", str(r.root), "--format",
                                 "json").stdout)
    assert payload["added"] == ["deals", "deploys", "grow", "hire"]
    assert payload["plan"] == [{
        "period": "2027-Q1", "goals": ["deals", "deploys", "grow", "hire"],
        "by_team_level": [{"team": "platform", "level": "individual", "goals": 1},
                          {"team": "platform", "level": "team", "goals": 1},
                          {"team": "sales", "level": "team", "goals": 1},
                          {"team": None, "level": "organization", "goals": 1}],
        "unaligned": ["hire"],
        "overloaded": [{"owner": "alice", "goals": 4, "limit": 2}],
        "kr_without_unit": [{"goal": "deploys", "kr": "time"}],
    }]
    text = run_cli("diff", "main", "-C", str(r.root)).stdout
    assert "#### 🗓️ Plan for period 2027-Q1: 4 new goals\n" in text
    assert "| platform | individual | 1 |\n" in text
    assert "- Aligned to nothing: **hire**\n" in text
    assert "- Owners over the limit of 2 active goals: **alice** (4)\n" in text
    assert "- Key results without a unit: **deploys** `time`\n" in text
