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

from gitrepo import day, git

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

    def run(self, root: Path, *args: str, code: int = 0) -> list[tuple[str, ...]]:
        """The git invocations of ``goalsrepo ARGS -C root``, in order."""
        self.log.write_text("", encoding="utf-8")
        done = subprocess.run([sys.executable, "-m", "goalsrepo", *args, "-C", str(root)],
                              capture_output=True, text=True, check=False, env=self.env)
        assert done.returncode == code, done.stderr
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


def no_repeats(calls: list[tuple[str, ...]]) -> None:
    repeated = {call for call in calls if calls.count(call) > 1}
    assert not repeated, f"the same git invocation ran more than once: {repeated}"


def test_status_cold_and_after_a_commit(demo: Path, counted: Counted, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(demo, root)
    cold = counted.run(root, "status")
    no_repeats(cold)
    assert len(cold) <= 4, cold
    checkin(root, 1300)
    warm = counted.run(root, "status")
    no_repeats(warm)
    assert len(warm) <= 4, warm
    again = counted.run(root, "status", "--format", "json")
    no_repeats(again)
    assert len(again) <= 2, again


def test_build_after_one_checkin(demo: Path, counted: Counted, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(demo, root)
    no_repeats(counted.run(root, "build"))
    checkin(root, 1310)
    calls = counted.run(root, "build")
    no_repeats(calls)
    assert len(calls) <= 4, calls


def test_validate(demo: Path, counted: Counted, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(demo, root)
    calls = counted.run(root, "validate")
    no_repeats(calls)
    assert len(calls) <= 4, calls


def test_history(demo: Path, counted: Counted, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(demo, root)
    cold = counted.run(root, "history", "arr-1-5m")
    no_repeats(cold)
    assert len(cold) <= 4, cold
    warm = counted.run(root, "history", "arr-1-5m")
    no_repeats(warm)
    assert len(warm) <= 2, warm


def test_a_plain_folder_runs_no_git(counted: Counted, tmp_path: Path) -> None:
    """validate in a folder outside git checks the files and starts no git at all."""
    root = tmp_path / "plain"
    root.mkdir()
    (root / "goalsrepo.yaml").write_text("title: Plain\n", encoding="utf-8")
    (root / "goals").mkdir()
    assert counted.run(root, "validate") == []
