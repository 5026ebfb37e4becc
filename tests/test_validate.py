"""The checks no schema can see: uniqueness, references, cycles, dates, targets (SPEC §4).

Lines and columns are counted by hand in each text (1-based).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import (
    COMPANY_GOAL,
    CONFIG_TEXT,
    PEOPLE_TEXT,
    TEAMS_TEXT,
    RepoFactory,
    diagnostics,
    found,
)

from goalsrepo.validate import _fold, unsafe_as_file_name


def goal(goal_id: str, *extra: str, owner: str = "alice") -> str:
    """A lint-clean organisation goal; ``extra`` lines are appended (lines 7 on)."""
    return (f"id: {goal_id}\ntitle: Delight every customer who signs up\nlevel: organization\n"
            f"owner: {owner}\nperiod: 2026-Q4\nkey_results:\n"
            "  - {id: nps, title: NPS, unit: points, start: 20, target: 40}\n"
            + "".join(line + "\n" for line in extra))


def team_goal(goal_id: str, *parents: str) -> str:
    """A lint-clean team goal aligned to ``parents`` (line 5: the first parent at column 13)."""
    return (f"id: {goal_id}\ntitle: Ship any change within one hour\nowner: alice\n"
            f"period: 2026-Q4\naligns_to: [{', '.join(parents)}]\nkey_results:\n"
            "  - {id: k, title: T, unit: min, start: 45, target: 10}\n")


# --- duplicate ids ---------------------------------------------------------------------


def test_duplicate_goal_ids_across_files(goals_repo: RepoFactory) -> None:
    root = goals_repo({"goals/a/one.yaml": goal("launch"), "goals/b/two.yaml": goal("launch")})
    [d] = diagnostics(root)
    assert (d.file, d.line, d.column, d.code) == ("goals/b/two.yaml", 1, 5, "GR110")
    assert "goals/a/one.yaml" in d.message


def test_duplicate_goal_ids_three_times(goals_repo: RepoFactory) -> None:
    root = goals_repo({f"goals/{n}.yaml": goal("launch") for n in ("a", "b", "c")})
    assert found(root) == [("goals/b.yaml", 1, 5, "GR110"), ("goals/c.yaml", 1, 5, "GR110")]


@pytest.mark.parametrize("other", ["Alice", "ALICE"])
def test_person_ids_differing_in_case_collide(goals_repo: RepoFactory, other: str) -> None:
    people = PEOPLE_TEXT + f"  - id: {other}\n    name: Another Alice\n"
    root = goals_repo(people=people)
    [d] = diagnostics(root)
    assert (d.file, d.line, d.column, d.code) == ("people.yaml", 10, 9, "GR112")
    assert f"`{other}`" in d.message and "`alice`" in d.message


def test_team_ids_differing_in_case_collide(goals_repo: RepoFactory) -> None:
    root = goals_repo(teams=TEAMS_TEXT + "  - id: Platform\n    name: Platform again\n")
    assert found(root) == [("teams.yaml", 5, 9, "GR112")]


def test_period_ids_differing_in_case_collide(goals_repo: RepoFactory) -> None:
    config = CONFIG_TEXT + "  - id: 2026-q4\n    start: 2026-10-01\n    end: 2026-12-31\n"
    root = goals_repo(config=config)
    assert found(root) == [("goalsrepo.yaml", 6, 9, "GR112")]


def test_ids_are_folded_by_case_and_unicode_form() -> None:
    # The schemas keep ids ASCII, so NFC variants cannot reach the check through a file;
    # the folding itself must still treat them as one id.
    assert _fold("e\u0301quipe") == _fold("\u00e9quipe") == _fold("\u00c9QUIPE")
    assert _fold("alice") != _fold("alicia")


def test_same_email_for_two_people(goals_repo: RepoFactory) -> None:
    people = PEOPLE_TEXT + "  - id: carol\n    name: Carol\n    email: Alice@Example.org\n"
    root = goals_repo(people=people)
    assert found(root) == [("people.yaml", 10, 5, "GR112")]


def test_duplicate_key_result_ids(goals_repo: RepoFactory) -> None:
    text = goal("a", "  - {id: nps, title: Again, unit: points, start: 1, target: 2}")
    root = goals_repo({"goals/a.yaml": text})
    [d] = diagnostics(root)
    assert (d.file, d.line, d.column, d.code) == ("goals/a.yaml", 8, 10, "GR111")
    assert "`nps`" in d.message


# --- unresolved references -------------------------------------------------------------


def test_unresolved_references_in_a_goal(goals_repo: RepoFactory) -> None:
    text = ("id: a\ntitle: Ship any change within one hour\nowner: zoe\nteam: ghosts\n"
            "contributors: [bob, yan]\nperiod: 2027-Q1\naligns_to: [company, nothing]\n"
            "superseded_by: a-v2\nkey_results:\n"
            "  - {id: k, title: T, unit: min, start: 45, target: 10}\n"
            "milestones:\n  - title: M\n    owner: xavier\n")
    root = goals_repo({"goals/company.yaml": COMPANY_GOAL, "goals/a.yaml": text})
    got = diagnostics(root)
    assert [(d.file, d.line, d.column, d.code) for d in got] == [
        ("goals/a.yaml", 3, 8, "GR120"),   # owner zoe
        ("goals/a.yaml", 4, 7, "GR120"),   # team ghosts
        ("goals/a.yaml", 5, 21, "GR120"),  # contributor yan
        ("goals/a.yaml", 6, 9, "GR120"),   # period 2027-Q1
        ("goals/a.yaml", 7, 22, "GR120"),  # aligns_to nothing
        ("goals/a.yaml", 8, 16, "GR120"),  # superseded_by a-v2
        ("goals/a.yaml", 13, 12, "GR120"),  # milestone owner xavier
    ]
    messages = " | ".join(d.message for d in got)
    for name in ("zoe", "ghosts", "yan", "2027-Q1", "nothing", "a-v2", "xavier"):
        assert f"`{name}`" in messages
    assert "2026-Q4" in got[3].message  # the known periods are listed


def test_unresolved_references_in_people_and_teams(goals_repo: RepoFactory) -> None:
    people = ("people:\n  - id: alice\n    name: Alice\n    manager: mallory\n"
              "    partner: peggy\n    team: nowhere\n")
    teams = "teams:\n  - id: platform\n    name: Platform\n    lead: trent\n    parent: eng\n"
    root = goals_repo(people=people, teams=teams)
    assert found(root) == [
        ("goals/platform/2026-Q4/faster-deploys.yaml", 6, 16, "GR120"),  # contributor bob
        ("people.yaml", 4, 14, "GR120"),   # manager
        ("people.yaml", 5, 14, "GR120"),   # partner
        ("people.yaml", 6, 11, "GR120"),   # team
        ("teams.yaml", 4, 11, "GR120"),    # lead
        ("teams.yaml", 5, 13, "GR120"),    # parent
    ]


def test_people_and_teams_are_not_checked_without_their_files(goals_repo: RepoFactory) -> None:
    text = ("id: a\ntitle: Ship any change within one hour\nowner: zoe\nteam: ghosts\n"
            "contributors: [yan]\nlevel: organization\nperiod: 2026-Q4\nkey_results:\n"
            "  - {id: k, title: T, unit: min, start: 45, target: 10}\n")
    root = goals_repo({"goals/a.yaml": text}, people=None, teams=None)
    assert found(root) == []


def test_person_team_unchecked_without_teams_file(goals_repo: RepoFactory) -> None:
    people = PEOPLE_TEXT.replace("team: platform", "team: nowhere")
    assert found(goals_repo(people=people, teams=None)) == []
    assert found(goals_repo(people=people)) == [("people.yaml", 5, 11, "GR120"),
                                                ("people.yaml", 9, 11, "GR120")]


def test_team_lead_unchecked_without_people_file(goals_repo: RepoFactory) -> None:
    teams = TEAMS_TEXT.replace("lead: alice", "lead: trent")
    assert found(goals_repo(people=None, teams=teams)) == []
    assert found(goals_repo(teams=teams)) == [("teams.yaml", 4, 11, "GR120")]


def test_a_broken_people_file_does_not_unresolve_every_owner(goals_repo: RepoFactory) -> None:
    # One schema error in people.yaml; the people it lists still exist.
    root = goals_repo(people=PEOPLE_TEXT + "    emial: typo@example.org\n")
    assert found(root) == [("people.yaml", 10, 5, "GR101")]


def test_a_broken_teams_file_does_not_unresolve_every_team(goals_repo: RepoFactory) -> None:
    root = goals_repo(teams=TEAMS_TEXT + "    leed: bob\n")
    assert found(root) == [("teams.yaml", 5, 5, "GR101")]


def test_an_empty_people_file_does_not_unresolve_every_owner(goals_repo: RepoFactory) -> None:
    root = goals_repo(people="")
    assert found(root) == [("people.yaml", 1, 1, "GR008")]


def test_a_broken_goal_still_resolves_as_a_parent(goals_repo: RepoFactory) -> None:
    broken = goal("company", "colour: blue")  # a schema error, but its id is known
    root = goals_repo({"goals/company.yaml": broken,
                       "goals/child.yaml": team_goal("child", "company")})
    assert found(root) == [("goals/company.yaml", 8, 1, "GR101")]


def test_references_resolve_across_files_only_by_exact_id(goals_repo: RepoFactory) -> None:
    root = goals_repo({"goals/company.yaml": goal("company"),
                       "goals/child.yaml": team_goal("child", "company"),
                       "goals/orphan.yaml": team_goal("orphan", "compan")})
    assert found(root) == [("goals/orphan.yaml", 5, 13, "GR120")]


# --- cycles ----------------------------------------------------------------------------


def test_alignment_cycle_is_named_in_full(goals_repo: RepoFactory) -> None:
    root = goals_repo({"goals/a.yaml": team_goal("a", "b"), "goals/b.yaml": team_goal("b", "c"),
                       "goals/c.yaml": team_goal("c", "a")})
    [d] = diagnostics(root)
    assert (d.file, d.line, d.column, d.code) == ("goals/a.yaml", 5, 13, "GR121")
    assert d.message.endswith("a -> b -> c -> a")


def test_alignment_cycle_reported_once_whatever_the_file_order(goals_repo: RepoFactory) -> None:
    root = goals_repo({"goals/1.yaml": team_goal("c", "a"), "goals/2.yaml": team_goal("b", "c"),
                       "goals/3.yaml": team_goal("a", "b")})
    [d] = diagnostics(root)
    assert (d.file, d.code) == ("goals/3.yaml", "GR121")
    assert d.message.endswith("a -> b -> c -> a")


def test_self_alignment_is_a_cycle(goals_repo: RepoFactory) -> None:
    root = goals_repo({"goals/a.yaml": team_goal("a", "a")})
    [d] = diagnostics(root)
    assert (d.line, d.column, d.code) == (5, 13, "GR121")
    assert d.message.endswith("a -> a")


def test_two_separate_cycles(goals_repo: RepoFactory) -> None:
    root = goals_repo({"goals/a.yaml": team_goal("a", "b"), "goals/b.yaml": team_goal("b", "a"),
                       "goals/x.yaml": team_goal("x", "y"), "goals/y.yaml": team_goal("y", "x")})
    assert sorted(d.message.split(": ")[1] for d in diagnostics(root)) == [
        "a -> b -> a", "x -> y -> x"]


def test_diamond_is_not_a_cycle(goals_repo: RepoFactory) -> None:
    root = goals_repo({"goals/top.yaml": goal("top"), "goals/l.yaml": team_goal("l", "top"),
                       "goals/r.yaml": team_goal("r", "top"),
                       "goals/bottom.yaml": team_goal("bottom", "l", "r")})
    assert found(root) == []


def test_team_parent_cycle(goals_repo: RepoFactory) -> None:
    teams = ("teams:\n  - id: platform\n    name: Platform\n    parent: eng\n"
             "  - id: eng\n    name: Engineering\n    parent: platform\n")
    root = goals_repo(teams=teams)
    [d] = diagnostics(root)
    assert (d.file, d.line, d.column, d.code) == ("teams.yaml", 7, 13, "GR122")
    assert d.message.endswith("eng -> platform -> eng")


# --- dates and targets -----------------------------------------------------------------


def test_due_before_start(goals_repo: RepoFactory) -> None:
    root = goals_repo({"goals/a.yaml": goal("a", "start: 2026-11-01", "due: 2026-10-31")})
    [d] = diagnostics(root)
    assert (d.file, d.line, d.column, d.code) == ("goals/a.yaml", 9, 6, "GR130")
    assert "2026-10-31" in d.message and "2026-11-01" in d.message


def test_due_on_the_start_day_is_fine(goals_repo: RepoFactory) -> None:
    root = goals_repo({"goals/a.yaml": goal("a", "start: 2026-11-01", "due: 2026-11-01")})
    assert found(root) == []


def test_due_before_the_periods_start(goals_repo: RepoFactory) -> None:
    root = goals_repo({"goals/a.yaml": goal("a", "due: 2026-09-30")})
    assert found(root) == [("goals/a.yaml", 8, 6, "GR130")]


def test_start_after_the_periods_end(goals_repo: RepoFactory) -> None:
    # No due of its own: the period's end (2026-12-31) is the due date.
    root = goals_repo({"goals/a.yaml": goal("a", "start: 2027-01-15")})
    [d] = diagnostics(root)
    assert (d.code, d.line) == ("GR130", 5)  # points at `period`, which gives the due date
    assert "2026-12-31" in d.message


def test_target_equal_to_start(goals_repo: RepoFactory) -> None:
    text = goal("a").replace("start: 20, target: 40", "start: 40, target: 40")
    root = goals_repo({"goals/a.yaml": text})
    [d] = diagnostics(root)
    assert (d.file, d.line, d.column, d.code) == ("goals/a.yaml", 7, 60, "GR131")
    assert "`nps`" in d.message


def test_target_equal_to_start_as_int_and_float(goals_repo: RepoFactory) -> None:
    text = goal("a").replace("start: 20, target: 40", "start: 5, target: 5.0")
    assert [c for *_, c in found(goals_repo({"goals/a.yaml": text}))] == ["GR131"]


def test_control_key_result_has_no_start_to_compare(goals_repo: RepoFactory) -> None:
    text = goal("a", "  - {id: c, title: C, unit: '%', keep: below, target: 0, current: 0}")
    assert found(goals_repo({"goals/a.yaml": text})) == []


# --- ids unsafe as file names ----------------------------------------------------------


@pytest.mark.parametrize("goal_id", ["con", "nul", "com1", "lpt9", "aux", "prn"])
def test_windows_device_names_as_goal_ids(goals_repo: RepoFactory, goal_id: str) -> None:
    [d] = diagnostics(goals_repo({"goals/a.yaml": goal(goal_id)}))
    assert (d.file, d.line, d.column, d.code) == ("goals/a.yaml", 1, 5, "GR113")


def test_unsafe_person_and_period_ids(goals_repo: RepoFactory) -> None:
    people = PEOPLE_TEXT + "  - id: CON\n    name: Console\n"
    config = CONFIG_TEXT + "  - id: Q4.\n    start: 2026-10-01\n    end: 2026-12-31\n"
    root = goals_repo(people=people, config=config)
    assert found(root) == [("goalsrepo.yaml", 6, 9, "GR113"), ("people.yaml", 10, 9, "GR113")]


@pytest.mark.parametrize(("value", "unsafe"), [("con", True), ("CON.txt", True), ("com0", False),
                                               ("console", False), ("a.", True), ("a.b", False)])
def test_unsafe_as_file_name(value: str, unsafe: bool) -> None:
    assert unsafe_as_file_name(value) is unsafe


# --- configuration ---------------------------------------------------------------------


@pytest.mark.parametrize("zone", ["Mars/Olympus", "Europe", "../etc/passwd", "utc+1"])
def test_unknown_timezone(goals_repo: RepoFactory, zone: str) -> None:
    root = goals_repo(config=CONFIG_TEXT + f"timezone: '{zone}'\n")
    [d] = diagnostics(root)
    assert (d.file, d.line, d.column, d.code) == ("goalsrepo.yaml", 6, 11, "GR133")


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/Mexico_City"])
def test_known_timezone(goals_repo: RepoFactory, zone: str) -> None:
    assert found(goals_repo(config=CONFIG_TEXT + f"timezone: {zone}\n")) == []


def test_period_ending_before_it_starts(goals_repo: RepoFactory) -> None:
    config = CONFIG_TEXT + "  - id: backwards\n    start: 2027-03-31\n    end: 2027-01-01\n"
    [d] = diagnostics(goals_repo(config=config))
    assert (d.file, d.line, d.column, d.code) == ("goalsrepo.yaml", 8, 10, "GR130")
    assert "`backwards`" in d.message


def test_missing_goals_folder(goals_repo: RepoFactory) -> None:
    root = goals_repo({}, config=CONFIG_TEXT + "goals_dir: objectives\n")
    [d] = diagnostics(root)
    assert (d.file, d.line, d.column, d.code) == ("goalsrepo.yaml", 6, 12, "GR134")


def test_goals_dir_from_config_is_used(goals_repo: RepoFactory) -> None:
    root = goals_repo({"objectives/a.yaml": "id: [\n", "goals/ignored.yaml": "id: [\n"},
                      config=CONFIG_TEXT + "goals_dir: objectives\n")
    assert [f for f, *_ in found(root)] == ["objectives/a.yaml"]


def test_goals_of_a_broken_config_are_still_checked(goals_repo: RepoFactory) -> None:
    root = goals_repo({"objectives/a.yaml": "id: [\n"},
                      config="goals_dir: objectives\ncolour: blue\n")
    assert found(root) == [("goalsrepo.yaml", 2, 1, "GR101"), ("objectives/a.yaml", 2, 1, "GR001")]


def test_no_config_at_all_uses_defaults(goals_repo: RepoFactory) -> None:
    text = goal("a").replace("period: 2026-Q4\n", "due: 2026-12-31\n")
    root = goals_repo({"goals/a.yaml": text}, config=None, people=None, teams=None)
    assert found(root) == []


def test_counts_files(goals_repo: RepoFactory) -> None:
    from goalsrepo.validate import validate

    result = validate(goals_repo())
    assert result.files == 5  # config, people, teams and two goals
    assert (result.errors, result.warnings) == (0, 0)


def test_a_dangling_people_link_is_reported_not_ignored(tmp_path: Path) -> None:
    from goalsrepo.validate import validate

    (tmp_path / "goals").mkdir()
    (tmp_path / "people.yaml").symlink_to(tmp_path / "gone.yaml")
    found = [(d.file, d.code) for d in validate(tmp_path).diagnostics]
    assert ("people.yaml", "GR014") in found


# --- continues -------------------------------------------------------------------------


def test_continues_must_name_a_goal(goals_repo: RepoFactory) -> None:
    root = goals_repo({"goals/a.yaml": goal("a", "continues: nope")})
    [d] = diagnostics(root)
    assert (d.file, d.line, d.column, d.code) == ("goals/a.yaml", 8, 12, "GR120")
    assert d.message == "continues `nope`: no goal has this id"


def test_continues_another_goal_is_fine(goals_repo: RepoFactory) -> None:
    root = goals_repo({"goals/a.yaml": goal("a"), "goals/b.yaml": goal("b", "continues: a")})
    assert found(root) == []


def test_a_goal_cannot_continue_itself(goals_repo: RepoFactory) -> None:
    root = goals_repo({"goals/a.yaml": goal("a", "continues: a")})
    [d] = diagnostics(root)
    assert (d.file, d.line, d.column, d.code) == ("goals/a.yaml", 8, 12, "GR123")
    assert d.message == "a goal cannot continue itself"


def test_a_continues_loop_is_named_once_from_its_least_id(goals_repo: RepoFactory) -> None:
    root = goals_repo({"goals/1.yaml": goal("c", "continues: a"),
                       "goals/2.yaml": goal("b", "continues: c"),
                       "goals/3.yaml": goal("a", "continues: b"),
                       "goals/4.yaml": goal("d", "continues: a")})  # leads into it: no loop
    [d] = diagnostics(root)
    assert (d.file, d.code) == ("goals/3.yaml", "GR123")
    assert d.message == "continues loops: a -> b -> c -> a"
