"""The demo history: real git repositories, written once per module (it takes seconds)."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from goalsrepo.demo import write_demo_history
from goalsrepo.gitlog import git
from goalsrepo.validate import validate

SOURCE = Path(__file__).resolve().parent.parent / "example-goals"


def log(root: Path, *args: str) -> list[str]:
    """One line per commit, oldest first, in ``--format`` fields separated by tabs."""
    out = git.run(root, "log", "--reverse", *args)
    return out.splitlines()


def example_files() -> list[str]:
    return sorted(p.relative_to(SOURCE).as_posix() for p in SOURCE.rglob("*.yaml"))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    write_demo_history(root, SOURCE)
    return root


def test_last_commit_is_the_example_byte_for_byte(demo: Path) -> None:
    assert git.run(demo, "status", "--porcelain") == ""
    for rel in example_files():
        shutil.copyfile(SOURCE / rel, demo / rel)
    assert git.run(demo, "status", "--porcelain") == ""
    assert git.run(demo, "ls-files").split() == example_files()


def test_same_call_gives_the_same_commit_ids(demo: Path, tmp_path: Path) -> None:
    write_demo_history(tmp_path, SOURCE)
    assert git.run(tmp_path, "rev-list", "HEAD") == git.run(demo, "rev-list", "HEAD")


def test_a_quarter_and_a_half_of_commits_by_the_people_of_the_example(demo: Path) -> None:
    people = yaml.safe_load((SOURCE / "people.yaml").read_text(encoding="utf-8"))["people"]
    emails = {e for p in people for e in ([p["email"]] if "email" in p else p["emails"])}
    authors = log(demo, "--format=%ae")
    assert 60 <= len(authors) <= 100
    assert set(authors) <= emails
    assert len(set(authors)) >= 12  # everyone, plus a second address for some
    assert "48213377+priyaraman@users.noreply.github.com" in authors
    dates = [datetime.fromisoformat(d) for d in log(demo, "--first-parent", "--format=%aI")]
    assert dates == sorted(dates)
    assert dates[0].date().isoformat() == "2026-06-29"
    assert dates[-1].date().isoformat() == "2026-11-20"
    checkins = [s for s in log(demo, "--format=%s") if s.startswith("checkin(")]
    assert 30 <= len(checkins) <= 70


def test_every_commit_changes_something(demo: Path) -> None:
    for commit in log(demo, "--format=%H"):
        assert git.run(demo, "diff-tree", "--no-commit-id", "--name-only", "-r", "-m",
                       "--first-parent", "--root", commit).strip(), commit


def test_checkin_message_is_written_from_the_values_it_moves(demo: Path) -> None:
    subjects = log(demo, "--format=%s")
    assert ("checkin(faster-deploys): deploy-time 25 -> 22, change-failure-rate 3.6 -> 3.2"
            " — new cache landed") in subjects
    assert ("checkin(q3-ocr-accuracy/field-accuracy): 87.2 -> 88.4 — last run of the quarter;"
            " 97 is out of reach") in subjects
    assert ("checkin(faster-deploys/runbook): done — Hiro rolled back a bad deploy with the"
            " runbook alone") in subjects


def show_goal(root: Path, revision: str, path: str) -> Any:
    return yaml.safe_load(git.run(root, "show", f"{revision}:{path}"))


def find(root: Path, subject_start: str) -> str:
    matches = [line.split("\t", 1)[0] for line in log(root, "--format=%H\t%s")
               if line.split("\t", 1)[1].startswith(subject_start)]
    assert len(matches) == 1, subject_start
    return matches[0]


def test_target_adjustment_changes_the_target_and_says_why(demo: Path) -> None:
    commit = find(demo, "adjust(faster-deploys/deploy-time): target 15 -> 10")
    path = "goals/engineering/2026-Q4/faster-deploys.yaml"
    before = show_goal(demo, f"{commit}^", path)["key_results"][0]
    after = show_goal(demo, commit, path)["key_results"][0]
    assert (before["target"], after["target"]) == (15, 10)
    assert "no longer a stretch" in git.run(demo, "show", "-s", "--format=%b", commit)


def test_q3_closes_and_one_goal_is_superseded(demo: Path) -> None:
    commit = find(demo, "Close Q3 for engineering")
    path = "goals/engineering/2026-Q3/q3-ocr-accuracy.yaml"
    before, after = show_goal(demo, f"{commit}^", path), show_goal(demo, commit, path)
    assert (before["status"], "superseded_by" in before) == ("active", False)
    assert (after["status"], after["superseded_by"]) == ("missed", "ocr-accuracy-95")


def test_feature_branch_is_merged_with_a_merge_commit(demo: Path) -> None:
    merges = log(demo, "--merges", "--format=%H %P%x09%an%x09%aI%x09%s")
    assert len(merges) == 1
    ids, author, date, subject = merges[0].split("\t")
    assert len(ids.split()) == 3  # the merge and its two parents
    assert (author, date) == ("Tomás Reyes", "2026-11-11T09:00:00-06:00")
    assert subject == "Merge pull request #131 from paperkite/ocr-model-v3"
    merged = log(demo, "--format=%an", f"{ids.split()[1]}..{ids.split()[0]}^2")
    assert merged == ["Jonas Weber", "Priya Raman"]
    assert git.run(demo, "branch", "--format=%(refname:short)").split() == ["main"]


def test_every_commit_is_a_valid_goals_repository(demo: Path, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    git.run(demo, "worktree", "add", "--quiet", "--detach", str(tree), "HEAD")
    try:
        for commit in log(demo, "--first-parent", "--format=%H"):
            git.run(tree, "checkout", "--quiet", "--detach", commit)
            result = validate(tree)
            assert result.errors == 0, (commit, result.diagnostics)
    finally:
        git.run(demo, "worktree", "remove", "--force", str(tree))
    assert validate(demo).ok(strict=True)


def test_files_already_in_the_folder_go_into_the_first_commit(tmp_path: Path) -> None:
    git.init(tmp_path)
    (tmp_path / ".gitignore").write_text("/site/\n", encoding="utf-8")
    write_demo_history(tmp_path, SOURCE)
    first = log(tmp_path, "--format=%H")[0]
    assert ".gitignore" in git.run(tmp_path, "show", "--name-only", "--format=", first).split()
