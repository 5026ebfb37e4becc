"""Renderers and the validate command's output contract: text, JSON (SPEC §8), GitHub.

Expected strings are written by hand from the formats: the compilers'
``file:line:column: severity: message [code]`` and GitHub's workflow commands, escaped the
way GitHub's toolkit escapes them (``escapeData``: % CR LF; ``escapeProperty``: also : ,).
"""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers import COMPANY_GOAL, RepoFactory, Run

from goalsrepo import report
from goalsrepo.diagnostics import Diagnostic, Severity, make
from goalsrepo.validate import ValidationResult

E, W, N = Severity.ERROR, Severity.WARNING, Severity.NOTE
LINE = re.compile(r"^(?P<file>[^:\n]+)(:(?P<line>\d+):(?P<col>\d+))?: "
                  r"(?P<severity>error|warning|note): (?P<message>.*) \[(?P<code>GR\d{3})\]$")

# A goal with an error (unknown owner, line 3 column 8) and a warning (title, line 2 col 8).
ERRORS = "id: a\ntitle: Deploys\nowner: zoe\nlevel: organization\nperiod: 2026-Q4\n" \
         "key_results:\n  - {id: k, title: T, unit: min, start: 45, target: 10}\n"
# A goal with a warning only (GR201 at line 2 column 8).
WARNS = ERRORS.replace("owner: zoe", "owner: alice")


def result(*diagnostics: Diagnostic, files: int = 1) -> ValidationResult:
    return ValidationResult(files, diagnostics)


# --- text ------------------------------------------------------------------------------


def test_text_line_format() -> None:
    d = Diagnostic("goals/a.yaml", 3, 8, E, "GR120", "person `zoe` is not in people.yaml")
    assert report.diagnostic_line(d) == \
        "goals/a.yaml:3:8: error: person `zoe` is not in people.yaml [GR120]"


def test_text_line_without_position_or_file() -> None:
    assert report.diagnostic_line(Diagnostic("goals/big.yaml", None, None, E, "GR006", "big")) \
        == "goals/big.yaml: error: big [GR006]"
    assert report.diagnostic_line(Diagnostic(None, None, None, N, "GR901", "no git")) \
        == "goalsrepo: note: no git [GR901]"


def test_text_colour_only_when_asked() -> None:
    d = Diagnostic("a.yaml", 1, 2, W, "GR201", "short")
    assert "\x1b[" not in report.diagnostic_line(d)
    assert "\x1b[" in report.diagnostic_line(d, color=True)


def test_text_report_ends_with_a_verdict() -> None:
    text = report.render_text(result(Diagnostic("a.yaml", 1, 1, W, "GR201", "short")))
    assert text.endswith("\n")
    *lines, last = text.splitlines()
    assert lines == ["a.yaml:1:1: warning: short [GR201]"]
    assert last.startswith("ok: ")
    assert report.render_text(result(Diagnostic("a.yaml", 1, 1, W, "GR201", "s")),
                              strict=True).splitlines()[-1].startswith("failed: ")


def test_user_text_cannot_start_a_line_of_its_own() -> None:
    # A quoted YAML key can hold a newline; what follows must not become a log line that
    # GitHub Actions would read as a workflow command.
    d = Diagnostic("a.yaml", 1, 1, E, "GR101", "unknown key `x\n::error::injected\r`")
    assert "\n::" not in report.diagnostic_line(d)
    assert "\r" not in report.diagnostic_line(d)
    assert "\n::" not in report.render_text(result(d))


# --- JSON ------------------------------------------------------------------------------


def test_json_shape() -> None:
    payload = json.loads(report.render_json(result(
        Diagnostic("goals/a.yaml", 3, 8, E, "GR120", "person `zoe` is not in people.yaml"),
        Diagnostic("goals/big.yaml", None, None, E, "GR006", "too big"),
        Diagnostic("goals/a.yaml", 2, 8, W, "GR201", "short"),
        Diagnostic(None, None, None, N, "GR901", "no git"), files=7)))
    assert payload == {
        "version": 1, "ok": False, "files": 7, "errors": 2, "warnings": 1,
        "diagnostics": [
            {"file": "goals/a.yaml", "line": 3, "column": 8, "severity": "error",
             "code": "GR120", "message": "person `zoe` is not in people.yaml"},
            {"file": "goals/big.yaml", "line": None, "column": None, "severity": "error",
             "code": "GR006", "message": "too big"},
            {"file": "goals/a.yaml", "line": 2, "column": 8, "severity": "warning",
             "code": "GR201", "message": "short"},
            {"file": None, "line": None, "column": None, "severity": "note",
             "code": "GR901", "message": "no git"},
        ],
    }


def test_json_ok_follows_strict() -> None:
    warn = Diagnostic("a.yaml", 1, 1, W, "GR201", "short")
    assert json.loads(report.render_json(result(warn)))["ok"] is True
    assert json.loads(report.render_json(result(warn), strict=True))["ok"] is False


# --- GitHub ----------------------------------------------------------------------------


def test_github_escapes_data_and_properties() -> None:
    d = Diagnostic("goals/a,b:c%.yaml", 3, 8, E, "GR120", "50% done\r\nnext: a, b")
    [line, _] = report.render_github(result(d)).splitlines()
    assert line == \
        "::error file=goals/a%2Cb%3Ac%25.yaml,title=GR120,line=3,col=8::50%25 done%0D%0Anext: a, b"


def test_github_escape_functions() -> None:
    assert report.escape_data("a%b\rc\nd:e,f") == "a%25b%0Dc%0Ad:e,f"
    assert report.escape_property("a%b\rc\nd:e,f") == "a%25b%0Dc%0Ad%3Ae%2Cf"
    assert report.escape_data("%0A") == "%250A"  # escaped once, so it cannot be unescaped


def test_github_commands_per_severity_and_missing_positions() -> None:
    lines = report.render_github(result(
        Diagnostic("goals/a.yaml", 2, 8, W, "GR201", "short"),
        Diagnostic("goals/big.yaml", None, None, E, "GR006", "big"),
        Diagnostic(None, None, None, N, "GR901", "no git"))).splitlines()
    assert lines[:3] == [
        "::warning file=goals/a.yaml,title=GR201,line=2,col=8::short",
        "::error file=goals/big.yaml,title=GR006::big",
        "::notice title=GR901::no git",
    ]


def test_github_at_most_ten_annotations_per_severity_and_the_rest_printed() -> None:
    diags = [Diagnostic(f"goals/e{i:02}.yaml", 1, 1, E, "GR001", f"error {i}") for i in range(12)]
    diags += [Diagnostic(f"goals/w{i:02}.yaml", 1, 1, W, "GR201", f"warning {i}")
              for i in range(11)]
    diags.append(Diagnostic(None, None, None, N, "GR901", "note"))
    lines = report.render_github(result(*diags)).splitlines()
    assert sum(line.startswith("::error ") for line in lines) == 10
    assert sum(line.startswith("::warning ") for line in lines) == 10
    assert sum(line.startswith("::notice ") for line in lines) == 1
    assert "goals/e10.yaml:1:1: error: error 10 [GR001]" in lines
    assert "goals/e11.yaml:1:1: error: error 11 [GR001]" in lines
    assert "goals/w10.yaml:1:1: warning: warning 10 [GR201]" in lines
    for i in range(12):
        assert any(line.endswith(f"error {i}") or f"error {i} [" in line for line in lines)


def test_github_overflow_lines_cannot_inject_commands() -> None:
    diags = [Diagnostic("a.yaml", 1, 1, E, "GR101", f"unknown key `k{i}\n::warning::fake`")
             for i in range(12)]
    text = report.render_github(result(*diags))
    assert not any(line.startswith("::warning") for line in text.splitlines())


def test_markdown_cells_hold_user_text() -> None:
    d = Diagnostic("goals/a.yaml", 3, 8, E, "GR101", "key `a|b`\r\n<img src=x>\r[x](y)")
    text = report.render_markdown(result(d))
    [row] = [line for line in text.splitlines() if line.startswith("| ❌")]
    assert row.endswith("|")
    assert "a\\|b" in row
    assert "<img" not in text
    assert "\r" not in text


# --- the validate command --------------------------------------------------------------


def test_cli_text_output_is_file_line_column(goals_repo: RepoFactory,
                                             run_cli: Callable[..., Run]) -> None:
    root = goals_repo({"goals/company.yaml": COMPANY_GOAL, "goals/a.yaml": ERRORS})
    run = run_cli("validate", "-C", str(root))
    assert run.exit_code == 1
    lines = run.stdout.splitlines()
    parsed = [LINE.match(line) for line in lines[:-1]]
    assert all(parsed), lines
    got = [(m["file"], m["line"], m["col"], m["severity"], m["code"]) for m in parsed if m]
    assert ("goals/a.yaml", "3", "8", "error", "GR120") in got
    assert ("goals/a.yaml", "2", "8", "warning", "GR201") in got
    assert lines[-1].startswith("failed: ")
    assert "\x1b[" not in run.stdout  # not a terminal


def test_cli_exit_codes(goals_repo: RepoFactory, run_cli: Callable[..., Run]) -> None:
    clean = goals_repo()
    warned = goals_repo({"goals/company.yaml": COMPANY_GOAL, "goals/a.yaml": WARNS})
    broken = goals_repo({"goals/company.yaml": COMPANY_GOAL, "goals/a.yaml": ERRORS})
    assert run_cli("validate", "-C", str(clean)).exit_code == 0
    assert run_cli("validate", "-C", str(clean), "--strict").exit_code == 0
    assert run_cli("validate", "-C", str(warned)).exit_code == 0
    assert run_cli("validate", "-C", str(warned), "--strict").exit_code == 1
    assert run_cli("validate", "-C", str(broken)).exit_code == 1
    assert run_cli("validate", "-C", str(broken), "--strict").exit_code == 1


@pytest.mark.parametrize("args", [["--format", "xml"], ["--bogus"], ["no/such/path.yaml"],
                                  ["-C", "/no/such/dir"]])
def test_cli_usage_errors_exit_2(goals_repo: RepoFactory, run_cli: Callable[..., Run],
                                 args: list[str]) -> None:
    root = goals_repo()
    run = run_cli("validate", "-C", str(root), *args) if "-C" not in args else \
        run_cli("validate", *args)
    assert run.exit_code == 2
    assert run.stdout == ""
    assert "Traceback" not in run.stderr


def test_cli_json_is_stdout_only_and_exact(goals_repo: RepoFactory) -> None:
    root = goals_repo({"goals/company.yaml": COMPANY_GOAL, "goals/a.yaml": ERRORS})
    proc = subprocess.run([sys.executable, "-m", "goalsrepo", "validate", "--format", "json",
                           "-C", str(root)], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "NO_COLOR": ""})
    assert proc.returncode == 1
    assert proc.stderr == ""
    payload = json.loads(proc.stdout)
    assert set(payload) == {"version", "ok", "files", "errors", "warnings", "diagnostics"}
    assert payload["version"] == 1
    assert payload["ok"] is False
    assert payload["files"] == 5
    assert payload["errors"] == 1
    assert payload["warnings"] == 1
    for d in payload["diagnostics"]:
        assert set(d) == {"file", "line", "column", "severity", "code", "message"}
        assert d["severity"] in ("error", "warning", "note")
    owner = [d for d in payload["diagnostics"] if d["code"] == "GR120"]
    assert [(d["file"], d["line"], d["column"]) for d in owner] == [("goals/a.yaml", 3, 8)]


def test_cli_json_strict(goals_repo: RepoFactory, run_cli: Callable[..., Run]) -> None:
    root = goals_repo({"goals/company.yaml": COMPANY_GOAL, "goals/a.yaml": WARNS})
    run = run_cli("validate", "-C", str(root), "--format", "json", "--strict")
    assert run.exit_code == 1
    assert json.loads(run.stdout)["ok"] is False
    assert run.stderr == ""


def test_cli_github_format_and_step_summary(goals_repo: RepoFactory, tmp_path: Path,
                                            run_cli: Callable[..., Run]) -> None:
    root = goals_repo({"goals/company.yaml": COMPANY_GOAL, "goals/a.yaml": ERRORS})
    summary = tmp_path / "summary.md"
    summary.write_text("# Earlier step\n", "utf-8")
    run = run_cli("validate", "-C", str(root), "--format", "github",
                  env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert run.exit_code == 1
    assert "::error file=goals/a.yaml,title=GR120,line=3,col=8::" in run.stdout
    assert "::warning file=goals/a.yaml,title=GR201,line=2,col=8::" in run.stdout
    text = summary.read_text("utf-8")
    assert text.startswith("# Earlier step\n")  # appended, not overwritten
    assert "| ❌ | `goals/a.yaml` | 3 | GR120 |" in text
    assert "| ⚠️ | `goals/a.yaml` | 2 | GR201 |" in text


def test_cli_step_summary_only_for_github_format(goals_repo: RepoFactory, tmp_path: Path,
                                                 run_cli: Callable[..., Run]) -> None:
    summary = tmp_path / "summary.md"
    run_cli("validate", "-C", str(goals_repo()), env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert not summary.exists()


def test_cli_paths_restrict_the_report_not_the_references(goals_repo: RepoFactory,
                                                          run_cli: Callable[..., Run]) -> None:
    parent = COMPANY_GOAL + "colour: blue\n"  # a schema error in the parent's file
    child = ("id: child\ntitle: Ship any change within one hour\nowner: alice\n"
             "period: 2026-Q4\naligns_to: [company]\nkey_results:\n"
             "  - {id: k, title: T, unit: min, start: 45, target: 10}\n")
    root = goals_repo({"goals/company.yaml": parent, "goals/team/child.yaml": child})
    whole = json.loads(run_cli("validate", "-C", str(root), "--format", "json").stdout)
    assert [d["file"] for d in whole["diagnostics"] if d["severity"] != "note"] == [
        "goals/company.yaml"]
    for arg in ("goals/team/child.yaml", "goals/team", str(root / "goals/team/child.yaml")):
        run = run_cli("validate", "-C", str(root), "--format", "json", arg)
        payload = json.loads(run.stdout)
        assert run.exit_code == 0, arg
        assert payload["files"] == 1
        assert [d for d in payload["diagnostics"] if d["file"] is not None] == []


def test_cli_not_a_git_repository_validates(goals_repo: RepoFactory,
                                            run_cli: Callable[..., Run]) -> None:
    root = goals_repo()
    run = run_cli("validate", "-C", str(root))
    assert run.exit_code == 0
    assert "[GR901]" in run.stdout
    assert sum("[GR901]" in line for line in run.stdout.splitlines()) == 1
    assert run.stdout.splitlines()[-1].startswith("ok: 0 errors, 0 warnings")


def test_cli_git_repository_without_commits_has_no_note(goals_repo: RepoFactory,
                                                        run_cli: Callable[..., Run]) -> None:
    root = goals_repo(git=True)
    run = run_cli("validate", "-C", str(root))
    assert run.exit_code == 0
    assert "GR901" not in run.stdout


def _on_a_terminal(root: Path, command: str = "validate", **env: str) -> bytes:
    """Run a command with stdout on a pseudo-terminal; what the terminal received."""
    leader, follower = pty.openpty()
    environ = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    proc = subprocess.Popen([sys.executable, "-m", "goalsrepo", command, "-C", str(root)],
                            stdout=follower, stderr=subprocess.DEVNULL,
                            env={**environ, **env, "TERM": "xterm"})
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the other side closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks)


def test_colour_on_a_terminal_and_no_color_honoured(goals_repo: RepoFactory) -> None:
    root = goals_repo({"goals/company.yaml": COMPANY_GOAL, "goals/a.yaml": ERRORS})
    assert b"\x1b[" in _on_a_terminal(root)
    plain = _on_a_terminal(root, NO_COLOR="1")
    assert b"\x1b[" not in plain
    assert b"goals/a.yaml:3:8: error:" in plain


def test_status_table_keeps_its_columns_in_colour(goals_repo: RepoFactory) -> None:
    """The health cell is padded inside its colour codes: without them, the coloured table
    is the plain one, and every column starts where its heading does."""
    def goal(gid: str, status: str) -> str:
        return ERRORS.replace("id: a", f"id: {gid}").replace(
            "period: 2026-Q4", f"period: 2026-Q4\nstatus: {status}")

    root = goals_repo({"goals/company.yaml": COMPANY_GOAL,  # healths of two lengths in colour
                       "goals/a.yaml": goal("a-much-longer-goal-id", "draft"),
                       "goals/b.yaml": goal("b", "dropped"), "goals/c.yaml": goal("c", "achieved")})
    coloured = _on_a_terminal(root, "status").decode().replace("\r\n", "\n")
    plain = _on_a_terminal(root, "status", NO_COLOR="1").decode().replace("\r\n", "\n")
    assert "\x1b[" in coloured and "\x1b[" not in plain
    assert re.sub("\x1b\\[[0-9]*m", "", coloured) == plain
    heading, *rows, total = plain.splitlines()
    assert len(rows) == 4 and total.startswith("4 goals as of")
    health = heading.index("HEALTH")
    assert {row[health:].split()[0] for row in rows} == {"off_track", "draft", "dropped",
                                                          "achieved"}
    for name in ("HEALTH", "OWNER", "DUE"):
        column = heading.index(name)
        assert all(row[column - 2:column] == "  " and row[column] != " " for row in rows)


def test_make_takes_severity_from_the_registry() -> None:
    assert make("GR201", "m").severity is W
    assert make("GR001", "m").severity is E
    assert make("GR901", "m").severity is N


def test_gitlab_code_quality_report(tmp_path: Path) -> None:
    """Keys GitLab reads; fingerprints stable across line moves and distinct per problem."""
    from goalsrepo.cli import cli

    (tmp_path / "goals").mkdir()
    body = "id: a\ntitle: Short\nowner: x\nperiod: 2026-Q4\n"
    (tmp_path / "goals/a.yaml").write_text(body)
    (tmp_path / "goals/b.yaml").write_text("id: b\ntitle: Tiny\nowner: x\nperiod: 2026-Q4\n")

    def report() -> list[dict[str, Any]]:
        result = CliRunner().invoke(cli, ["validate", "-C", str(tmp_path), "--format", "gitlab"])
        assert result.exit_code == 1, result.output
        return json.loads(result.stdout)  # type: ignore[no-any-return]

    first = report()
    assert {frozenset(i) for i in first} == {frozenset(
        {"description", "check_name", "fingerprint", "severity", "location"})}
    period = [i for i in first if i["location"]["path"] == "goals/a.yaml"
              and i["check_name"] == "GR120"]
    assert period and period[0]["severity"] == "major"
    assert period[0]["location"]["lines"]["begin"] == 4
    assert len({i["fingerprint"] for i in first}) == len(first)
    (tmp_path / "goals/a.yaml").write_text("# moved down\n\n" + body)
    moved = [i for i in report() if i["location"]["path"] == "goals/a.yaml"
             and i["check_name"] == "GR120"]
    assert moved[0]["location"]["lines"]["begin"] == 6
    assert moved[0]["fingerprint"] == period[0]["fingerprint"]
