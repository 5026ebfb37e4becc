"""``checkin --from-form``: the body GitHub renders for the check-in issue form becomes one
check-in (all values or none), and the workflow `init` writes runs it for people with write
access only, as a shell on a runner would (a fake `gh` records what it was asked)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from gitrepo import Repo, day, git
from test_checkin import PATH, commented_repo

from goalsrepo.cli import cli
from goalsrepo.integrations import issueform


def body(goal: str, values: str, comment: str = "_No response_") -> str:
    """An issue body as GitHub renders the check-in form: `### Label`, a blank line, the
    value (or `_No response_`), fields separated by a blank line."""
    return f"### Goal\n\n{goal}\n\n### Values\n\n{values}\n\n### Comment\n\n{comment}"


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return commented_repo(tmp_path)


def from_form(root: Path, text: str, *args: str) -> object:
    form = root.parent / "issue.md"
    form.write_bytes(text.encode("utf-8"))
    return CliRunner().invoke(cli, ["checkin", "-C", str(root), "--from-form", str(form),
                                    *args], catch_exceptions=False)


def test_the_form_in_the_template_is_what_the_parser_reads() -> None:
    assert issueform.labels() == {"goal": "Goal", "values": "Values", "comment": "Comment"}


def test_every_value_is_one_commit_by_the_issues_author(repo: Repo) -> None:
    text = body("faster-deploys", "deploy-time: 18\nrunbook: done\n2: done\n1: done",
                "Cache landed.\n\nRunbook reviewed by the on-call team.")
    result = from_form(repo.root, text, "--commit", "--author",
                       "octo-cat <1234+octo-cat@users.noreply.github.com>")
    assert result.exit_code == 0, result.output
    log = repo.git("log", "-1", "--format=%an <%ae>%n%B")
    assert log.splitlines()[0] == "octo-cat <1234+octo-cat@users.noreply.github.com>"
    # 1 was done already: unchanged values are left out of the check-in.
    assert log.splitlines()[1] == ("checkin(faster-deploys): deploy-time 22 -> 18; "
                                   "runbook not done -> done; 2 not done -> done")
    assert "Runbook reviewed by the on-call team." in log
    data = repo.read_yaml(PATH)
    assert data["key_results"][0]["current"] == 18
    assert data["key_results"][1]["done"] is True
    assert data["milestones"][1]["done"] is True
    assert repo.git("status", "--porcelain") == ""
    history = CliRunner().invoke(cli, ["history", "-C", str(repo.root), "faster-deploys",
                                       "--format", "json"])
    events = yaml.safe_load(history.stdout)["events"]
    assert events[-1]["kind"] == "checkin" and len(events[-1]["changes"]) == 3


def test_crlf_bullets_and_a_title_with_colons(repo: Repo) -> None:
    text = body("faster-deploys", "- deploy-time: 17.5\n- Cache the build: done").replace(
        "\n", "\r\n")
    result = from_form(repo.root, text)
    assert result.exit_code == 0, result.output
    data = repo.read_yaml(PATH)
    assert data["key_results"][0]["current"] == 17.5 and data["milestones"][1]["done"]


@pytest.mark.parametrize(("text", "message"), [
    (body("no-such-goal", "deploy-time: 18"), "no goal `no-such-goal`"),
    (body("faster-deploys", "deploy-time: 18\nno-such-kr: 3"),
     "has no key result or milestone `no-such-kr`"),
    (body("faster-deploys", "deploy-time: 18\nrunbook: 7"),
     "`runbook` takes `done` or `not-done`, not `7`"),
    (body("faster-deploys", "deploy-time: fast"), "`deploy-time` takes a number, not `fast`"),
    (body("faster-deploys", "deploy-time: nan"), "takes a finite number"),
    (body("faster-deploys", "deploy-time: 22"), "nothing to check in"),
    (body("faster-deploys", "deploy-time: 18\ndeploy-time: 19"), "given twice"),
    (body("faster-deploys", "just some words"), "Values, line 1: `just some words` is not"),
    (body("faster-deploys", "_No response_"), "the Values field gives no value"),
    ("Please update deploy-time to 18, thanks!", "not a check-in form"),
    ("### Goal\n\nfaster-deploys\n\n### Comment\n\nhi", "no `### Values` field"),
    (body("faster-deploys\nother", "deploy-time: 18"), "must hold one goal id"),
    ("x" * 70_000, "at most 65,536"),
])
def test_a_wrong_form_changes_nothing(repo: Repo, text: str, message: str) -> None:
    before = (repo.root / PATH).read_bytes()
    result = from_form(repo.root, text, "--commit")
    assert result.exit_code == 1
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert (repo.root / PATH).read_bytes() == before
    assert repo.git("rev-list", "--count", "HEAD").strip() == "1"


def test_hostile_text_stays_text(repo: Repo) -> None:
    """Markdown, HTML, a `### ` heading and shell syntax inside the comment are the commit
    message, byte for byte; a `### Values` line typed into the goal field is no field."""
    comment = ("<script>alert(1)</script> **bold** $(touch pwned) `rm -rf /`; echo $HOME\n"
               "### Values\n\nfaster-deploys: 99\n\n### Goal\n\nother")
    result = from_form(repo.root, body("faster-deploys", "deploy-time: 18", comment),
                       "--commit")
    assert result.exit_code == 0, result.output
    assert comment in repo.git("log", "-1", "--format=%B")
    assert not (repo.root / "pwned").exists()
    assert repo.read_yaml(PATH)["key_results"][0]["current"] == 18


def test_stdin_and_usage_errors(repo: Repo) -> None:
    runner = CliRunner()
    ok = runner.invoke(cli, ["checkin", "-C", str(repo.root), "--from-form", "-"],
                       input=body("faster-deploys", "deploy-time: 16"))
    assert ok.exit_code == 0, ok.output
    assert "deploy-time" in ok.stdout
    both = runner.invoke(cli, ["checkin", "-C", str(repo.root), "faster-deploys",
                               "--from-form", "-"], input="")
    assert both.exit_code == 2
    author = runner.invoke(cli, ["checkin", "-C", str(repo.root), "faster-deploys",
                                 "deploy-time", "3", "--commit", "--author", "nobody"])
    assert author.exit_code == 1 and "Name <email>" in author.stderr


# --- the workflow's shell steps, run by bash against a real repository ------------------

FAKE_GH = """#!/bin/sh
# A stand-in for the GitHub CLI: records its arguments and the reply it would post.
printf '%s\\n' "$*" >> "$GH_LOG"
for a in "$@"; do
  if [ "$prev" = "--body-file" ]; then
    printf -- '--- %s\\n' "$a" >> "$GH_LOG"; cat "$a" >> "$GH_LOG"
  fi
  prev="$a"
done
"""


def _steps() -> list[dict[str, object]]:
    from goalsrepo.integrations import workflows

    text = workflows.ci_files()[".github/workflows/goals-checkin.yml"]
    job = yaml.safe_load(text)["jobs"]["checkin"]
    return job["steps"]  # type: ignore[no-any-return]


def _runner(tmp_path: Path, repo: Repo) -> tuple[Path, Path, dict[str, str]]:
    """A clone of ``repo`` (its origin a bare copy) with a fake gh and goalsrepo on PATH."""
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(repo.root), str(origin))
    work = tmp_path / "checkout"
    git(tmp_path, "clone", "--quiet", str(origin), str(work))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH)
    gh.chmod(0o755)
    goalsrepo = shutil.which("goalsrepo", path=str(Path(sys.executable).parent))
    assert goalsrepo, "goalsrepo is installed in the test environment"
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{Path(goalsrepo).parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path), "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
        "GH_LOG": str(tmp_path / "gh.log"), "GITHUB_OUTPUT": str(tmp_path / "output"),
        "RUNNER_TEMP": str(temp), "ISSUE": "42", "LOGIN": "octo-cat", "USER_ID": "1234",
        "BRANCH": "main", "GIT_COMMITTER_DATE": day("2026-10-02"),
        "GIT_AUTHOR_DATE": day("2026-10-02"),
    }
    return origin, work, env


def _run_step(step: dict[str, object], work: Path, env: dict[str, str]) -> int:
    done = subprocess.run(["bash", "-e", "-c", str(step["run"])], cwd=work, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    return done.returncode


@pytest.mark.parametrize("association", ["OWNER", "MEMBER", "COLLABORATOR"])
def test_someone_with_write_access_gets_a_commit_and_a_closed_issue(
        tmp_path: Path, repo: Repo, association: str) -> None:
    origin, work, env = _runner(tmp_path, repo)
    steps = _steps()
    env["ASSOCIATION"] = association
    env["BODY"] = body("faster-deploys", "deploy-time: 18\nrunbook: done",
                       "Cache landed; \"quotes\" and $(touch pwned) stay text")
    assert _run_step(steps[0], work, env) == 0
    assert (tmp_path / "output").read_text() == "ok=true\n"
    checkin = next(s for s in steps if s.get("name") == "Check in and push")
    assert _run_step(checkin, work, env) == 0, (tmp_path / "gh.log").read_text()
    log = git(origin, "log", "-1", "--format=%an <%ae>|%cn|%s", "main")
    assert log.strip() == ("octo-cat <1234+octo-cat@users.noreply.github.com>|"
                           "github-actions[bot]|checkin(faster-deploys): deploy-time 22 -> 18;"
                           " runbook not done -> done")
    assert not (work / "pwned").exists()
    calls = (tmp_path / "gh.log").read_text()
    assert "issue comment 42 --body-file reply.md" in calls
    assert "Checked in, thank you @octo-cat" in calls
    assert "checkin(faster-deploys/deploy-time): 22 -> 18" in calls and "origin" not in calls
    assert calls.splitlines()[-1] == "issue close 42 --reason completed"


@pytest.mark.parametrize("association", ["NONE", "CONTRIBUTOR", "FIRST_TIME_CONTRIBUTOR"])
def test_anyone_else_gets_a_polite_comment_and_nothing_changes(
        tmp_path: Path, repo: Repo, association: str) -> None:
    origin, work, env = _runner(tmp_path, repo)
    before = git(origin, "rev-parse", "main")
    env["ASSOCIATION"] = association
    env["BODY"] = body("faster-deploys", "deploy-time: 1")
    assert _run_step(_steps()[0], work, env) == 0
    assert (tmp_path / "output").read_text() == "ok=false\n"
    calls = (tmp_path / "gh.log").read_text()
    assert calls.splitlines()[0] == "issue comment 42 --body-file reply.md"
    assert "Thank you, @octo-cat! Only people with write access" in calls
    assert "close" not in calls
    # Every later step is skipped for them.
    assert all(s.get("if") == "steps.allowed.outputs.ok == 'true'" for s in _steps()[1:])
    assert git(origin, "rev-parse", "main") == before


def test_a_refused_check_in_comments_why_and_pushes_nothing(tmp_path: Path, repo: Repo) -> None:
    origin, work, env = _runner(tmp_path, repo)
    before = git(origin, "rev-parse", "main")
    env["ASSOCIATION"] = "OWNER"
    env["BODY"] = body("faster-deploys", "runbook: 7")
    checkin = next(s for s in _steps() if s.get("name") == "Check in and push")
    assert _run_step(checkin, work, env) == 1
    calls = (tmp_path / "gh.log").read_text()
    assert "this check-in was not applied" in calls
    assert "`runbook` takes `done` or `not-done`, not `7`" in calls
    assert "close" not in calls
    assert git(origin, "rev-parse", "main") == before
