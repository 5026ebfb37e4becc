"""The CI pieces goalsrepo ships and writes: the pre-commit hook (run for real with
`pre-commit try-repo`), the composite action, and the workflow `init` writes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
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


def test_the_weekly_loop_is_scheduled_and_only_its_sync_job_writes(scaffold: Path) -> None:
    text = (scaffold / ".github/workflows/goals-weekly.yml").read_text()
    workflow = yaml.safe_load(text)
    on = workflow[True]  # YAML 1.1 reads the key `on` as a boolean
    assert on["schedule"] == [{"cron": "0 7 * * 1"}] and "workflow_dispatch" in on
    assert workflow["permissions"] == {}
    jobs = workflow["jobs"]
    writers = [name for name, job in jobs.items()
               if "write" in (job.get("permissions") or {}).values()]
    assert writers == ["sync"]
    checkouts = {name: next(s for s in job["steps"] if "checkout" in s.get("uses", ""))
                 for name, job in jobs.items()}
    assert all(c["with"]["fetch-depth"] == 0 for c in checkouts.values())
    assert checkouts["sync"]["with"]["persist-credentials"] is True
    assert checkouts["digest"]["with"]["persist-credentials"] is False
    assert any("goalsrepo sync --commit" in r for r in runs(jobs["sync"]["steps"]))
    post = jobs["digest"]["steps"][-1]
    assert post["if"] == "env.GOALSREPO_WEBHOOK_URL != ''"
    assert jobs["digest"]["env"]["GOALSREPO_WEBHOOK_URL"] == "${{ secrets.GOALSREPO_WEBHOOK_URL }}"
    for job in jobs.values():
        assert not any(UNTRUSTED.search(r) for r in runs(job["steps"]))


def _sync_ready(root: Path, remote: Path) -> None:
    """A goals repository with one key result that syncs and one whose source fails,
    committed and pushed to a bare ``remote``."""
    from gitrepo import git

    with open(root / "goalsrepo.yaml", "a", encoding="utf-8") as fh:
        fh.write("sync:\n  author: {name: goalsrepo sync, email: sync@example.com}\n"
                 "sources:\n"
                 f"  count: {{kind: command, run: [{json.dumps(sys.executable)}, -c, "
                 "'print(42)']}\n"
                 "  broken: {kind: command, run: ['false']}\n")
    goal = root / "goals/synced.yaml"
    goal.write_text(
        "id: synced\ntitle: Count the signed contracts of this quarter\nowner: alice\n"
        "key_results:\n"
        "  - {id: signed, title: Contracts, unit: n, start: 0, target: 100, current: 1,"
        " source: count}\n"
        "  - {id: other, title: Others, unit: n, start: 0, target: 100, current: 1,"
        " source: broken}\n")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", "Goals")
    git(remote.parent, "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    git(root, "remote", "add", "origin", str(remote))
    git(root, "push", "--quiet", "origin", "HEAD:main")


def _remote_head(remote: Path) -> str:
    from gitrepo import git

    return git(remote, "log", "-1", "--format=%an|%s", "main").strip()


def test_the_weekly_sync_step_runs_as_written(tmp_path: Path) -> None:
    """The sync step's script, run by bash as Actions would: a failing source fails the
    job, but what the other sources read is committed and pushed first."""
    root, remote = tmp_path / "goals", tmp_path / "remote.git"
    assert CliRunner().invoke(cli, ["init", str(root)]).exit_code == 0
    _sync_ready(root, remote)
    workflow = yaml.safe_load((root / ".github/workflows/goals-weekly.yml").read_text())
    (step,) = [s for s in workflow["jobs"]["sync"]["steps"] if "goalsrepo sync" in s.get("run", "")]
    env = {**os.environ, "GITHUB_REF": "refs/heads/main", **_git_identity()}
    done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=root, env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stderr
    assert "failed     synced/other" in done.stdout
    assert _remote_head(remote) == "goalsrepo sync|sync: 1 key result from count"


def test_init_for_gitlab_writes_its_pipeline_instead_of_github_workflows(tmp_path: Path) -> None:
    root, remote = tmp_path / "goals", tmp_path / "remote.git"
    result = CliRunner().invoke(cli, ["init", str(root), "--ci", "gitlab"])
    assert result.exit_code == 0, result.output
    assert not (root / ".github").exists()
    assert (root / ".pre-commit-config.yaml").exists()
    pipeline = yaml.safe_load((root / ".gitlab-ci.yml").read_text())
    assert pipeline["variables"]["GIT_DEPTH"] == "0"
    assert pipeline["validate"]["artifacts"]["reports"]["codequality"] == (
        "gl-code-quality-report.json")
    assert "goalsrepo validate --format gitlab" in pipeline["validate"]["script"][0]
    assert pipeline["pages"]["artifacts"]["paths"] == ["public"]
    assert pipeline["sync"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule"'}]

    # The sync job's script, run by sh as a GitLab runner would, pushing over https to
    # the project (here a local bare repository standing in for it).
    _sync_ready(root, remote)
    url = "https://goalsrepo-sync:glpat-s3cr3t@gitlab.example.com/acme/goals.git"
    env = {**os.environ, **_git_identity(), "CI_SERVER_HOST": "gitlab.example.com",
           "CI_PROJECT_PATH": "acme/goals", "CI_DEFAULT_BRANCH": "main",
           "GOALSREPO_PUSH_TOKEN": "glpat-s3cr3t", "GIT_CONFIG_COUNT": "1",
           "GIT_CONFIG_KEY_0": f"url.{remote}.insteadOf", "GIT_CONFIG_VALUE_0": url}
    env.pop("GOALSREPO_WEBHOOK_URL", None)
    done = subprocess.run(["sh", "-e", "-c", "\n".join(pipeline["sync"]["script"])], cwd=root,
                          env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stderr
    assert _remote_head(remote) == "goalsrepo sync|sync: 1 key result from count"
    assert "glpat-s3cr3t" not in done.stdout + done.stderr


def _git_identity() -> dict[str, str]:
    return {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def test_the_weekly_digest_step_posts_as_written(tmp_path: Path) -> None:
    """The digest job's run: line, run by bash with the job's env, posts to the webhook."""
    from service import Reply, serve

    root = tmp_path / "demo"
    assert CliRunner().invoke(cli, ["init", str(root), "--demo"]).exit_code == 0
    workflow = yaml.safe_load((root / ".github/workflows/goals-weekly.yml").read_text())
    post = workflow["jobs"]["digest"]["steps"][-1]
    with serve() as service:
        url = service.route("/hook", Reply(200, b"ok", {"Content-Type": "text/plain"}))
        env = {**os.environ, "GOALSREPO_WEBHOOK_URL": url, "GOALSREPO_CHAT": "slack"}
        done = subprocess.run(["bash", "-e", "-c", post["run"]], cwd=root, env=env,
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        (sent,) = service.requests_to("/hook")
    assert sent.method == "POST" and json.loads(sent.body)["blocks"]
    assert url not in done.stdout + done.stderr
