"""``checkin``: one value changes in place, everything else stays byte for byte, and a
wrong goal, key result, value or file changes nothing (SPEC §2, issue 6)."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
from click.testing import Result
from gitrepo import BOB, Repo, cli_json, day, git, goal, new_repo, numeric, run_cli

COMMENTED = """\
# Platform's Q4 goal. Owner: alice.
id: faster-deploys
title: Ship any change to production within one hour   # the promise to the company
owner: alice
period: 2026-Q4

key_results:
  # lower is better
  - id: deploy-time
    title: Median deploy time
    unit: min
    start: 45
    target: 10
    current: 22             # from the pipeline dashboard

  - id: runbook
    title: Publish the deploy runbook
    done: false

milestones:
  - title: Measure today's pipeline
    due: 2026-10-15
    done: true
  - title: "Cache the build"
    due: 2026-11-01
    done: false   # next
"""
PATH = "goals/faster-deploys.yaml"


def commented_repo(tmp_path: Path) -> Repo:
    """A repository holding the commented goal file above, committed."""
    r = new_repo(tmp_path / "repo")
    r.write(PATH, COMMENTED)
    r.commit("Plan", date=day("2026-10-01"))
    return r


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return commented_repo(tmp_path)


def changed(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(),
                                                  lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def checkin(root: Path, *args: str) -> Result:
    return run_cli("checkin", "-C", str(root), *args)


@pytest.mark.parametrize(("args", "want"), [
    (("deploy-time", "18"), ["-    current: 22             # from the pipeline dashboard",
                             "+    current: 18             # from the pipeline dashboard"]),
    (("runbook", "done"), ["-    done: false", "+    done: true"]),
    (("2", "done"), ["-    done: false   # next", "+    done: true   # next"]),
    (("Cache the build", "done"), ["-    done: false   # next", "+    done: true   # next"]),
    (("1", "not-done"), ["-    done: true", "+    done: false"]),
])
def test_exactly_one_line_changes(repo: Repo, args: tuple[str, str], want: list[str]) -> None:
    result = checkin(repo.root, "faster-deploys", *args)
    assert result.exit_code == 0, result.output
    assert changed(COMMENTED, (repo.root / PATH).read_text()) == want


@pytest.mark.parametrize(("args", "message"), [
    (("deploy-time", "fast"), "takes a number"),
    (("deploy-time", "nan"), "finite number"),
    (("runbook", "18"), "`done` or `not-done`"),
    (("3", "done"), "no key result or milestone `3`"),
    (("nope", "1"), "no key result or milestone `nope`"),
])
def test_a_wrong_target_or_value_changes_nothing(repo: Repo, args: tuple[str, str],
                                                 message: str) -> None:
    result = checkin(repo.root, "faster-deploys", *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert (repo.root / PATH).read_text() == COMMENTED


def test_an_unknown_goal(repo: Repo) -> None:
    result = checkin(repo.root, "slower-deploys", "deploy-time", "1")
    assert (result.exit_code, "no goal `slower-deploys`" in result.stderr) == (1, True)


def test_a_goal_file_that_does_not_validate_is_not_touched(repo: Repo) -> None:
    broken = COMMENTED.replace("period: 2026-Q4", "period: 2026-Q4\nperiodd: oops")
    (repo.root / PATH).write_text(broken)
    result = checkin(repo.root, "faster-deploys", "deploy-time", "18")
    assert result.exit_code == 1 and "does not validate" in result.stderr
    assert (repo.root / PATH).read_text() == broken


def test_line_endings_are_kept(repo: Repo) -> None:
    crlf = COMMENTED.replace("\n", "\r\n").encode()
    (repo.root / PATH).write_bytes(crlf)
    assert checkin(repo.root, "faster-deploys", "deploy-time", "18").exit_code == 0
    assert (repo.root / PATH).read_bytes() == crlf.replace(b"current: 22 ", b"current: 18 ")


def test_the_file_is_replaced_whole_and_keeps_its_mode(repo: Repo) -> None:
    """The edit goes through a temporary file renamed into place (a crash leaves the old
    file or the new one), which takes the mode of the file it replaces."""
    target = repo.root / PATH
    target.chmod(0o640)
    before = target.stat().st_ino
    assert checkin(repo.root, "faster-deploys", "deploy-time", "18").exit_code == 0
    assert target.stat().st_ino != before  # renamed into place, not written over
    assert target.stat().st_mode & 0o7777 == 0o640
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".goalsrepo-")]


def test_commit_commits_that_file_alone_and_is_a_checkin_in_history(repo: Repo) -> None:
    (repo.root / "notes.txt").write_text("not part of the check-in\n")
    git(repo.root, "add", "notes.txt")
    repo.git("config", "user.name", BOB.name)
    repo.git("config", "user.email", BOB.email)
    result = checkin(repo.root, "faster-deploys", "deploy-time", "18", "-m", "cache landed",
                     "--commit")
    assert result.exit_code == 0, result.output
    message = repo.git("log", "-1", "--format=%B").strip()
    assert message == "checkin(faster-deploys/deploy-time): 22 -> 18\n\ncache landed"
    assert repo.git("show", "--name-only", "--format=", "HEAD").split() == [PATH]
    assert "notes.txt" in repo.git("diff", "--cached", "--name-only")  # still only staged
    last = cli_json("history", "faster-deploys", "-C", str(repo.root),
                    "--format", "json")["events"][-1]
    assert (last["kind"], last["author"]["person"]) == ("checkin", "bob")
    assert last["changes"] == [{"kr": "deploy-time", "field": "current", "old": 22, "new": 18}]


def test_a_new_goal_written_by_the_helpers_checks_in_too(tmp_path: Path) -> None:
    r = new_repo(tmp_path / "repo")
    r.write_yaml("goals/a.yaml", goal("a", period="2026-Q4",
                                      key_results=[numeric("k", 0, 10, 2)]))
    assert checkin(r.root, "a", "k", "2.5").exit_code == 0
    assert "current: 2.5" in (r.root / "goals/a.yaml").read_text()
