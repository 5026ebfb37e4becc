"""Issue 12 §4: two goal files sharing an id (GR110) with different key results.

Every command that computes before a duplicate id is ruled out must still answer:
``validate`` with GR110, the others with their usual output, never a traceback. The two
files are committed, so the history-based commands see them too.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gitrepo import Repo, day, goal, new_repo, numeric, run_cli

ONE = "goals/platform/a.yaml"
TWO = "goals/platform/b.yaml"  # sorts after ONE, so the second file of the id


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    r = new_repo(tmp_path / "repo")
    r.write_yaml("goals/company.yaml", goal("company", level="organization", period="2026-Q4",
                                            key_results=[numeric("nps", 0, 10, 4)]))
    r.write_yaml(ONE, goal("a", period="2026-Q4", aligns_to=["company"],
                           key_results=[numeric("k1", 0, 10, 5)]))
    r.commit("Add goals", date=day("2026-10-01"))
    r.write_yaml(TWO, goal("a", period="2026-Q4", aligns_to=["company"],
                           key_results=[numeric("k1", 0, 10, 2), numeric("k2", 0, 4, 1),
                                        numeric("k3", 0, 8, 8)]))
    r.commit("Copy goal a with more key results", date=day("2026-10-05"))
    return r


def test_validate_reports_the_duplicate_instead_of_crashing(repo: Repo) -> None:
    result = run_cli("validate", "-C", str(repo.root), "--format", "json")
    assert result.exit_code == 1
    errors = [(d["file"], d["code"]) for d in json.loads(result.stdout)["diagnostics"]
              if d["severity"] == "error"]
    assert errors == [(TWO, "GR110")]


def test_validate_with_the_shorter_file_second(repo: Repo) -> None:
    """The same with the file of fewer key results sorting last."""
    (repo.root / ONE).rename(repo.root / "goals/platform/c.yaml")
    result = run_cli("validate", "-C", str(repo.root))
    assert result.exit_code == 1
    assert "goals/platform/c.yaml:1:5: error: goal id `a` is already used by " \
        "goals/platform/b.yaml [GR110]" in result.stdout


def test_status_measures_each_file_by_its_own_key_results(repo: Repo) -> None:
    result = run_cli("status", "-C", str(repo.root), "--format", "json")
    assert result.exit_code == 0, result.output
    goals = json.loads(result.stdout)["goals"]
    mine = sorted((len(g["key_results"]), g["progress"]) for g in goals if g["id"] == "a")
    # a.yaml: 5 of 10 = 0.5; b.yaml: (0.2 + 0.25 + 1) / 3 = 0.4833
    assert mine == [(1, 0.5), (3, 0.4833)]


@pytest.mark.parametrize("args", [
    ("status",), ("tree",), ("tree", "--format", "json"), ("export", "--format", "csv"),
    ("export", "--format", "json"), ("digest",), ("digest", "--format", "json"),
    ("history", "a"), ("history", "a", "--format", "json"), ("diff", "HEAD~1"),
    ("diff", "HEAD~1", "--format", "json"), ("status", "--as-of", "2026-10-06"),
])
def test_other_commands_answer_without_a_traceback(repo: Repo, args: tuple[str, ...]) -> None:
    result = run_cli(args[0], "-C", str(repo.root), *args[1:])
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        result.exception
    assert result.exit_code in (0, 1)
    assert "Traceback" not in result.output


def test_build_refuses_with_the_duplicate(repo: Repo, tmp_path: Path) -> None:
    result = run_cli("build", "-C", str(repo.root), "-o", str(tmp_path / "site"))
    assert result.exit_code == 1
    assert f"{TWO}:1:5: error: goal id `a` is already used by {ONE} [GR110]" in result.stderr
    assert not (tmp_path / "site").exists()


def test_checkin_refuses_to_pick_one_of_two_files(repo: Repo) -> None:
    before = {p: (repo.root / p).read_bytes() for p in (ONE, TWO)}
    result = run_cli("checkin", "-C", str(repo.root), "a", "k1", "7")
    assert result.exit_code == 1
    assert f"goal id `a` is used by {ONE} and {TWO} (GR110)" in result.output
    assert {p: (repo.root / p).read_bytes() for p in (ONE, TWO)} == before
