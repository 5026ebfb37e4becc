"""The schema, new and init commands, run for real on files in tmp_path."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
import yaml
from helpers import RepoFactory, Run, found

from goalsrepo import __version__
from goalsrepo.files import schema

KINDS = ["goal", "config", "people", "teams"]
SAMPLES = {
    "goal": {"id": "a", "title": "T", "owner": "alice",
             "links": [{"url": "https://example.org"}],
             "key_results": [{"id": "k", "title": "K", "done": False}]},
    "config": {"periods": [{"id": "q1", "start": "2026-01-01", "end": "2026-03-31"}]},
    "people": {"people": [{"id": "alice", "name": "Alice", "email": "a@example.org"}]},
    "teams": {"teams": [{"id": "platform", "name": "Platform"}]},
}
BROKEN = {
    "goal": {"id": "a", "title": "T", "owner": "alice", "links": [{"url": "javascript:x"}]},
    "config": {"periods": [{"id": "q1", "start": "2026-01-01", "end": "tomorrow"}]},
    "people": {"people": [{"id": "alice", "name": "Alice", "email": "not an address"}]},
    "teams": {"teams": [{"id": "platform"}]},
}


def test_version(run_cli: Callable[..., Run]) -> None:
    run = run_cli("--version")
    assert run.exit_code == 0
    assert __version__ in run.stdout


# --- schema ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_schema_prints_a_draft_2020_12_schema(run_cli: Callable[..., Run], kind: str) -> None:
    run = run_cli("schema", kind)
    assert run.exit_code == 0
    printed = json.loads(run.stdout)
    assert printed["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(printed)
    validator = jsonschema.Draft202012Validator(printed)
    assert validator.is_valid(SAMPLES[kind])
    assert not validator.is_valid(BROKEN[kind])  # the $refs resolve and bite


@pytest.mark.parametrize("kind", KINDS)
def test_schema_draft_7_for_editors(run_cli: Callable[..., Run], kind: str) -> None:
    run = run_cli("schema", kind, "--draft", "7")
    assert run.exit_code == 0
    printed = json.loads(run.stdout)
    assert printed["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert "$defs" not in run.stdout
    jsonschema.Draft7Validator.check_schema(printed)
    validator = jsonschema.Draft7Validator(printed)
    assert validator.is_valid(SAMPLES[kind])
    assert not validator.is_valid(BROKEN[kind])


def test_schema_defaults_to_goal(run_cli: Callable[..., Run]) -> None:
    assert json.loads(run_cli("schema").stdout) == schema.load("goal")


@pytest.mark.parametrize("args", [["schema", "person"], ["schema", "goal", "--draft", "4"]])
def test_schema_usage_errors(run_cli: Callable[..., Run], args: list[str]) -> None:
    assert run_cli(*args).exit_code == 2


# --- new -------------------------------------------------------------------------------

NEW = ["--id", "ci-under-eight-minutes", "--title", "Cut the CI pipeline to under eight minutes",
       "--owner", "bob", "--team", "platform", "--period", "2026-Q4", "--aligns-to", "company"]


def test_new_writes_a_goal_that_validates(goals_repo: RepoFactory,
                                          run_cli: Callable[..., Run]) -> None:
    root = goals_repo()
    run = run_cli("new", "-C", str(root), *NEW)
    assert run.exit_code == 0, run.stderr
    path = root / "goals/platform/2026-Q4/ci-under-eight-minutes.yaml"
    assert path.is_file()
    data = yaml.safe_load(path.read_text("utf-8"))
    assert data["id"] == "ci-under-eight-minutes"
    assert data["title"] == "Cut the CI pipeline to under eight minutes"
    assert (data["owner"], data["team"], data["period"]) == ("bob", "platform", "2026-Q4")
    assert data["aligns_to"] == ["company"]
    assert found(root) == []


def test_new_keeps_awkward_titles_intact(goals_repo: RepoFactory,
                                         run_cli: Callable[..., Run]) -> None:
    root = goals_repo()
    title = 'Say "no": to 50% of #meetings, {and} [all] of them - yes'
    run = run_cli("new", "-C", str(root), "--id", "fewer-meetings", "--title", title,
                  "--owner", "bob", "--level", "organization", "--period", "2026-Q4")
    assert run.exit_code == 0, run.stderr
    data = yaml.safe_load((root / "goals/2026-Q4/fewer-meetings.yaml").read_text("utf-8"))
    assert data["title"] == title
    assert data["level"] == "organization"
    assert [c for f, *_, c in found(root) if f.endswith("fewer-meetings.yaml")] == []


def test_new_without_team_or_period_writes_at_the_top(goals_repo: RepoFactory,
                                                      run_cli: Callable[..., Run]) -> None:
    root = goals_repo()
    run = run_cli("new", "-C", str(root), "--id", "solo", "--title", "Write it all down now",
                  "--owner", "alice")
    assert run.exit_code == 0, run.stderr
    assert (root / "goals/solo.yaml").is_file()


def _all_files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def test_new_refuses_an_existing_id(goals_repo: RepoFactory,
                                    run_cli: Callable[..., Run]) -> None:
    root = goals_repo()
    before = _all_files(root)
    run = run_cli("new", "-C", str(root), "--id", "faster-deploys", "--title", "Another one here",
                  "--owner", "bob")
    assert run.exit_code == 1
    assert "faster-deploys" in run.stderr
    assert "Traceback" not in run.stderr
    assert _all_files(root) == before


@pytest.mark.parametrize("bad_id", ["Faster", "faster_deploys", "-lead", "a" * 65, "../escape",
                                    "x/y"])
def test_new_refuses_a_bad_id(goals_repo: RepoFactory, run_cli: Callable[..., Run],
                              bad_id: str) -> None:
    root = goals_repo()
    before = _all_files(root)
    run = run_cli("new", "-C", str(root), "--id", bad_id, "--title", "A title of four words",
                  "--owner", "bob")
    assert run.exit_code in (1, 2)
    assert run.stderr
    assert _all_files(root) == before


def test_new_refuses_an_id_unsafe_as_a_file_name(goals_repo: RepoFactory,
                                                 run_cli: Callable[..., Run]) -> None:
    root = goals_repo()
    run = run_cli("new", "-C", str(root), "--id", "con", "--title", "A title of four words",
                  "--owner", "bob")
    assert run.exit_code != 0
    assert not (root / "goals/con.yaml").exists()


@pytest.mark.parametrize(("flag", "value"), [("--owner", "zoe"), ("--team", "ghosts"),
                                             ("--period", "2027-Q1"), ("--aligns-to", "nothing")])
def test_new_refuses_unknown_references(goals_repo: RepoFactory, run_cli: Callable[..., Run],
                                        flag: str, value: str) -> None:
    root = goals_repo()
    before = _all_files(root)
    args = ["--id", "fresh", "--title", "A title of four words", "--owner", "bob", flag, value]
    run = run_cli("new", "-C", str(root), *args)
    assert run.exit_code == 1
    assert f"`{value}`" in run.stderr
    assert _all_files(root) == before


@pytest.mark.parametrize("missing", ["--id", "--title", "--owner"])
def test_new_needs_id_title_and_owner_when_not_interactive(
        goals_repo: RepoFactory, run_cli: Callable[..., Run], missing: str) -> None:
    root = goals_repo()
    before = _all_files(root)
    given = {"--id": "fresh", "--title": "A title of four words", "--owner": "bob"}
    del given[missing]
    run = run_cli("new", "-C", str(root), *[x for kv in given.items() for x in kv])
    assert run.exit_code == 2
    assert missing in run.stderr
    assert _all_files(root) == before


def test_new_prompts_on_a_terminal(goals_repo: RepoFactory) -> None:
    root = goals_repo()
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "goalsrepo", "new", "-C", str(root)],
                            stdin=follower, stdout=follower, stderr=follower)
    os.close(follower)
    # Canonical mode buffers the lines: id, title, owner, team, period.
    os.write(leader, b"asked-goal\nAnswer every support ticket within a day\nbob\nplatform\n"
                     b"2026-Q4\n")
    output = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    proc.wait(timeout=60)
    os.close(leader)
    assert proc.returncode == 0, output
    assert b"Title" in output and b"Owner" in output
    data = yaml.safe_load((root / "goals/platform/2026-Q4/asked-goal.yaml").read_text("utf-8"))
    assert data["title"] == "Answer every support ticket within a day"
    assert data["owner"] == "bob"


# --- init ------------------------------------------------------------------------------


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.fixture
def initialised(tmp_path: Path, run_cli: Callable[..., Run]) -> tuple[Path, Run]:
    target = tmp_path / "acme-goals"
    return target, run_cli("init", str(target))


def test_init_scaffolds_a_repository_that_validates(initialised: tuple[Path, Run],
                                                    run_cli: Callable[..., Run]) -> None:
    target, run = initialised
    assert run.exit_code == 0, run.stderr
    for name in ("goalsrepo.yaml", "people.yaml", "teams.yaml", ".gitignore",
                 ".vscode/settings.json"):
        assert (target / name).is_file(), name
    goals = list((target / "goals").rglob("*.yaml"))
    assert len(goals) >= 3
    check = run_cli("validate", "-C", str(target), "--strict", "--format", "json")
    assert check.exit_code == 0, check.stdout
    payload = json.loads(check.stdout)
    assert (payload["errors"], payload["warnings"]) == (0, 0)
    assert payload["files"] == len(goals) + 3


def test_init_runs_git_init(initialised: tuple[Path, Run]) -> None:
    target, run = initialised
    assert (target / ".git").is_dir()
    assert _git(target, "rev-parse", "--show-toplevel") == str(target.resolve())
    assert _git(target, "symbolic-ref", "HEAD") == "refs/heads/main"
    assert "git" in run.stdout.lower()


def test_init_wires_editors_to_draft_7_schemas(initialised: tuple[Path, Run]) -> None:
    target, _ = initialised
    settings = json.loads((target / ".vscode/settings.json").read_text("utf-8"))
    mapping = settings["yaml.schemas"]
    assert set(mapping.values()) >= {"goalsrepo.yaml", "people.yaml", "teams.yaml"}
    for schema_path in mapping:
        printed = json.loads((target / schema_path).read_text("utf-8"))
        jsonschema.Draft7Validator.check_schema(printed)


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path: Path,
                                                      run_cli: Callable[..., Run]) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "people.yaml").write_text("people: []  # mine\n", "utf-8")
    run = run_cli("init", str(target))
    assert run.exit_code == 1
    assert "people.yaml" in run.stderr
    assert "Traceback" not in run.stderr
    assert (target / "people.yaml").read_text("utf-8") == "people: []  # mine\n"
    assert sorted(p.name for p in target.iterdir()) == ["people.yaml"]  # not even .git


def test_init_twice_refuses_the_second_time(initialised: tuple[Path, Run],
                                            run_cli: Callable[..., Run]) -> None:
    target, _ = initialised
    before = {p: p.read_bytes() for p in target.rglob("*") if p.is_file() and ".git" not in p.parts}
    assert run_cli("init", str(target)).exit_code == 1
    after = {p: p.read_bytes() for p in target.rglob("*") if p.is_file() and ".git" not in p.parts}
    assert after == before


def test_init_inside_a_repository_does_not_nest_one(tmp_path: Path,
                                                    run_cli: Callable[..., Run]) -> None:
    outer = tmp_path / "monorepo"
    outer.mkdir()
    subprocess.run(["git", "init", "--quiet", str(outer)], check=True)
    run = run_cli("init", str(outer / "goals-here"))
    assert run.exit_code == 0, run.stderr
    assert not (outer / "goals-here" / ".git").exists()
    assert (outer / "goals-here" / "goalsrepo.yaml").is_file()


def test_init_uses_the_repo_option(tmp_path: Path, run_cli: Callable[..., Run]) -> None:
    target = tmp_path / "here"
    target.mkdir()
    assert run_cli("init", "-C", str(target)).exit_code == 0
    assert (target / "goalsrepo.yaml").is_file()
