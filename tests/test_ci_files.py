"""The CI pieces goalsrepo ships and writes: the pre-commit hook (run for real with
`pre-commit try-repo`), the composite action, and the workflow `init` writes."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from goalsrepo.cli import cli

ROOT = Path(__file__).resolve().parent.parent
UNTRUSTED = re.compile(r"\$\{\{")  # no expression may be expanded inside a run: script


def runs(steps: list[dict[str, Any]]) -> list[str]:
    return [step["run"] for step in steps if "run" in step]


def test_the_action_is_composite_and_passes_inputs_through_env() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert {"name", "description", "inputs", "runs"} <= set(action)
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    assert all(step.get("shell") == "bash" for step in steps if "run" in step)
    assert runs(steps) and not any(UNTRUSTED.search(r) for r in runs(steps))
    assert any("goalsrepo validate" in r or "args=(validate" in r for r in runs(steps))


def test_the_hook_manifest() -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert {"id", "name", "entry", "language", "files"} <= set(hook)
    assert hook["id"] == "goalsrepo-validate" and hook["entry"] == "goalsrepo validate"
    files = re.compile(hook["files"])
    assert files.search("goals/platform/2026-Q4/a.yaml") and files.search("people.yaml")
    assert not files.search("README.md")


@pytest.fixture
def scaffold(tmp_path: Path) -> Path:
    root = tmp_path / "goals-repo"
    assert CliRunner().invoke(cli, ["init", str(root)]).exit_code == 0
    return root


def test_init_writes_a_least_privilege_full_history_workflow(scaffold: Path) -> None:
    text = (scaffold / ".github/workflows/goals.yml").read_text()
    workflow = yaml.safe_load(text)
    assert "pull_request_target" not in text
    assert workflow["permissions"] == {"contents": "read"}
    steps = workflow["jobs"]["goals"]["steps"]
    checkout = next(s for s in steps if str(s.get("uses", "")).startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    assert not any(UNTRUSTED.search(r) for r in runs(steps))
    assert any("validate --format github" in r for r in runs(steps))
    assert any(re.search(r'pip install "goalsrepo==\d', r) for r in runs(steps))


def test_the_hook_runs_with_pre_commit_try_repo(scaffold: Path, tmp_path: Path) -> None:
    """pre-commit installs goalsrepo from this checkout and runs the hook on a goals repo."""
    if shutil.which("pre-commit") is None and os.environ.get("CI") != "true":
        pytest.skip("pre-commit is not installed (it is in the test extra)")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    subprocess.run(["git", "add", "--all"], cwd=scaffold, check=True)

    def try_repo() -> subprocess.CompletedProcess[str]:
        return subprocess.run(["pre-commit", "try-repo", str(ROOT), "goalsrepo-validate",
                               "--all-files"], cwd=scaffold, env=env, capture_output=True,
                              text=True, timeout=600)

    ok = try_repo()
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = scaffold / "goals" / "broken.yaml"
    bad.write_text("id: broken\ntitle: A title of several words\nowner: nobody-here\n")
    subprocess.run(["git", "add", "--all"], cwd=scaffold, check=True)
    failed = try_repo()
    assert failed.returncode == 1
    assert "goals/broken.yaml:3:8: error" in failed.stdout
