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
    assert checkout["with"]["persist-credentials"] is False  # nothing here pushes
    assert not any(UNTRUSTED.search(r) for r in runs(steps))
    assert any("validate --format github" in r for r in runs(steps))
    assert any(re.search(r'pip install "goalsrepo==\d', r) for r in runs(steps))
    assert workflow["jobs"]["goals"]["if"] == "github.event_name == 'pull_request'"
    assert "permissions" not in workflow["jobs"]["goals"]  # the read-only default


def test_pushes_to_the_default_branch_build_and_deploy_the_site(scaffold: Path) -> None:
    workflow = yaml.safe_load((scaffold / ".github/workflows/goals.yml").read_text())
    job = workflow["jobs"]["site"]
    assert "github.event_name == 'push'" in job["if"]
    assert "github.event.repository.default_branch" in job["if"]
    # Least privilege: Pages needs these two, and nothing else may write.
    assert job["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    steps = job["steps"]
    uses = [s.get("uses", "").split("@")[0] for s in steps]
    assert uses[0] == "actions/checkout" and steps[0]["with"]["fetch-depth"] == 0
    build = next(s for s in steps if "goalsrepo build" in s.get("run", ""))
    assert build["run"] == 'goalsrepo build --output _site --base-url "$BASE_URL"'
    assert build["env"]["BASE_URL"] == "${{ steps.pages.outputs.base_url }}"
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages"))
    assert upload["with"]["path"] == "_site"
    assert uses.index("actions/configure-pages") < steps.index(build) < steps.index(upload)
    assert uses[-1] == "actions/deploy-pages"
    assert not any(UNTRUSTED.search(r) for r in runs(steps))


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


def test_the_workflows_build_step_runs_as_written(tmp_path: Path) -> None:
    """The site job's run: line, executed by a shell in a demo repository, as Actions would."""
    root = tmp_path / "demo"
    assert CliRunner().invoke(cli, ["init", str(root), "--demo"]).exit_code == 0
    workflow = yaml.safe_load((root / ".github/workflows/goals.yml").read_text())
    build = next(s for s in workflow["jobs"]["site"]["steps"] if "goalsrepo build" in
                 s.get("run", ""))
    env = {**os.environ, "BASE_URL": "https://acme.github.io/goals"}
    done = subprocess.run(["bash", "-c", build["run"]], cwd=root, env=env, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "https://acme.github.io/goals/goals/" in (root / "_site/sitemap.xml").read_text()


def test_pull_requests_upload_their_site_for_reviewers(scaffold: Path, tmp_path: Path) -> None:
    """The pull-request job builds the site of the pull request and uploads it as an
    artifact kept a week; its build line runs as written in a demo repository."""
    workflow = yaml.safe_load((scaffold / ".github/workflows/goals.yml").read_text())
    steps = workflow["jobs"]["goals"]["steps"]
    build = next(s for s in steps if "goalsrepo build" in s.get("run", ""))
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert re.fullmatch(r"actions/upload-artifact@[0-9a-f]{40}", upload["uses"])
    assert steps.index(build) < steps.index(upload)
    assert upload["with"]["path"] == "pr-site"
    assert upload["with"]["retention-days"] == 7
    assert upload["with"]["if-no-files-found"] == "error"
    assert upload["with"]["name"] == "goals-site-pr-${{ github.event.pull_request.number }}"
    assert "permissions" not in workflow["jobs"]["goals"]  # uploading needs no write
    root = tmp_path / "demo"
    assert CliRunner().invoke(cli, ["init", str(root), "--demo"]).exit_code == 0
    done = subprocess.run(["bash", "-c", build["run"]], cwd=root, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert (root / "pr-site/index.html").is_file()
