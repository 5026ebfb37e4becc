"""The SMART lint: each warning fires on a minimal bad goal, and not on a good one."""

from __future__ import annotations

import pytest
from helpers import COMPANY_GOAL, CONFIG_TEXT, PEOPLE_TEXT, RepoFactory, diagnostics, found

from goalsrepo.diagnostics import CODES, Severity
from goalsrepo.lint import vague_word

GOOD = """\
id: g
title: Ship any change to production within one hour
owner: alice
team: platform
period: 2026-Q4
aligns_to: [company]
key_results:
  - id: deploy-time
    title: Median deploy time
    unit: min
    start: 45
    target: 10
"""


def kr(n: int) -> str:
    return f"  - {{id: k{n}, title: Result {n}, unit: min, start: 0, target: {n + 1}}}\n"


def lint_of(goals_repo: RepoFactory, text: str, **kwargs: str) -> list[tuple[int | None,
                                                                              int | None, str]]:
    """Warnings of goals/g.yaml beside the clean company goal: ``(line, column, code)``."""
    root = goals_repo({"goals/company.yaml": COMPANY_GOAL, "goals/g.yaml": text}, **kwargs)
    return [(line, col, code) for file, line, col, code in found(root) if file == "goals/g.yaml"]


def test_the_good_goal_is_clean(goals_repo: RepoFactory) -> None:
    assert lint_of(goals_repo, GOOD) == []


@pytest.mark.parametrize("code", [f"GR20{i}" for i in range(1, 9)])
def test_lint_codes_are_warnings(code: str) -> None:
    assert CODES[code].severity is Severity.WARNING


@pytest.mark.parametrize("title", ["Deploys", "Faster deploys", "Ship it now"])
def test_gr201_title_too_short(goals_repo: RepoFactory, title: str) -> None:
    text = GOOD.replace("Ship any change to production within one hour", title)
    assert lint_of(goals_repo, text) == [(2, 8, "GR201")]


@pytest.mark.parametrize("title", ["Work on the deploy pipeline this quarter",
                                   "Improve deploys and other stuff",
                                   "Make the pipeline faster, various fixes",
                                   "Look into slow deploys on Mondays"])
def test_gr202_vague_title(goals_repo: RepoFactory, title: str) -> None:
    text = GOOD.replace("Ship any change to production within one hour", title)
    assert lint_of(goals_repo, text) == [(2, 8, "GR202")]


@pytest.mark.parametrize(("title", "word"), [("Work on deploys", "work on"),
                                             ("Ship the things we promised", "things"),
                                             ("Stuff", "stuff"),
                                             ("Networking across teams", None),
                                             ("Ship the billing system", None)])
def test_vague_word(title: str, word: str | None) -> None:
    assert vague_word(title) == word


def test_gr203_no_key_results(goals_repo: RepoFactory) -> None:
    text = GOOD.split("key_results:")[0]
    assert lint_of(goals_repo, text) == [(1, 5, "GR203")]


def test_gr203_not_when_goals_align_to_it(goals_repo: RepoFactory) -> None:
    parent = GOOD.split("key_results:")[0]
    child = GOOD.replace("id: g\n", "id: child\n").replace("[company]", "[g]")
    root = goals_repo({"goals/company.yaml": COMPANY_GOAL, "goals/g.yaml": parent,
                       "goals/child.yaml": child})
    assert found(root) == []


def test_gr204_numeric_key_result_without_unit(goals_repo: RepoFactory) -> None:
    text = GOOD.replace("    unit: min\n", "")
    assert lint_of(goals_repo, text) == [(8, 9, "GR204")]


def test_gr204_not_for_milestone_and_control_key_results(goals_repo: RepoFactory) -> None:
    text = GOOD + ("  - {id: m, title: Runbook, done: false}\n"
                   "  - {id: c, title: Errors, keep: below, target: 5, current: 1}\n")
    assert lint_of(goals_repo, text) == []


def test_gr205_too_many_key_results(goals_repo: RepoFactory) -> None:
    text = GOOD + "".join(kr(n) for n in range(5))  # six in all
    assert lint_of(goals_repo, text) == [(8, 3, "GR205")]


def test_gr205_five_key_results_are_fine(goals_repo: RepoFactory) -> None:
    assert lint_of(goals_repo, GOOD + "".join(kr(n) for n in range(4))) == []


def test_gr205_limit_from_config(goals_repo: RepoFactory) -> None:
    config = CONFIG_TEXT + "lint:\n  max_key_results: 1\n"
    assert lint_of(goals_repo, GOOD + kr(1), config=config) == [(8, 3, "GR205")]
    assert lint_of(goals_repo, GOOD, config=config) == []


def _owned(n: int, status: str = "active") -> dict[str, str]:
    """``n`` clean goals owned by bob, with the given status."""
    return {f"goals/{status}-{i}.yaml": GOOD.replace("id: g\n", f"id: {status}-{i}\n")
            .replace("owner: alice", "owner: bob")
            .replace("team: platform\n", f"team: platform\nstatus: {status}\n")
            for i in range(n)}


def test_gr206_owner_with_too_many_active_goals(goals_repo: RepoFactory) -> None:
    root = goals_repo({"goals/company.yaml": COMPANY_GOAL, **_owned(6)})
    [d] = diagnostics(root)
    # Once, at bob's entry in people.yaml (line 6: "  - id: bob").
    assert (d.file, d.line, d.column, d.code) == ("people.yaml", 6, 9, "GR206")
    assert "`bob`" in d.message and "6" in d.message


def test_gr206_five_goals_are_fine(goals_repo: RepoFactory) -> None:
    assert found(goals_repo({"goals/company.yaml": COMPANY_GOAL, **_owned(5)})) == []


def test_gr206_counts_only_active_goals(goals_repo: RepoFactory) -> None:
    goals = {"goals/company.yaml": COMPANY_GOAL, **_owned(5), **_owned(3, status="draft")}
    assert found(goals_repo(goals)) == []


def test_gr206_without_people_file_points_at_the_first_goal(goals_repo: RepoFactory) -> None:
    root = goals_repo({"goals/company.yaml": COMPANY_GOAL, **_owned(6)}, people=None)
    assert found(root) == [("goals/active-0.yaml", 3, 8, "GR206")]


def test_gr206_limit_from_config(goals_repo: RepoFactory) -> None:
    config = CONFIG_TEXT + "lint:\n  max_owner_goals: 1\n"
    root = goals_repo({"goals/company.yaml": COMPANY_GOAL, **_owned(2)}, config=config)
    assert found(root) == [("people.yaml", 6, 9, "GR206")]


@pytest.mark.parametrize("level", ["team", "individual"])
def test_gr207_not_aligned(goals_repo: RepoFactory, level: str) -> None:
    text = GOOD.replace("aligns_to: [company]\n", f"level: {level}\n")
    assert lint_of(goals_repo, text) == [(1, 5, "GR207")]


def test_gr207_not_for_organisation_goals(goals_repo: RepoFactory) -> None:
    text = GOOD.replace("aligns_to: [company]\n", "level: organization\n")
    assert lint_of(goals_repo, text) == []


def test_gr208_no_period_and_no_due(goals_repo: RepoFactory) -> None:
    assert lint_of(goals_repo, GOOD.replace("period: 2026-Q4\n", "")) == [(1, 5, "GR208")]


def test_gr208_a_due_date_is_enough(goals_repo: RepoFactory) -> None:
    assert lint_of(goals_repo, GOOD.replace("period: 2026-Q4\n", "due: 2026-12-31\n")) == []


SLOPPY = """\
id: g
title: Stuff
owner: alice
team: platform
status: STATUS
key_results:
""" + "".join(kr(n) for n in range(6)).replace("unit: min, ", "")


def test_draft_goals_are_linted(goals_repo: RepoFactory) -> None:
    codes = {code for *_, code in lint_of(goals_repo, SLOPPY.replace("STATUS", "draft"))}
    assert codes == {"GR201", "GR204", "GR205", "GR207", "GR208"}


@pytest.mark.parametrize("status", ["achieved", "missed", "dropped"])
def test_finished_goals_are_not_linted(goals_repo: RepoFactory, status: str) -> None:
    assert lint_of(goals_repo, SLOPPY.replace("STATUS", status)) == []


def test_lint_ignore_silences_a_warning(goals_repo: RepoFactory) -> None:
    text = GOOD.replace("aligns_to: [company]\n", "").replace("period: 2026-Q4\n", "")
    assert lint_of(goals_repo, text) == [(1, 5, "GR207"), (1, 5, "GR208")]
    config = CONFIG_TEXT + "lint:\n  ignore: [GR207]\n"
    assert lint_of(goals_repo, text, config=config) == [(1, 5, "GR208")]


def test_lint_ignore_cannot_silence_an_error(goals_repo: RepoFactory) -> None:
    config = CONFIG_TEXT + "lint:\n  ignore: [GR120]\n"
    text = GOOD.replace("owner: alice", "owner: nobody")
    assert lint_of(goals_repo, text, config=config) == [(3, 8, "GR120")]


def test_lint_on_a_goal_with_schema_errors_is_skipped(goals_repo: RepoFactory) -> None:
    # A goal that fails its schema is not linted: one error, not a pile of warnings.
    assert lint_of(goals_repo, "id: g\ntitle: Stuff\nowner: alice\nstatus: actve\n") == [
        (4, 9, "GR104")]


def test_people_text_is_what_the_line_numbers_assume() -> None:
    assert PEOPLE_TEXT.splitlines()[5] == "  - id: bob"
