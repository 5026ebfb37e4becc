"""Goals and their numbers as typed values, and the MessagePack they are kept as between
runs (the parse cache, the site's build memory and logbook): a value read back equals the value
written, of the same types, and the build memory's shape of a goal leaves out exactly the
values a check-in changes."""

from __future__ import annotations

import copy
import marshal
from datetime import date
from pathlib import Path

import msgspec

from goalsrepo import __version__
from goalsrepo.files.model import Goal, KeyResult, Link, Milestone
from goalsrepo.gitlog.cache import FileCache, read_file, write_file
from goalsrepo.numbers.progress import GoalStatus
from goalsrepo.numbers.review import AdjustmentRow, Win
from goalsrepo.web.logbook import Logbook
from goalsrepo.web.memory import Kept, Memory, shape
from goalsrepo.web.pages import CheckinRow, Derived, DriftRow, encode_progress

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


def cached(tmp_path: Path, value: object) -> object:
    """``value`` written to the parse cache and read back by a new cache (a new run)."""
    cache = FileCache(tmp_path, __version__)
    cache.put("goals/x.yaml", (1, 2, 3, 4), value)  # modified in 1970: settled
    cache.save({"goals/x.yaml"})
    hit, again = FileCache(tmp_path, __version__).get("goals/x.yaml", (1, 2, 3, 4))
    assert hit
    return again


def test_a_goal_read_from_the_parse_cache_equals_the_goal(tmp_path: Path) -> None:
    goal = Goal.from_data(DATA, "goals/platform/faster-deploys.yaml")
    again = cached(tmp_path, goal)
    assert again == goal
    assert isinstance(again, Goal)
    assert hash(again) == hash(goal)
    assert repr(again) == repr(goal)
    assert again.key_results[0] == KeyResult("deploy-time", "Median deploy time", "numeric",
                                             "min", 45, 10, 22.5, None, None, 2)
    assert [type(v) for v in msgspec.structs.astuple(again.key_results[0])[4:7]] == \
        [int, int, float]  # 45 stays 45: JSON and the site show it so
    assert again.key_results[1].kind == "milestone"
    assert again.milestones == (Milestone("Pilot", date(2026, 11, 1), True, "bob"),
                                Milestone("Rollout", None, False, None))
    assert again.links == (Link("https://example.com/a", "Plan"),
                           Link("https://b.example", None))
    assert again.start == date(2026, 10, 1) and again.due == date(2026, 12, 31)
    assert again.contributors == ("bob", "carol")


def test_other_files_data_and_invalid_files_come_back_as_they_were(tmp_path: Path) -> None:
    data = {"people": [{"id": "alice", "name": "Alice", "teams": ["platform"]}], "n": 3}
    assert cached(tmp_path / "a", data) == data
    assert cached(tmp_path / "b", None) is None


def test_a_cache_of_another_version_counts_as_missing(tmp_path: Path) -> None:
    cache = FileCache(tmp_path, __version__)
    cache.put("goals/x.yaml", (1, 2, 3, 4), Goal("g", "A goal", "alice", "goals/x.yaml"))
    cache.save({"goals/x.yaml"})
    assert FileCache(tmp_path, "0.0.0-other").get("goals/x.yaml", (1, 2, 3, 4)) == (False, None)


def test_a_goal_copies_and_replaces_by_value() -> None:
    goal = Goal.from_data(DATA, "goals/platform/faster-deploys.yaml")
    assert copy.deepcopy(goal) == goal
    changed = msgspec.structs.replace(goal, title="Ship within a day")
    assert changed.title == "Ship within a day"
    assert changed.key_results == goal.key_results
    assert changed != goal


def test_a_goal_without_lists_keeps_empty_ones(tmp_path: Path) -> None:
    goal = Goal("g", "A goal", "alice", "goals/g.yaml")
    assert (goal.key_results, goal.milestones, goal.links) == ((), (), ())
    assert cached(tmp_path, goal) == goal


def test_a_status_kept_in_the_build_memory_equals_the_status() -> None:
    goal = Goal.from_data(DATA, "goals/platform/faster-deploys.yaml")
    status = GoalStatus(goal, date(2026, 10, 1), date(2026, 12, 31), 1, 0.58, "on_track",
                        False, date(2026, 11, 20), None, (0.65, 1.0, 1))
    kept = Kept(shape(goal), (goal.path, (1, 2, 3, 4), (7, "abc")), status.numbers(),
                (("GR301", "vague"),))
    memory = Memory(b"key", {goal.id: kept}, {goal.id: b"card"})
    again = Memory.load(memory.dump(), b"key")
    assert again == memory
    assert again is not None
    back = GoalStatus.of(goal, again.goals[goal.id].status)
    assert back == status
    assert type(back.progress) is int and type(back.kr_progress[2]) is int
    assert Memory.load(memory.dump(), b"another key") is None
    assert Memory.load(b"\x93garbage", b"key") is None


def test_the_shape_of_a_goal_leaves_out_check_in_values_only() -> None:
    goal = Goal.from_data(DATA, "goals/platform/faster-deploys.yaml")
    checked_in = Goal.from_data({
        **DATA,
        "key_results": [{**DATA["key_results"][0], "current": 30},  # type: ignore[index]
                        {**DATA["key_results"][1], "done": False},  # type: ignore[index]
                        DATA["key_results"][2]],  # type: ignore[index]
        "milestones": [{**DATA["milestones"][0], "done": False},  # type: ignore[index]
                       DATA["milestones"][1]],  # type: ignore[index]
    }, goal.path)
    assert checked_in != goal
    assert shape(checked_in) == shape(goal)
    retargeted = msgspec.structs.replace(goal, key_results=(
        msgspec.structs.replace(goal.key_results[0], target=5), *goal.key_results[1:]))
    assert shape(retargeted) != shape(goal)
    assert shape(msgspec.structs.replace(goal, owner="bob")) != shape(goal)
    moved = msgspec.structs.replace(goal, milestones=(
        msgspec.structs.replace(goal.milestones[0], due=date(2026, 12, 1)),
        goal.milestones[1]))
    assert shape(moved) != shape(goal)


def test_what_the_site_derived_from_a_history_is_kept_in_the_logbook(tmp_path: Path) -> None:
    authors = (("Bob", "bob@example.com"),)
    adjustment = AdjustmentRow("2026-10-05", "c2", authors, "Lower the target", "target 10 → 8")
    book = Logbook(tmp_path, ("1.0", "goals", "UTC"))
    book.start("generation-1")
    derived = Derived(
        checkins=(CheckinRow("g", "2026-10-04", "c1", book.authors.number(authors),
                             "k 0 → 3"),),
        wins=(Win("g", "milestone", "Pilot", "2026-10-06", "c3", authors),),
        drift=DriftRow("g", (("k", "target", 10, 8.5), ("", "due", "2026-12-31", None)),
                       (adjustment,)),
        adjustments=(adjustment,),
        progress=encode_progress((("2026-10-01", 0), ("2026-10-04", 0.3), ("2026-10-05", None))))
    book.set("g", (3, "c3"), derived)
    book.save()
    kept = Logbook(tmp_path, ("1.0", "goals", "UTC"))
    again = kept.derived
    assert again == {"g": derived}
    assert kept.signatures == {"g": (3, "c3")} and kept.generation == "generation-1"
    assert kept.authors.sets[again["g"].checkins[0].authors] == authors
    assert [type(v) for _, v in again["g"].progress_rows()] == [int, float, type(None)]
    assert Logbook(tmp_path, ("1.0", "goals", "Europe/Paris")).derived == {}


def test_a_logbook_whose_author_sets_miss_a_row_s_number_is_not_trusted(
        tmp_path: Path) -> None:
    """The index names the check-ins' author sets by number: an index that lacks a number
    a row holds (written by a bug, or by hand) makes every row count as missing, rather
    than a page naming the wrong people or a build failing on an index error."""
    key = ("1.0", "goals", "UTC")
    book = Logbook(tmp_path, key)
    book.start("generation-1")
    row = CheckinRow("g", "2026-10-04", "c1",
                     book.authors.number((("Bob", "bob@example.com"),)), "k 0 → 3")
    book.set("g", (1, "c1"), Derived(checkins=(row,)))
    book.save()
    assert Logbook(tmp_path, key).derived == {"g": Derived(checkins=(row,))}
    index = tmp_path / "index.marshal"
    stored, generation, signatures, shards, authors = marshal.loads(read_file(index))
    write_file(index, marshal.dumps((stored, generation, signatures, shards, authors[:0])))
    again = Logbook(tmp_path, key)
    assert again.derived == {} and again.signatures == {} and again.authors.sets == []
