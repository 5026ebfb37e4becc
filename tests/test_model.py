"""The plain rows goals and their numbers are kept in between runs (the parse cache, the
site's build memory): a value read back from its row equals the value written."""

from __future__ import annotations

import copy
import dataclasses
from datetime import date

import pytest

from goalsrepo.model import Goal, KeyResult, Link, Milestone
from goalsrepo.progress import GoalStatus

DATA = {
    "id": "faster-deploys", "title": "Ship within one hour", "owner": "alice",
    "level": "team", "team": "platform", "contributors": ["bob", "carol"],
    "period": "2026-Q4", "start": "2026-10-01", "due": "2026-12-31",
    "aligns_to": ["delight", "reliability"], "status": "active", "superseded_by": None,
    "description": "Why it *matters*",
    "key_results": [
        {"id": "deploy-time", "title": "Median deploy time", "unit": "min", "start": 45,
         "target": 10, "current": 22.5, "weight": 2},
        {"id": "runbook", "title": "Publish the runbook", "done": True},
        {"id": "errors", "title": "Failure rate", "unit": "%", "keep": "below", "target": 5,
         "current": 3.2},
    ],
    "milestones": [{"title": "Pilot", "due": "2026-11-01", "done": True, "owner": "bob"},
                   {"title": "Rollout"}],
    "links": [{"url": "https://example.com/a", "title": "Plan"}, {"url": "https://b.example"}],
}


def test_a_goal_read_from_its_row_equals_the_goal() -> None:
    goal = Goal.from_data(DATA, "goals/platform/faster-deploys.yaml")
    again = Goal.from_row(goal.to_row())
    assert again == goal
    assert hash(again) == hash(goal)
    assert again.to_row() == goal.to_row()
    assert repr(again) == repr(goal)


def test_the_nested_fields_of_a_goal_read_from_a_row_are_made_on_first_use() -> None:
    goal = Goal.from_data(DATA, "goals/platform/faster-deploys.yaml")
    again = Goal.from_row(goal.to_row())
    assert "key_results" not in again.__dict__
    assert again.key_results[0] == KeyResult("deploy-time", "Median deploy time", "numeric",
                                             "min", 45, 10, 22.5, None, None, 2)
    assert again.key_results[1].kind == "milestone"
    assert again.milestones == (Milestone("Pilot", date(2026, 11, 1), True, "bob"),
                                Milestone("Rollout", None, False, None))
    assert again.links == (Link("https://example.com/a", "Plan"),
                           Link("https://b.example", None))
    assert again.start == date(2026, 10, 1) and again.due == date(2026, 12, 31)


def test_a_goal_read_from_a_row_copies_and_replaces_like_any_goal() -> None:
    goal = Goal.from_data(DATA, "goals/platform/faster-deploys.yaml")
    again = Goal.from_row(goal.to_row())
    assert copy.deepcopy(again) == goal
    changed = dataclasses.replace(Goal.from_row(goal.to_row()), title="Ship within a day")
    assert changed.title == "Ship within a day"
    assert changed.key_results == goal.key_results
    assert changed.to_row() != goal.to_row()  # a replaced goal is not its old row


def test_a_goal_without_lists_keeps_empty_ones() -> None:
    goal = Goal("g", "A goal", "alice", "goals/g.yaml")
    assert (goal.key_results, goal.milestones, goal.links) == ((), (), ())
    assert Goal.from_row(goal.to_row()) == goal


def test_a_goal_from_a_row_has_no_other_attributes() -> None:
    again = Goal.from_row(Goal.from_data(DATA, "goals/x.yaml").to_row())
    with pytest.raises(AttributeError, match="weight"):
        getattr(again, "weight")  # noqa: B009 - the attribute a goal does not have


def test_a_status_read_from_its_row_equals_the_status() -> None:
    goal = Goal.from_data(DATA, "goals/platform/faster-deploys.yaml")
    status = GoalStatus(goal, date(2026, 10, 1), date(2026, 12, 31), 0.62, 0.58, "on_track",
                        False, date(2026, 11, 20), None, (0.65, 1.0, 1.0))
    again = GoalStatus.from_row(goal, status.to_row())
    assert again == status
    assert [getattr(again, f.name) for f in dataclasses.fields(GoalStatus)] == \
        [getattr(status, f.name) for f in dataclasses.fields(GoalStatus)]
    assert again.to_row() == status.to_row()
