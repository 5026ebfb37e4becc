"""The repository is opened once per command (issue 17): every git process a command
starts is counted by a ``git`` wrapper first on PATH, around the real CLI in a subprocess.

Counting processes is no timing: each command runs the same git invocations on every
machine, and none of them twice.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from gitrepo import day, git, goal, new_repo

from goalsrepo import workspace

GOAL = "goals/company/2026-Q4/arr-1-5m.yaml"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``goalsrepo init --demo`` in a folder whose name has a space and a non-ASCII letter."""
    root = tmp_path_factory.mktemp("open once") / "démo goals"
    done = subprocess.run([sys.executable, "-m", "goalsrepo", "init", "--demo", str(root)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return root


class Counted:
    """Runs ``goalsrepo`` with a ``git`` on PATH that logs each argv, then runs real git."""

    def __init__(self, folder: Path) -> None:
        real = shutil.which("git")
        assert real is not None, "git is not installed"
        self.log = folder / "git.log"
        bin_dir = folder / "bin"
        bin_dir.mkdir()
        wrapper = bin_dir / "git"
        # One line per process: its arguments separated by a unit separator.
        wrapper.write_text('#!/bin/sh\nfor a in "$@"; do printf \'%s\\037\' "$a"; done '
                           f'>> "$OPEN_ONCE_LOG"\necho >> "$OPEN_ONCE_LOG"\n'
                           f'exec "{real}" "$@"\n', encoding="utf-8")
        wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
        self.env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
                    "OPEN_ONCE_LOG": str(self.log)}

    def run(self, root: Path, *args: str, code: int | None = 0) -> list[tuple[str, ...]]:
        """The git invocations of ``goalsrepo ARGS -C root``, in order."""
        self.log.write_text("", encoding="utf-8")
        done = subprocess.run([sys.executable, "-m", "goalsrepo", *args, "-C", str(root)],
                              capture_output=True, text=True, check=False, env=self.env)
        assert code is None or done.returncode == code, done.stderr
        lines = self.log.read_text(encoding="utf-8").splitlines()
        return [tuple(line.split("\x1f")[:-1]) for line in lines if line]


@pytest.fixture()
def counted(tmp_path: Path) -> Counted:
    return Counted(tmp_path)


def checkin(root: Path, value: int) -> None:
    """Commit a check-in: the first ``current:`` of the demo's ARR goal becomes ``value``."""
    path = root / GOAL
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"current: \S+", f"current: {value}", text, count=1),
                    encoding="utf-8")
    git(root, "commit", "--quiet", "-am", f"ARR {value}", date=day("2026-11-21"))


def commands(calls: list[tuple[str, ...]]) -> list[str]:
    """The git subcommands run, in order, after checking that none ran twice alike."""
    repeated = {call for call in calls if calls.count(call) > 1}
    assert not repeated, f"the same git invocation ran more than once: {repeated}"
    return [call[0] for call in calls]


# Opening: one rev-parse (git directory, shallow, HEAD) and HEAD's author date.
OPEN = ["rev-parse", "log"]
# Catching up after a new commit: is the cached head still on HEAD's first-parent line,
# the log of the commits since, and the blobs they changed.
CATCH_UP = ["rev-list", "log", "cat-file"]
# From the first commit: the log, the commit graph (who a merge brought in), the blobs.
COLD = ["log", "log", "cat-file"]


def test_status_cold_after_a_commit_and_warm(demo: Path, counted: Counted,
                                             tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(demo, root)
    assert commands(counted.run(root, "status")) == OPEN + COLD  # was 8
    checkin(root, 1300)
    assert commands(counted.run(root, "status")) == OPEN + CATCH_UP  # was 8
    assert commands(counted.run(root, "status", "--format", "json")) == OPEN  # was 5


def test_build_after_one_checkin(demo: Path, counted: Counted, tmp_path: Path) -> None:
    """The logbook takes the commits the history read, instead of reading them again."""
    root = tmp_path / "repo"
    shutil.copytree(demo, root)
    assert commands(counted.run(root, "build")) == OPEN + COLD  # was 10
    checkin(root, 1310)
    assert commands(counted.run(root, "build")) == OPEN + CATCH_UP  # was 13
    assert commands(counted.run(root, "build")) == OPEN  # was 7


def test_validate(demo: Path, counted: Counted, tmp_path: Path) -> None:
    """The recent commits for the stale check, and which goal files are committed."""
    calls = counted.run(demo, "validate")
    assert commands(calls) == [*OPEN, "log", "cat-file", "ls-files"]  # was 7
    assert any(a.startswith("--since=") for a in calls[2])


def test_history(demo: Path, counted: Counted, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(demo, root)
    assert commands(counted.run(root, "history", "arr-1-5m")) == OPEN + COLD  # was 8
    assert commands(counted.run(root, "history", "arr-1-5m")) == OPEN  # was 5


def test_a_commit_s_files_take_two_reads(demo: Path, counted: Counted) -> None:
    """goalsrepo.yaml, people.yaml and teams.yaml of a commit come in one ``cat-file``,
    its goal files in a second (``diff`` reads two commits; ``--as-of`` one)."""
    tree = ["ls-tree", "cat-file", "cat-file"]
    calls = counted.run(demo, "diff", "HEAD~3")  # cat-file takes other blobs on stdin
    assert [c[0] for c in calls] == ["rev-parse", "rev-parse", "merge-base", *tree, *tree]
    # was 13: one cat-file per file kind
    calls = counted.run(demo, "status", "--as-of", "2026-11-01")
    assert [c[0] for c in calls] == [*OPEN, "log", *tree, "log", "cat-file"]  # was 10


def test_a_plain_folder_runs_no_git(counted: Counted, tmp_path: Path) -> None:
    """validate in a folder outside git checks the files and starts no git at all."""
    root = tmp_path / "plain"
    root.mkdir()
    (root / "goalsrepo.yaml").write_text("title: Plain\n", encoding="utf-8")
    (root / "goals").mkdir()
    assert counted.run(root, "validate") == []


def test_open_a_worktree_shares_the_caches_of_its_repository(tmp_path: Path) -> None:
    main = new_repo(tmp_path / "main répo")
    main.write_yaml("goals/a.yaml", goal("a"))
    first = main.commit("A goal", date=day("2026-10-02"))
    main.git("worktree", "add", "--quiet", "--detach", str(tmp_path / "other tree"))
    opened = workspace.open(tmp_path / "other tree")
    assert opened.git_dir == (main.root / ".git").resolve()
    assert opened.head == (first, "2026-10-02T12:00:00+00:00")
    assert not opened.shallow
    assert opened.root == (tmp_path / "other tree").resolve()


def test_open_before_the_first_commit_and_in_a_shallow_clone(tmp_path: Path) -> None:
    empty = new_repo(tmp_path / "empty")
    opened = workspace.open(empty.root)
    assert (opened.git_dir, opened.head, opened.shallow) == (
        (empty.root / ".git").resolve(), None, False)
    empty.write_yaml("goals/a.yaml", goal("a"))
    empty.commit("One", date=day("2026-10-02"))
    second = empty.commit("Two", date=day("2026-10-03"))
    git(tmp_path, "clone", "--quiet", "--depth", "1", (empty.root.as_uri()), "shallow")
    clone = workspace.open(tmp_path / "shallow")
    assert clone.shallow
    assert clone.head == (second, "2026-10-03T12:00:00+00:00")


def test_open_a_plain_folder(tmp_path: Path) -> None:
    opened = workspace.open(tmp_path)
    assert (opened.git_dir, opened.head, opened.shallow) == (None, None, False)
