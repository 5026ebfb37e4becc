"""Every rule of SPEC §3 "The numbers", against values worked out by hand.

Each expected value is computed in a comment from the formula in the SPEC, never copied
from the program's output.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from goalsrepo.files.config import Config, Health, Period
from goalsrepo.files.model import Goal, KeyResult
from goalsrepo.gitlog.events import Activity, Author, Change, Commit, Event
from goalsrepo.numbers import progress
from goalsrepo.numbers.progress import (
    all_progress,
    compute,
    expected,
    health,
    kr_progress,
    own_progress,
    score,
    stale,
)

Q4 = Period("2026-Q4", date(2026, 10, 1), date(2026, 12, 31))  # 91 days from start to end
MARGINS = Health()  # at_risk 0.10, off_track 0.25 (SPEC §1 defaults)


def numeric(start: float, target: float, current: float | None, weight: float = 1,
            kr_id: str = "n") -> KeyResult:
    return KeyResult(kr_id, "numeric", "numeric", "n", start, target, current, weight=weight)


def milestone(done: bool, weight: float = 1, kr_id: str = "m") -> KeyResult:
    return KeyResult(kr_id, "milestone", "milestone", done=done, weight=weight)


def control(keep: str, target: float, current: float | None, weight: float = 1,
            kr_id: str = "c") -> KeyResult:
    return KeyResult(kr_id, "control", "control", "%", target=target, current=current,
                     keep=keep, weight=weight)  # type: ignore[arg-type]


def goal(goal_id: str, *krs: KeyResult, aligns_to: tuple[str, ...] = (),
         **fields: object) -> Goal:
    return Goal(goal_id, f"Goal {goal_id}", "alice", f"goals/{goal_id}.yaml",
                key_results=krs, aligns_to=aligns_to, **fields)  # type: ignore[arg-type]


# --- KR progress ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "target", "current", "want"),
    [
        (0, 10, 4, 0.4),  # (4 - 0) / (10 - 0) = 0.4
        (100, 200, 150, 0.5),  # (150 - 100) / (200 - 100) = 0.5
        (45, 10, 22, 23 / 35),  # lower is better: (22 - 45) / (10 - 45) = -23 / -35
        (45, 10, 45, 0.0),  # (45 - 45) / -35 = 0
        (45, 10, 10, 1.0),  # (10 - 45) / (10 - 45) = 1
        (0, 10, -5, 0.0),  # (-5 - 0) / 10 = -0.5, clamped up to 0
        (0, 10, 15, 1.0),  # (15 - 0) / 10 = 1.5, clamped down to 1
        (45, 10, 50, 0.0),  # worse than start: (50 - 45) / -35 = -1/7, clamped to 0
        (45, 10, 5, 1.0),  # beyond target: (5 - 45) / -35 = 8/7, clamped to 1
        (-20, -5, -11, 0.6),  # negatives: (-11 + 20) / (-5 + 20) = 9 / 15 = 0.6
        (0.5, 1.5, 0.75, 0.25),  # fractions: 0.25 / 1.0
    ],
)
def test_numeric_kr(start: float, target: float, current: float, want: float) -> None:
    assert kr_progress(numeric(start, target, current)) == pytest.approx(want, abs=1e-12)


def test_numeric_kr_without_current_counts_as_start() -> None:
    # current missing -> current = start -> (start - start) / (target - start) = 0
    assert kr_progress(numeric(0, 10, None)) == 0.0
    assert kr_progress(numeric(45, 10, None)) == 0.0


def test_numeric_kr_with_target_equal_to_start_does_not_divide_by_zero() -> None:
    # target == start is a validation error (SPEC §3); the numbers must still not crash.
    assert 0.0 <= kr_progress(numeric(5, 5, 7)) <= 1.0


def test_milestone_kr() -> None:
    assert kr_progress(milestone(True)) == 1.0
    assert kr_progress(milestone(False)) == 0.0


@pytest.mark.parametrize(
    ("keep", "target", "current", "want"),
    [
        ("below", 5, 3.2, 1.0),  # 3.2 <= 5
        ("below", 5, 5, 1.0),  # on the boundary: inclusive
        ("below", 5, 5.0001, 0.0),  # just over
        ("below", 0, 0, 1.0),  # boundary at zero
        ("above", 99.9, 99.9, 1.0),  # on the boundary: inclusive
        ("above", 99.9, 99.95, 1.0),
        ("above", 99.9, 99.89, 0.0),  # just under
        ("above", -3, -3, 1.0),  # negative boundary
    ],
)
def test_control_kr(keep: str, target: float, current: float, want: float) -> None:
    assert kr_progress(control(keep, target, current)) == want


def test_control_kr_before_a_first_measurement_is_not_met() -> None:
    # No current value is on neither side of the target: nothing is kept yet.
    assert kr_progress(control("below", 5, None)) == 0.0
    assert kr_progress(control("above", 5, None)) == 0.0


# --- goal progress -------------------------------------------------------------------------


def test_goal_progress_is_weight_averaged() -> None:
    # SPEC §1's example goal: deploy-time (45 -> 10, now 22, weight 2) = 23/35,
    # runbook milestone not done = 0 (weight 1), error-rate control 3.2 <= 5 = 1 (weight 1).
    # (2 * 23/35 + 1 * 0 + 1 * 1) / (2 + 1 + 1) = (46/35 + 35/35) / 4 = 81/140 = 0.578571...
    g = goal("faster-deploys", numeric(45, 10, 22, weight=2), milestone(False),
             control("below", 5, 3.2))
    assert own_progress(g) == pytest.approx(81 / 140)
    assert all_progress([g]) == {"faster-deploys": pytest.approx(81 / 140)}


def test_fractional_weights() -> None:
    # (0.5 * 1 + 1.5 * 0.2) / (0.5 + 1.5) = (0.5 + 0.3) / 2 = 0.4
    g = goal("g", milestone(True, weight=0.5), numeric(0, 10, 2, weight=1.5))
    assert own_progress(g) == pytest.approx(0.4)


def test_equal_weights_are_a_plain_average() -> None:
    # (0.4 + 1 + 0) / 3 = 1.4 / 3
    g = goal("g", numeric(0, 10, 4), milestone(True), milestone(False, kr_id="m2"))
    assert own_progress(g) == pytest.approx(1.4 / 3)


def test_goal_without_key_results_rolls_up_its_children_recursively() -> None:
    # company (no KRs) <- a (0.4), b (no KRs) <- c (1.0), d (0.0)
    # b = (1.0 + 0.0) / 2 = 0.5
    # company = plain average of its children = (0.4 + 0.5) / 2 = 0.45
    # (not (0.4 + 1 + 0) / 3 = 0.467 over the leaves, and no weights between goals)
    goals = [
        goal("company"),
        goal("a", numeric(0, 10, 4, weight=5), aligns_to=("company",)),
        goal("b", aligns_to=("company",)),
        goal("c", milestone(True), aligns_to=("b",)),
        goal("d", milestone(False), aligns_to=("b",)),
    ]
    got = all_progress(goals)
    assert got["b"] == pytest.approx(0.5)
    assert got["company"] == pytest.approx(0.45)
    assert got == all_progress(list(reversed(goals)))  # file order does not matter


def test_goal_with_key_results_ignores_its_children() -> None:
    # The parent's own KRs decide: 0.2, whatever its child (1.0) says.
    goals = [goal("p", numeric(0, 10, 2)), goal("c", milestone(True), aligns_to=("p",))]
    assert all_progress(goals)["p"] == pytest.approx(0.2)


def test_goal_with_neither_key_results_nor_children_is_zero() -> None:
    assert all_progress([goal("empty")]) == {"empty": 0.0}
    # A child with no KRs and no children of its own counts as 0 in its parent's average:
    # (0 + 1) / 2 = 0.5
    goals = [goal("p"), goal("x", aligns_to=("p",)), goal("y", milestone(True), aligns_to=("p",))]
    assert all_progress(goals)["p"] == pytest.approx(0.5)


def test_a_child_with_two_parents_counts_in_both() -> None:
    # shared (1.0) aligns to p1 and p2; p1 also has other (0.0): p1 = 0.5, p2 = 1.0
    goals = [goal("p1"), goal("p2"), goal("shared", milestone(True), aligns_to=("p1", "p2")),
             goal("other", milestone(False), aligns_to=("p1",))]
    got = all_progress(goals)
    assert got["p1"] == pytest.approx(0.5)
    assert got["p2"] == pytest.approx(1.0)


def test_alignment_to_an_unknown_goal_is_ignored() -> None:
    goals = [goal("p"), goal("c", milestone(True), aligns_to=("p", "not-here"))]
    assert all_progress(goals) == {"p": 1.0, "c": 1.0}


def test_an_alignment_cycle_terminates() -> None:
    # A cycle is a validation error; the numbers must still come back, in range.
    got = all_progress([goal("a", aligns_to=("b",)), goal("b", aligns_to=("a",))])
    assert set(got) == {"a", "b"}
    assert all(0.0 <= v <= 1.0 for v in got.values())


def test_ten_thousand_deep_alignment_chain() -> None:
    # g0 <- g1 <- ... <- g9999; only the leaf has a KR (0.5), so every goal rolls up to 0.5.
    depth = 10_000
    goals = [goal("g0")] + [goal(f"g{i}", aligns_to=(f"g{i - 1}",)) for i in range(1, depth - 1)]
    goals.append(goal(f"g{depth - 1}", numeric(0, 10, 5), aligns_to=(f"g{depth - 2}",)))
    got = all_progress(goals)
    assert len(got) == depth
    assert set(got.values()) == {0.5}
    statuses = compute(goals, Config(), {}, date(2026, 11, 1))
    assert statuses[0].progress == 0.5


# --- expected progress ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "want"),
    [
        (date(2026, 10, 1), 0.0),  # on the start day: 0 / 91
        (date(2026, 11, 15), 45 / 91),  # Oct 1 -> Nov 15 is 30 + 15 = 45 days of 91
        (date(2026, 12, 31), 1.0),  # on the due day: 91 / 91
        (date(2026, 9, 20), 0.0),  # before start: -11 / 91, clamped to 0
        (date(2027, 1, 10), 1.0),  # after due: 101 / 91, clamped to 1
    ],
)
def test_expected_progress(today: date, want: float) -> None:
    assert expected(Q4.start, Q4.end, today) == pytest.approx(want, abs=1e-12)


def test_expected_progress_over_a_zero_length_span() -> None:
    # start == due: nothing is expected before that day, everything from it on.
    one_day = date(2026, 10, 15)
    assert expected(one_day, one_day, date(2026, 10, 14)) == 0.0
    assert expected(one_day, one_day, one_day) == 1.0
    assert expected(one_day, one_day, date(2026, 10, 16)) == 1.0


def test_expected_progress_without_dates_is_none() -> None:
    assert expected(None, None, date(2026, 11, 1)) is None
    assert expected(Q4.start, None, date(2026, 11, 1)) is None
    assert expected(None, Q4.end, date(2026, 11, 1)) is None


def test_dates_come_from_the_goal_else_its_period() -> None:
    config = Config(periods=(Q4,))
    today = date(2026, 11, 15)
    goals = [
        goal("from-period", period="2026-Q4"),  # Oct 1 -> Dec 31: 45 / 91
        # own start overrides the period's: Nov 1 -> Dec 31 is 60 days, Nov 15 is day 14
        goal("own-start", period="2026-Q4", start=date(2026, 11, 1)),
        # own due overrides the period's: Oct 1 -> Oct 31 is 30 days; Nov 15 is past: 1
        goal("own-due", period="2026-Q4", due=date(2026, 10, 31)),
        goal("no-dates"),
        goal("unknown-period", period="1999-Q1"),
    ]
    got = {s.goal.id: (s.start, s.due, s.expected) for s in compute(goals, config, {}, today)}
    assert got["from-period"] == (Q4.start, Q4.end, pytest.approx(45 / 91))
    assert got["own-start"] == (date(2026, 11, 1), Q4.end, pytest.approx(14 / 60))
    assert got["own-due"] == (Q4.start, date(2026, 10, 31), 1.0)
    assert got["no-dates"] == (None, None, None)
    assert got["unknown-period"] == (None, None, None)


# --- health --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("progress_value", "expected_value", "want"),
    [
        (1.0, 1.0, "done"),
        (1.0, 0.2, "done"),  # done wins even when ahead
        (0.6, 0.5, "on_track"),  # ahead
        (0.4, 0.5, "on_track"),  # exactly expected - 0.10: inclusive
        (0.3999, 0.5, "at_risk"),  # just below the at_risk margin
        (0.25, 0.5, "at_risk"),  # exactly expected - 0.25: inclusive
        (0.2499, 0.5, "off_track"),  # just below the off_track margin
        (0.0, 1.0, "off_track"),
        (0.0, 0.1, "on_track"),  # 0 >= 0.1 - 0.1
        (0.0, 0.25, "at_risk"),  # 0 < 0.15 but 0 >= 0.25 - 0.25
        # By hand 0.8 - 0.1 = 0.7, though in floats it is 0.7000000000000001:
        (0.7, 0.8, "on_track"),
        (0.55, 0.8, "at_risk"),  # 0.8 - 0.25 = 0.55 by hand
        (0.0, 0.0, "on_track"),  # nothing expected yet
    ],
)
def test_health_margins(progress_value: float, expected_value: float, want: str) -> None:
    assert health("active", progress_value, expected_value, MARGINS) == want


def test_health_with_configured_margins() -> None:
    margins = Health(at_risk=0.2, off_track=0.4)
    # expected 0.5: on_track from 0.3, at_risk from 0.1, else off_track
    assert health("active", 0.3, 0.5, margins) == "on_track"
    assert health("active", 0.29, 0.5, margins) == "at_risk"
    assert health("active", 0.1, 0.5, margins) == "at_risk"
    assert health("active", 0.09, 0.5, margins) == "off_track"


def test_health_without_dates_expects_nothing() -> None:
    assert health("active", 0.0, None, MARGINS) == "on_track"


@pytest.mark.parametrize("status", ["achieved", "missed", "dropped", "draft"])
@pytest.mark.parametrize("progress_value", [0.0, 0.5, 1.0])
def test_a_status_other_than_active_decides_health(status: str, progress_value: float) -> None:
    assert health(status, progress_value, 1.0, MARGINS) == status


def test_health_from_real_dates() -> None:
    # T = Nov 15: expected 45/91 = 0.4945; on_track from 0.3945, at_risk from 0.2445.
    config = Config(periods=(Q4,))
    goals = [
        goal("ok", numeric(0, 100, 40), period="2026-Q4"),  # 0.40 >= 0.3945
        goal("risk", numeric(0, 100, 39), period="2026-Q4"),  # 0.39 < 0.3945, >= 0.2445
        goal("off", numeric(0, 100, 24), period="2026-Q4"),  # 0.24 < 0.2445
        goal("win", milestone(True), period="2026-Q4"),  # 1.0
        goal("paused", numeric(0, 100, 0), period="2026-Q4", status="draft"),
    ]
    got = {s.goal.id: s.health for s in compute(goals, config, {}, date(2026, 11, 15))}
    assert got == {"ok": "on_track", "risk": "at_risk", "off": "off_track", "win": "done",
                   "paused": "draft"}


# --- score ---------------------------------------------------------------------------------

DUE = date(2026, 12, 31)


def test_no_score_before_the_due_date() -> None:
    assert score("active", 0.66, DUE, date(2026, 12, 30)) is None
    assert score("dropped", 0.66, DUE, date(2026, 12, 30)) is None
    assert score("draft", 0.66, DUE, date(2026, 12, 30)) is None
    assert score("active", 0.66, None, date(2026, 12, 30)) is None  # no due date, no grade


@pytest.mark.parametrize(
    ("progress_value", "want"),
    [
        (23 / 35, 0.7),  # 0.657 -> 0.7
        (81 / 140, 0.6),  # 0.5786 -> 0.6
        (0.04, 0.0),
        (0.96, 1.0),
        (1.0, 1.0),
        (0.0, 0.0),
        (0.25, 0.3),  # half rounds up, as by hand (not to even)
        (0.35, 0.4),  # 0.35 is 0.34999... in binary; by hand it rounds up
        (0.649, 0.6),
    ],
)
def test_score_rounds_to_one_decimal_at_and_after_due(progress_value: float, want: float) -> None:
    assert score("active", progress_value, DUE, DUE) == want  # on the due day
    assert score("active", progress_value, DUE, date(2027, 2, 1)) == want  # after it


@pytest.mark.parametrize("status", ["achieved", "missed"])
def test_score_once_achieved_or_missed_even_before_due(status: str) -> None:
    assert score(status, 0.66, DUE, date(2026, 11, 1)) == 0.7
    assert score(status, 0.66, None, date(2026, 11, 1)) == 0.7


def test_score_in_compute() -> None:
    # due Dec 31, T = Jan 5: the grade of 23/35 is 0.7
    goals = [goal("g", numeric(45, 10, 22), period="2026-Q4")]
    (status,) = compute(goals, Config(periods=(Q4,)), {}, date(2027, 1, 5))
    assert status.score == 0.7


# --- stale ---------------------------------------------------------------------------------


def test_stale_exactly_at_checkin_days_is_not_stale() -> None:
    today = date(2026, 11, 15)
    assert not stale("active", date(2026, 11, 1), None, today, 14)  # 14 days: not more than 14
    assert stale("active", date(2026, 10, 31), None, today, 14)  # 15 days: stale
    assert not stale("active", today, None, today, 14)
    assert not stale("active", date(2026, 11, 8), None, today, 7)  # 7 days, checkin_days 7
    assert stale("active", date(2026, 11, 8), None, today, 6)


def test_stale_counts_from_creation_without_a_checkin() -> None:
    today = date(2026, 11, 15)
    assert not stale("active", None, date(2026, 11, 1), today, 14)
    assert stale("active", None, date(2026, 10, 31), today, 14)
    # a check-in after the creation is what counts
    assert not stale("active", date(2026, 11, 10), date(2026, 10, 1), today, 14)


@pytest.mark.parametrize("status", ["achieved", "missed", "dropped", "draft"])
def test_only_active_goals_are_stale(status: str) -> None:
    assert not stale(status, date(2026, 1, 1), None, date(2026, 11, 15), 14)


def test_nothing_is_stale_without_history() -> None:
    assert not stale("active", None, None, date(2026, 11, 15), 14)


def test_a_readded_goal_restarts_the_clock_from_its_new_creation() -> None:
    # Checked in on Oct 2, deleted, added again on Nov 10: the clock runs from Nov 10
    # (5 days before T), not from the check-in of its earlier life (44 days).
    assert not stale("active", date(2026, 10, 2), date(2026, 11, 10), date(2026, 11, 15), 14)


def test_a_goal_with_nothing_to_check_in_takes_its_childrens_latest_checkin() -> None:
    # "org" has no key results and no milestones: it is checked in through its children.
    # Child "a" was checked in on Nov 10, "b" on Oct 1; T is Nov 15, checkin_days 14:
    # org's last check-in is Nov 10 (5 days), so it is not stale although it was created
    # on Oct 1 (45 days). "b" itself is stale (45 days).
    goals = [goal("org", period="2026-Q4"),
             goal("a", numeric(0, 10, 5), aligns_to=("org",), period="2026-Q4"),
             goal("b", numeric(0, 10, 5), aligns_to=("org",), period="2026-Q4")]
    oct1 = datetime(2026, 10, 1, 9, tzinfo=timezone.utc)
    nov10 = datetime(2026, 11, 10, 9, tzinfo=timezone.utc)
    activity = {"org": Activity(created=oct1), "a": Activity(oct1, nov10),
                "b": Activity(oct1, oct1)}
    config = Config(periods=(Q4,))
    got = {s.goal.id: (s.last_checkin, s.stale)
           for s in compute(goals, config, activity, date(2026, 11, 15))}
    assert got == {"org": (date(2026, 11, 10), False), "a": (date(2026, 11, 10), False),
                   "b": (date(2026, 10, 1), True)}


# --- what counts as a check-in -------------------------------------------------------------

ALICE = Author("Alice Archer", "alice@example.com")
COMMIT = Commit("0" * 40, datetime(2026, 11, 10, 9, tzinfo=timezone.utc), (ALICE,), "msg")


def event(kind: str, *changes: Change) -> Event:
    return Event("g", COMMIT, kind, changes, "goals/g.yaml")


@pytest.mark.parametrize(
    ("change", "checkin", "adjustment"),
    [
        (Change("k", "current", 1, 2), True, False),
        (Change("k", "done", False, True), True, False),
        (Change(None, "milestones[Measure today].done", False, True), True, False),
        (Change("k", "target", 10, 8), False, True),
        (Change("k", "start", 0, 1), False, True),
        (Change(None, "due", "2026-12-01", "2026-12-31"), False, True),
        (Change(None, "period", "2026-Q4", "2027-Q1"), False, True),
        (Change(None, "status", "active", "achieved"), False, False),
        (Change(None, "title", "Old", "New"), False, False),
        (Change("k", "title", "Old", "New"), False, False),
        (Change("k", "weight", 1, 2), False, False),
    ],
)
def test_checkin_and_adjustment(change: Change, checkin: bool, adjustment: bool) -> None:
    assert (change.is_checkin, change.is_adjustment) == (checkin, adjustment)
    assert (event("edit", change).is_checkin, event("edit", change).is_adjustment) == (
        checkin, adjustment)


def test_a_commit_can_be_a_checkin_and_an_adjustment() -> None:
    both = event("adjustment", Change("k", "target", 10, 8), Change("k", "current", 1, 2))
    assert both.is_checkin and both.is_adjustment


def test_creating_a_goal_is_neither_checkin_nor_adjustment() -> None:
    created = event("created", Change("k", "current", None, 2), Change("k", "target", None, 8))
    assert not created.is_checkin and not created.is_adjustment


def test_local_date() -> None:
    moment = datetime(2026, 10, 31, 23, 30, tzinfo=timezone.utc)
    assert progress.local_date(moment, Config(timezone="Pacific/Auckland").zone) == date(
        2026, 11, 1)
    assert progress.local_date(moment, Config(timezone="America/Mexico_City").zone) == date(
        2026, 10, 31)
