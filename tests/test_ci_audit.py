"""Every CI file goalsrepo writes into a user's repository, or ships for other repositories
to use, checked by the tool its own ecosystem uses: zizmor for GitHub Actions (no finding
of medium or high severity, SPEC §6), check-jsonschema's vendored schemas for workflows,
Dependabot configs, issue forms and GitLab CI, and `pre-commit validate-*` for pre-commit.

A file ``init`` writes that no checker here covers fails the suite, so a workflow added
later cannot skip the audit.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from goalsrepo.cli import cli
from goalsrepo.integrations import workflows

ROOT = Path(__file__).resolve().parent.parent

# What `init` may be asked to write: every variant, so every file gets audited.
INIT_VARIANTS: dict[str, list[str]] = {"github": [], "gitlab": ["--ci", "gitlab"]}

# A CI file (glob from the repository root) -> the checks it must pass.
ZIZMOR = "zizmor"
CHECKS: dict[str, list[str]] = {
    ".github/workflows/*.yml": [ZIZMOR, "vendor.github-workflows"],
    ".github/dependabot.yml": [ZIZMOR, "vendor.dependabot"],
    ".github/ISSUE_TEMPLATE/*.yml": ["vendor.github-issue-forms"],
    ".gitlab-ci.yml": ["vendor.gitlab-ci"],
    ".pre-commit-config.yaml": ["pre-commit validate-config"],
    # Shipped with goalsrepo itself, for other repositories.
    "action.yml": [ZIZMOR, "vendor.github-actions"],
    ".pre-commit-hooks.yaml": ["pre-commit validate-manifest"],
}
# Files init writes that are not CI configuration.
NOT_CI = re.compile(r"^(goals/|\.goalsrepo/|\.vscode/|\.gitignore$|[a-z]+\.yaml$)")


def _tool(name: str) -> str:
    """The tool's path; missing, it skips on a developer's machine and fails in CI."""
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is missing, and CI=true promises it (test extra)",
                        pytrace=False)
        pytest.skip(f"{name} is not installed (it is in the test extra)")
    return found


def _checks_for(relpath: str) -> list[str]:
    return [check for pattern, checks in CHECKS.items() if fnmatch.fnmatch(relpath, pattern)
            for check in checks]


def _written(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    for variant, flags in INIT_VARIANTS.items():
        root = tmp_path / variant
        result = CliRunner().invoke(cli, ["init", str(root), *flags])
        assert result.exit_code == 0, result.output
        for path in sorted(p for p in root.rglob("*") if p.is_file() and ".git" not in
                           p.relative_to(root).parts):
            relpath = path.relative_to(root).as_posix()
            if not NOT_CI.match(relpath):
                yield root, relpath


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300,
                          check=False)


def _check(root: Path, relpath: str, check: str) -> None:
    if check == ZIZMOR:
        done = _run([_tool("zizmor"), "--offline", "--format", "json", "--no-progress",
                     "--min-severity", "medium", relpath], root)
        findings = json.loads(done.stdout or "[]")
        assert findings == [], "\n".join(
            f"{relpath}: {f['ident']} ({f['determinations']['severity']}): {f['desc']}"
            for f in findings)
    elif check.startswith("vendor."):
        done = _run([_tool("check-jsonschema"), "--builtin-schema", check, relpath], root)
        assert done.returncode == 0, done.stdout + done.stderr
    else:
        done = _run([_tool("pre-commit"), *check.split()[1:], relpath], root)
        assert done.returncode == 0, done.stdout + done.stderr


def test_every_ci_file_init_writes_passes_its_ecosystems_checks(tmp_path: Path) -> None:
    written = list(_written(tmp_path))
    assert any(relpath.startswith(".github/workflows/") for _, relpath in written)
    for root, relpath in written:
        checks = _checks_for(relpath)
        assert checks, f"init writes {relpath}, which no check in this file covers"
        for check in checks:
            _check(root, relpath, check)


@pytest.mark.parametrize("relpath", ["action.yml", ".pre-commit-hooks.yaml"])
def test_the_files_goalsrepo_ships_pass_their_ecosystems_checks(relpath: str) -> None:
    for check in _checks_for(relpath):
        _check(ROOT, relpath, check)


def test_zizmor_catches_what_the_audit_is_for(tmp_path: Path) -> None:
    """The audit can fail: an unpinned action and a kept token are reported."""
    workflow = tmp_path / ".github/workflows/bad.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(
        "name: bad\non: push\npermissions: {}\njobs:\n  bad:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - uses: actions/checkout@v4\n")
    with pytest.raises(AssertionError, match="unpinned-uses") as failed:
        _check(tmp_path, ".github/workflows/bad.yml", ZIZMOR)
    assert "artipacked" in str(failed.value)


def test_every_action_is_pinned_to_a_full_commit_with_its_version(tmp_path: Path) -> None:
    for root, relpath in _written(tmp_path):
        if not relpath.endswith(".yml") or "workflows" not in relpath:
            continue
        text = (root / relpath).read_text()
        steps = [step for job in yaml.safe_load(text)["jobs"].values()
                 for step in job.get("steps", [])]
        for step in steps:
            if "uses" in step:
                name, ref = step["uses"].split("@")
                assert re.fullmatch(r"[0-9a-f]{40}", ref), step["uses"]
                assert f"{step['uses']} # {workflows.ACTIONS[name][1]}" in text


def test_dependabot_keeps_the_pinned_actions_current(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    assert CliRunner().invoke(cli, ["init", str(root)]).exit_code == 0
    config = yaml.safe_load((root / ".github/dependabot.yml").read_text())
    (update,) = config["updates"]
    assert update["package-ecosystem"] == "github-actions" and update["directory"] == "/"


def test_an_action_missing_from_the_pin_table_is_never_written(tmp_path: Path) -> None:
    with pytest.raises(KeyError):
        workflows.uses("someone/unknown-action")
