"""History from git (SPEC §3 "History", "Which goals are shown", "As-of date"), on real
repositories built commit by commit with pinned authors and dates."""

from __future__ import annotations

import json
import pickle
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from gitrepo import (
    ALICE,
    BOB,
    CAROL,
    DAN,
    STRANGER,
    Repo,
    Who,
    cli_json,
    day,
    git,
    goal,
    new_repo,
    numeric,
    run_cli,
)

from goalsrepo.gitlog import cache as cachemodule
from goalsrepo.gitlog import git as gitmodule
from goalsrepo.gitlog.history import History, read_history

A = "goals/platform/a.yaml"


def history(repo: Repo, **kwargs: Any) -> History:
    return read_history(repo.root, "goals", use_cache=False, **kwargs)


def kinds(repo: Repo, goal_id: str) -> list[str]:
    return [e.kind for e in history(repo).of(goal_id)]


def events_json(repo: Repo, goal_id: str) -> list[dict[str, Any]]:
    payload = cli_json("history", goal_id, "-C", str(repo.root), "--format", "json")
    return payload["events"]  # type: ignore[no-any-return]


def status_json(repo: Repo | Path, *args: str) -> dict[str, Any]:
    root = repo.root if isinstance(repo, Repo) else repo
    return cli_json("status", "-C", str(root), "--format", "json", *args)  # type: ignore[no-any-return]


def goal_of(payload: dict[str, Any], goal_id: str) -> dict[str, Any]:
    (found,) = [g for g in payload["goals"] if g["id"] == goal_id]
    return found


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """Goal ``a`` (KR k: 0 -> 10, now 2) created by Alice on 2026-10-01."""
    r = new_repo(tmp_path / "repo")
    r.write_yaml(A, goal("a", period="2026-Q4", status="active",
                         key_results=[numeric("k", 0, 10, 2)]))
    r.commit("Add goal a", date=day("2026-10-01"))
    return r


# --- who, what, when -----------------------------------------------------------------------


def test_checkins_by_several_people_are_mapped_to_people(repo: Repo) -> None:
    repo.update_kr(A, "k", current=4)
    repo.commit("k to 4", who=BOB, date=day("2026-10-05"))
    repo.update_kr(A, "k", current=5)
    # Bob's second address in people.yaml, in other letter case: still Bob.
    repo.commit("k to 5", who=Who("Bobby", "Bob@Home.Example"), date=day("2026-10-06"))
    repo.update_kr(A, "k", current=6)
    repo.commit("k to 6", who=CAROL, date=day("2026-10-07"))
    repo.update_kr(A, "k", current=7)
    repo.commit("k to 7", who=STRANGER, date=day("2026-10-08"))

    got = [(e["kind"], e["author"], e["date"], e["message"], e["changes"])
           for e in events_json(repo, "a")]
    assert got[1:] == [
        ("checkin", {"name": "Bob Baker", "email": "bob@example.com", "person": "bob"},
         "2026-10-05T12:00:00+00:00", "k to 4",
         [{"kr": "k", "field": "current", "old": 2, "new": 4}]),
        ("checkin", {"name": "Bobby", "email": "Bob@Home.Example", "person": "bob"},
         "2026-10-06T12:00:00+00:00", "k to 5",
         [{"kr": "k", "field": "current", "old": 4, "new": 5}]),
        ("checkin", {"name": "Carol Cruz", "email": "carol@example.com", "person": "carol"},
         "2026-10-07T12:00:00+00:00", "k to 6",
         [{"kr": "k", "field": "current", "old": 5, "new": 6}]),
        # Not in people.yaml: still shown, by the name git knows.
        ("checkin", {"name": "Sam Stranger", "email": "sam@elsewhere.example", "person": None},
         "2026-10-08T12:00:00+00:00", "k to 7",
         [{"kr": "k", "field": "current", "old": 6, "new": 7}]),
    ]
    assert got[0][:4] == (
        "created", {"name": "Alice Archer", "email": "alice@example.com", "person": "alice"},
        "2026-10-01T12:00:00+00:00", "Add goal a")

    text = run_cli("history", "a", "-C", str(repo.root)).stdout
    assert "Bob Baker" in text and "Carol Cruz" in text and "Sam Stranger" in text


def test_a_target_change_is_an_adjustment(repo: Repo) -> None:
    repo.update_kr(A, "k", target=8)
    repo.commit("Lower the bar: the supplier is late", who=BOB, date=day("2026-10-09"))
    last = events_json(repo, "a")[-1]
    assert last["kind"] == "adjustment"
    assert last["changes"] == [{"kr": "k", "field": "target", "old": 10, "new": 8}]
    assert last["message"] == "Lower the bar: the supplier is late"


def test_a_kr_start_change_is_an_adjustment(repo: Repo) -> None:
    repo.update_kr(A, "k", start=1)
    repo.commit("We started from 1", date=day("2026-10-09"))
    last = events_json(repo, "a")[-1]
    assert (last["kind"], last["changes"]) == (
        "adjustment", [{"kr": "k", "field": "start", "old": 0, "new": 1}])


@pytest.mark.parametrize(
    ("changes", "want"),
    [
        ({"due": "2027-01-31"}, [{"kr": None, "field": "due", "old": None,
                                  "new": "2027-01-31"}]),
        ({"period": "2027-Q1"}, [{"kr": None, "field": "period", "old": "2026-Q4",
                                  "new": "2027-Q1"}]),
    ],
)
def test_a_due_or_period_change_is_an_adjustment(repo: Repo, changes: dict[str, str],
                                                 want: list[dict[str, Any]]) -> None:
    config = repo.read_yaml("goalsrepo.yaml")
    config["periods"].append({"id": "2027-Q1", "start": "2027-01-01", "end": "2027-03-31"})
    repo.write_yaml("goalsrepo.yaml", config)
    repo.update(A, **changes)
    repo.commit("More time", date=day("2026-10-09"))
    last = events_json(repo, "a")[-1]
    assert (last["kind"], last["changes"]) == ("adjustment", want)


def test_a_status_change(repo: Repo) -> None:
    repo.update(A, status="achieved")
    repo.commit("Done early", who=CAROL, date=day("2026-11-02"))
    last = events_json(repo, "a")[-1]
    assert last["kind"] == "status"
    assert last["changes"] == [{"kr": None, "field": "status", "old": "active",
                                "new": "achieved"}]
    assert last["author"]["person"] == "carol"


def test_a_status_added_to_a_file_without_one_changes_from_active(tmp_path: Path) -> None:
    # SPEC §1: status defaults to active, so a file that gains `status: achieved` moved
    # from active to achieved, not from nothing.
    r = new_repo(tmp_path / "repo")
    r.write_yaml(A, goal("a", period="2026-Q4", key_results=[numeric("k", 0, 10, 10)]))
    r.commit("Add goal a", date=day("2026-10-01"))
    r.update(A, status="achieved")
    r.commit("Done", date=day("2026-10-02"))
    last = events_json(r, "a")[-1]
    assert (last["kind"], last["changes"]) == (
        "status", [{"kr": None, "field": "status", "old": "active", "new": "achieved"}])


def test_a_commit_that_moves_target_and_current_is_an_adjustment_and_a_checkin(
        repo: Repo) -> None:
    repo.update_kr(A, "k", target=8, current=3)
    repo.commit("Re-plan", date=day("2026-10-09"))
    (event,) = history(repo).of("a")[1:]
    assert event.kind == "adjustment"
    assert event.is_adjustment and event.is_checkin
    assert goal_of(status_json(repo), "a")["last_checkin"] == "2026-10-09"


def test_other_edits(repo: Repo) -> None:
    repo.update(A, title="Goal a reaches its target, and a better title")
    repo.commit("Reword", date=day("2026-10-09"))
    last = events_json(repo, "a")[-1]
    assert last["kind"] == "edit"
    assert last["changes"] == [{"kr": None, "field": "title",
                                "old": "Goal a reaches its target",
                                "new": "Goal a reaches its target, and a better title"}]


def test_a_commit_that_does_not_touch_a_goal_adds_no_event(repo: Repo) -> None:
    repo.write_yaml("goals/platform/b.yaml", goal("b"))
    repo.commit("Add b", date=day("2026-10-02"))
    repo.write("README.md", "hello\n")
    repo.commit("Readme", date=day("2026-10-03"))
    repo.write_yaml(A, repo.read_yaml(A))  # same data, same bytes: no change at all
    repo.commit("Nothing", date=day("2026-10-04"))
    assert kinds(repo, "a") == ["created"]
    assert kinds(repo, "b") == ["created"]


# --- merges --------------------------------------------------------------------------------


def test_a_no_ff_merge_is_one_checkin_credited_to_the_branch_authors(repo: Repo) -> None:
    base = repo.head()
    repo.git("checkout", "--quiet", "-b", "feature")
    repo.update_kr(A, "k", current=3)
    repo.commit("k to 3", who=BOB, date=day("2026-10-02"))
    data = repo.read_yaml(A)
    data["key_results"].append({"id": "runbook", "title": "Publish the runbook", "done": True})
    repo.write_yaml(A, data)
    repo.commit("Runbook done", who=CAROL, date=day("2026-10-03"))
    repo.git("checkout", "--quiet", "main")
    # main moves on meanwhile, so the branch really is merged, not fast-forwarded
    repo.write_yaml("goals/platform/other.yaml", goal("other"))
    repo.commit("Add other", date=day("2026-10-03", 15))
    repo.git("merge", "--quiet", "--no-ff", "--no-edit", "-m", "Merge feature", "feature",
             who=DAN, date=day("2026-10-04"))
    merge = repo.head()

    found = history(repo)
    assert [e.kind for e in found.of("a")] == ["created", "checkin"]
    event = found.of("a")[1]
    assert event.commit.id == merge
    assert event.commit.id != base
    assert {(a.name, a.email) for a in event.commit.authors} == {
        (BOB.name, BOB.email), (CAROL.name, CAROL.email)}  # not Dan, who pressed merge
    assert event.commit.date == datetime(2026, 10, 4, 12, tzinfo=timezone.utc)
    assert {(c.kr, c.field, c.old, c.new) for c in event.changes} == {
        ("k", "current", 2, 3), ("runbook", "title", None, "Publish the runbook"),
        ("runbook", "done", None, True)}

    (last,) = events_json(repo, "a")[1:]
    assert last["commit"] == merge
    assert last["date"] == "2026-10-04T12:00:00+00:00"
    assert last["author"]["person"] in {"bob", "carol"}
    assert [e.kind for e in found.of("other")] == ["created"]


def test_a_branch_merged_twice_credits_only_what_each_merge_brought(repo: Repo) -> None:
    # A long-lived branch: Bob's commit comes in with the first merge, Carol's with the
    # second; the second merge did not bring Bob's commit again (it is main's already).
    repo.git("checkout", "--quiet", "-b", "develop")
    repo.update_kr(A, "k", current=3)
    repo.commit("k to 3", who=BOB, date=day("2026-10-02"))
    repo.git("checkout", "--quiet", "main")
    repo.git("merge", "--quiet", "--no-ff", "--no-edit", "develop", who=DAN,
             date=day("2026-10-03"))
    repo.git("checkout", "--quiet", "develop")
    repo.update_kr(A, "k", current=4)
    repo.commit("k to 4", who=CAROL, date=day("2026-10-04"))
    repo.git("checkout", "--quiet", "main")
    repo.git("merge", "--quiet", "--no-ff", "--no-edit", "develop", who=DAN,
             date=day("2026-10-05"))

    events = history(repo).of("a")
    assert [(e.kind, {a.name for a in e.commit.authors}) for e in events] == [
        ("created", {ALICE.name}), ("checkin", {BOB.name}), ("checkin", {CAROL.name})]
    # The same through the cache, one merge at a time.
    repo.git("reset", "--quiet", "--hard", "HEAD~1")
    read_history(repo.root, "goals")
    repo.git("merge", "--quiet", "--no-ff", "--no-edit", "develop", who=DAN,
             date=day("2026-10-05"))
    assert read_history(repo.root, "goals").events == history(repo).events


def person_json(who: Who, person: str | None) -> dict[str, Any]:
    return {"name": who.name, "email": who.email, "person": person}


def test_history_names_every_author_a_merge_credits(repo: Repo) -> None:
    """``authors`` beside ``author`` in every event, JSON and text: for a check-in its one
    author; for a --no-ff merge of a branch by Bob and someone not in people.yaml, both; for
    one merge of two branches, Bob's and Carol's, both. Never Dan, who merged."""
    repo.update_kr(A, "k", current=3)
    repo.commit("k to 3", who=CAROL, date=day("2026-10-02"))
    repo.git("checkout", "--quiet", "-b", "feature")
    for who, value in ((BOB, 4), (STRANGER, 5)):
        repo.update_kr(A, "k", current=value)
        repo.commit(f"k to {value}", who=who, date=day(f"2026-10-0{value - 1}"))
    repo.git("checkout", "--quiet", "main")
    repo.write_yaml("goals/platform/b.yaml", goal("b", period="2026-Q4"))
    repo.commit("Add b", date=day("2026-10-04", 15))  # main moves on: a true merge
    repo.git("merge", "--quiet", "--no-ff", "--no-edit", "-m", "Merge feature", "feature",
             who=DAN, date=day("2026-10-05"))
    # Two branches at once: Bob's moves a, Carol's moves b.
    repo.git("checkout", "--quiet", "-b", "bobs")
    repo.update_kr(A, "k", current=6)
    repo.commit("k to 6", who=BOB, date=day("2026-10-06"))
    repo.git("checkout", "--quiet", "-b", "carols", "main")
    repo.write_yaml("goals/platform/b.yaml", goal("b", period="2026-Q4", status="dropped"))
    repo.commit("Drop b", who=CAROL, date=day("2026-10-06", 13))
    repo.git("checkout", "--quiet", "main")
    repo.git("merge", "--quiet", "--no-ff", "--no-edit", "-m", "Merge two", "bobs", "carols",
             who=DAN, date=day("2026-10-07"))
    assert len(repo.git("rev-parse", "HEAD^@").split()) == 3

    bob, carol = person_json(BOB, "bob"), person_json(CAROL, "carol")
    stranger = person_json(STRANGER, None)
    events = events_json(repo, "a")
    assert [(e["message"], e["kind"]) for e in events] == [
        ("Add goal a", "created"), ("k to 3", "checkin"), ("Merge feature", "checkin"),
        ("Merge two", "checkin")]
    created, checkin, feature, two = events
    assert created["authors"] == [created["author"]] == [person_json(ALICE, "alice")]
    assert checkin["authors"] == [checkin["author"]] == [carol]
    for merge, credited in ((feature, [bob, stranger]), (two, [bob, carol])):
        assert merge["author"] == merge["authors"][0]
        assert sorted(merge["authors"], key=lambda a: a["name"]) == credited
    (dropped,) = [e for e in events_json(repo, "b") if e["kind"] == "status"]
    assert sorted(dropped["authors"], key=lambda a: a["name"]) == [bob, carol]

    text = run_cli("history", "a", "-C", str(repo.root)).stdout.splitlines()
    (feature_line,) = [line for line in text if "Merge feature" in line]
    (two_line,) = [line for line in text if "Merge two" in line]
    for line, names in ((feature_line, (BOB.name, STRANGER.name)),
                        (two_line, (BOB.name, CAROL.name))):
        assert all(name in line for name in names), line
        assert DAN.name not in line, line


def test_a_fast_forward_merge_keeps_each_commit(repo: Repo) -> None:
    repo.git("checkout", "--quiet", "-b", "feature")
    repo.update_kr(A, "k", current=3)
    repo.commit("k to 3", who=BOB, date=day("2026-10-02"))
    repo.update_kr(A, "k", current=4)
    repo.commit("k to 4", who=CAROL, date=day("2026-10-03"))
    repo.git("checkout", "--quiet", "main")
    repo.git("merge", "--quiet", "--ff-only", "feature")
    got = [(e.kind, e.commit.authors[0].name) for e in history(repo).of("a")]
    assert got == [("created", ALICE.name), ("checkin", BOB.name), ("checkin", CAROL.name)]


# --- moves, deletions, broken files, odd names ---------------------------------------------


def test_a_move_into_another_folder_keeps_the_history(repo: Repo) -> None:
    repo.mv(A, "goals/sales/renamed.yaml")
    repo.commit("Sales owns it now", who=BOB, date=day("2026-10-05"))
    repo.update_kr("goals/sales/renamed.yaml", "k", current=6)
    repo.commit("k to 6", who=CAROL, date=day("2026-10-06"))

    found = history(repo).of("a")
    assert [(e.kind, e.path) for e in found] == [
        ("created", A),
        ("moved", "goals/sales/renamed.yaml"),
        ("checkin", "goals/sales/renamed.yaml"),
    ]
    assert found[1].changes == ()
    assert [(c.old, c.new) for c in found[2].changes] == [(2, 6)]
    assert [e["kind"] for e in events_json(repo, "a")] == ["created", "moved", "checkin"]


def test_a_move_with_a_checkin_in_the_same_commit(repo: Repo) -> None:
    repo.mv(A, "goals/a.yaml")
    repo.update_kr("goals/a.yaml", "k", current=5)
    repo.commit("Move and check in", date=day("2026-10-05"))
    found = history(repo).of("a")
    assert [(e.kind, e.path) for e in found] == [("created", A), ("checkin", "goals/a.yaml")]
    assert [(c.kr, c.field, c.old, c.new) for c in found[1].changes] == [("k", "current", 2, 5)]


def test_a_deleted_and_readded_goal_keeps_both_parts(repo: Repo) -> None:
    repo.update_kr(A, "k", current=4)
    repo.commit("k to 4", date=day("2026-10-02"))
    (repo.root / A).unlink()
    repo.commit("Drop a", who=BOB, date=day("2026-10-03"))
    assert run_cli("history", "a", "-C", str(repo.root)).exit_code == 0  # still readable
    repo.write_yaml("goals/sales/a.yaml", goal("a", key_results=[numeric("k", 0, 10, 1)]))
    repo.commit("Bring a back", who=CAROL, date=day("2026-10-10"))
    repo.update_kr("goals/sales/a.yaml", "k", current=3)
    repo.commit("k to 3", who=CAROL, date=day("2026-10-11"))

    got = [(e["kind"], e["author"]["person"], e["date"][:10]) for e in events_json(repo, "a")]
    assert got == [
        ("created", "alice", "2026-10-01"),
        ("checkin", "alice", "2026-10-02"),
        ("deleted", "bob", "2026-10-03"),
        ("created", "carol", "2026-10-10"),
        ("checkin", "carol", "2026-10-11"),
    ]
    # The second part starts from its own values, not from before the deletion.
    assert events_json(repo, "a")[-1]["changes"] == [
        {"kr": "k", "field": "current", "old": 1, "new": 3}]


def test_a_file_that_does_not_parse_in_an_old_commit_is_skipped(repo: Repo) -> None:
    repo.write(A, "id: a\ntitle: [unclosed\n")
    broken = repo.commit("Oops", date=day("2026-10-02"))
    repo.write("goals/platform/list.yaml", "- not\n- a goal\n")
    no_id = repo.commit("Not a goal", date=day("2026-10-03"))
    repo.write_yaml(A, goal("a", period="2026-Q4", status="active",
                            key_results=[numeric("k", 0, 10, 5)]))
    repo.write("goals/platform/list.yaml", "")
    repo.commit("Fixed", date=day("2026-10-04"))

    found = history(repo)
    assert [(e.kind, e.commit.subject) for e in found.of("a")] == [
        ("created", "Add goal a"), ("checkin", "Fixed")]
    assert [(c.kr, c.field, c.old, c.new) for c in found.of("a")[1].changes] == [
        ("k", "current", 2, 5)]
    skipped = {(commit, path) for commit, path, _why in found.skipped}
    assert (broken, A) in skipped
    assert (no_id, "goals/platform/list.yaml") in skipped
    assert all(why for _c, _p, why in found.skipped)
    assert run_cli("history", "a", "-C", str(repo.root)).exit_code == 0


@pytest.mark.parametrize("cached", [False, True], ids=["cold", "cached-at-the-broken-commit"])
def test_a_goal_broken_for_a_while_keeps_its_history(repo: Repo, cached: bool) -> None:
    repo.write(A, "id: a\ntitle: [unclosed\n")
    repo.commit("Oops", date=day("2026-10-02"))
    if cached:
        read_history(repo.root, "goals")  # the cache stands at the broken commit
    repo.write_yaml(A, goal("a", period="2026-Q4", status="active",
                            key_results=[numeric("k", 0, 10, 5)]))
    repo.commit("Fixed", who=BOB, date=day("2026-10-04"))
    found = read_history(repo.root, "goals", use_cache=cached)
    assert [e.kind for e in found.of("a")] == ["created", "checkin"]
    assert found.events == history(repo).events
    head_on(repo, day("2026-10-20"))
    # The fix checked in k = 5 on Oct 4; it is not a second creation.
    assert stale_and_last(repo) == (True, "2026-10-04")


def test_a_new_file_broken_at_first_is_created_when_it_parses(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    repo.write(A, "id: a\n\ttitle: tabs\n")
    repo.commit("Broken start", date=day("2026-10-01"))
    repo.write_yaml(A, goal("a"))
    fixed = repo.commit("Fixed", date=day("2026-10-02"))
    (event,) = history(repo).of("a")
    assert (event.kind, event.commit.id) == ("created", fixed)


def test_non_ascii_and_odd_file_names(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    cafe = "goals/équipe/café.yaml"
    odd = "goals/équipe/thé au lait (v2).yaml"
    repo.write_yaml(cafe, goal("cafe", key_results=[numeric("k", 0, 4, 1)]))
    repo.commit("Café", date=day("2026-10-01"))
    repo.update_kr(cafe, "k", current=2)
    repo.commit("Café k to 2", who=BOB, date=day("2026-10-02"))
    repo.mv(cafe, odd)
    repo.commit("Renamed", date=day("2026-10-03"))
    repo.update_kr(odd, "k", current=3)
    repo.commit("k to 3", who=CAROL, date=day("2026-10-04"))

    assert [(e.kind, e.path) for e in history(repo).of("cafe")] == [
        ("created", cafe), ("checkin", cafe), ("moved", odd), ("checkin", odd)]
    got = goal_of(status_json(repo), "cafe")
    # (3 - 0) / (4 - 0) = 0.75; last check-in Oct 4
    assert (got["progress"], got["last_checkin"]) == (0.75, "2026-10-04")


# --- where HEAD is, and when ---------------------------------------------------------------


def test_detached_head(repo: Repo) -> None:
    repo.update_kr(A, "k", current=5)
    middle = repo.commit("k to 5", date=day("2026-10-10"))
    repo.update_kr(A, "k", current=9)
    repo.commit("k to 9", date=day("2026-10-20"))
    repo.git("checkout", "--quiet", "--detach", middle)

    payload = status_json(repo)
    # HEAD is the middle commit: T = its author date, k = 5 -> 0.5
    assert (payload["commit"], payload["as_of"]) == (middle, "2026-10-10")
    assert goal_of(payload, "a")["progress"] == 0.5
    assert [e["kind"] for e in events_json(repo, "a")] == ["created", "checkin"]


def test_as_of_is_heads_author_date_not_the_clock_or_the_committer_date(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    config = repo.read_yaml("goalsrepo.yaml")
    repo.write_yaml("goalsrepo.yaml", {**config, "timezone": "Pacific/Auckland"})
    repo.write_yaml(A, goal("a", period="2026-Q4", key_results=[numeric("k", 0, 10, 2)]))
    # Authored Oct 20, 23:30 UTC = Oct 21, 12:30 in Auckland (UTC+13); committed in December.
    head = repo.commit("Add a", date="2026-10-20T23:30:00+00:00",
                       committer_date="2026-12-24T08:00:00+00:00")
    payload = status_json(repo)
    assert (payload["as_of"], payload["commit"]) == ("2026-10-21", head)
    # Oct 1 -> Oct 21 is 20 days of the quarter's 91
    assert goal_of(payload, "a")["expected"] == round(20 / 91, 4)


def test_an_uncommitted_edit_shows_at_once(repo: Repo) -> None:
    repo.update_kr(A, "k", current=7)
    repo.write_yaml("goals/platform/new.yaml", goal("new", key_results=[numeric("n", 0, 4, 1)]))
    payload = status_json(repo)
    # k = 7 of 0 -> 10: 0.7; the new file counts too: 1 / 4 = 0.25
    assert goal_of(payload, "a")["progress"] == 0.7
    assert goal_of(payload, "new")["progress"] == 0.25
    assert goal_of(payload, "a")["last_checkin"] is None  # nothing committed yet
    assert payload["commit"] == repo.head()


@pytest.fixture
def timeline(repo: Repo) -> dict[str, str]:
    """k: 2 on Oct 1, 5 on Oct 10, 8 on Oct 20 on main; a side branch sets 9 on Oct 12 and
    is merged on Oct 18."""
    ids = {"c1": repo.head()}
    repo.update_kr(A, "k", current=5)
    ids["c2"] = repo.commit("k to 5", who=BOB, date=day("2026-10-10"))
    repo.git("checkout", "--quiet", "-b", "side")
    repo.update(A, title="Goal a reaches its target, side branch")
    repo.commit("Side", who=CAROL, date=day("2026-10-12"))
    repo.git("checkout", "--quiet", "main")
    repo.git("merge", "--quiet", "--no-ff", "--no-edit", "side", who=DAN,
             date=day("2026-10-18"))
    ids["merge"] = repo.head()
    repo.update_kr(A, "k", current=8)
    ids["c3"] = repo.commit("k to 8", who=BOB, date=day("2026-10-20"))
    repo.update_kr(A, "k", current=10)  # uncommitted: time travel must not see it
    return ids


def test_as_of_time_travel(repo: Repo, timeline: dict[str, str]) -> None:
    payload = status_json(repo, "--as-of", "2026-10-15")
    # The last first-parent commit on or before Oct 15 is c2 (the side commit of Oct 12 is
    # not on the main line): k = 5 -> 0.5; T = Oct 15 -> expected 14 / 91
    assert (payload["as_of"], payload["commit"]) == ("2026-10-15", timeline["c2"])
    a = goal_of(payload, "a")
    assert (a["title"], a["progress"], a["expected"], a["last_checkin"]) == (
        "Goal a reaches its target", 0.5, round(14 / 91, 4), "2026-10-10")

    on_the_day = status_json(repo, "--as-of", "2026-10-10")
    assert on_the_day["commit"] == timeline["c2"]

    after_merge = status_json(repo, "--as-of", "2026-10-19")
    assert after_merge["commit"] == timeline["merge"]
    assert goal_of(after_merge, "a")["title"] == "Goal a reaches its target, side branch"

    future = status_json(repo, "--as-of", "2027-02-01")
    # c3 (k = 8) at T = Feb 1, past due: expected 1, score 0.8
    assert future["commit"] == timeline["c3"]
    assert (goal_of(future, "a")["progress"], goal_of(future, "a")["expected"],
            goal_of(future, "a")["score"]) == (0.8, 1.0, 0.8)

    # Without --as-of: the work tree (k = 10, uncommitted) at HEAD's date
    now = status_json(repo)
    assert (now["as_of"], goal_of(now, "a")["progress"]) == ("2026-10-20", 1.0)


def test_as_of_before_the_first_commit(repo: Repo) -> None:
    result = run_cli("status", "-C", str(repo.root), "--as-of", "2026-09-30")
    assert result.exit_code == 1
    assert "2026-09-30" in result.stderr
    assert "Traceback" not in result.output


def test_as_of_history_stops_at_that_commit(repo: Repo, timeline: dict[str, str]) -> None:
    found = read_history(repo.root, "goals", upto=timeline["c2"])
    assert [e.commit.id for e in found.of("a")] == [timeline["c1"], timeline["c2"]]


# --- stale and last check-in from real commits ---------------------------------------------


def head_on(repo: Repo, when: str) -> None:
    """Move T: a commit that touches no goal, authored at ``when``."""
    repo.write("README.md", f"as of {when}\n")
    repo.commit("Readme", who=DAN, date=when)


def stale_and_last(repo: Repo) -> tuple[bool, str | None]:
    a = goal_of(status_json(repo), "a")
    return a["stale"], a["last_checkin"]


@pytest.mark.parametrize(("checkin", "want"), [
    ("2026-11-01", (False, "2026-11-01")),  # Nov 1 -> Nov 15: 14 days, not more than 14
    ("2026-10-31", (True, "2026-10-31")),  # 15 days: stale
])
def test_stale_after_checkin_days(repo: Repo, checkin: str, want: tuple[bool, str]) -> None:
    repo.update_kr(A, "k", current=3)
    repo.commit("k to 3", who=BOB, date=day(checkin))
    head_on(repo, day("2026-11-15"))
    assert stale_and_last(repo) == want


@pytest.mark.parametrize(("head", "want"), [
    ("2026-10-15", False),  # created Oct 1, no check-in: 14 days
    ("2026-10-16", True),  # 15 days
])
def test_stale_from_creation(repo: Repo, head: str, want: bool) -> None:
    head_on(repo, day(head))
    assert stale_and_last(repo) == (want, None)


def test_adjustments_and_edits_do_not_reset_the_stale_clock(repo: Repo) -> None:
    repo.update_kr(A, "k", target=8)
    repo.commit("Target 8", date=day("2026-11-10"))
    repo.update(A, due="2026-12-15")
    repo.commit("Due earlier", date=day("2026-11-11"))
    repo.update(A, title="Goal a reaches its target, reworded")
    repo.commit("Reword", date=day("2026-11-12"))
    head_on(repo, day("2026-11-15"))
    assert stale_and_last(repo) == (True, None)  # 45 days since the creation on Oct 1


def test_a_milestone_done_is_a_checkin(repo: Repo) -> None:
    data = repo.read_yaml(A)
    data["milestones"] = [{"title": "Measure today's pipeline", "done": False}]
    repo.write_yaml(A, data)
    repo.commit("Plan", date=day("2026-10-02"))
    data["milestones"][0]["done"] = True
    repo.write_yaml(A, data)
    repo.commit("Measured", who=BOB, date=day("2026-11-10"))
    head_on(repo, day("2026-11-15"))
    assert stale_and_last(repo) == (False, "2026-11-10")
    assert events_json(repo, "a")[-1]["kind"] == "checkin"


def test_a_readded_goal_is_not_stale_from_its_earlier_life(repo: Repo) -> None:
    repo.update_kr(A, "k", current=4)
    repo.commit("k to 4", date=day("2026-10-02"))
    (repo.root / A).unlink()
    repo.commit("Drop a", date=day("2026-10-03"))
    repo.write_yaml(A, goal("a", period="2026-Q4", key_results=[numeric("k", 0, 10, 4)]))
    repo.commit("Bring a back", date=day("2026-11-10"))
    head_on(repo, day("2026-11-15"))
    # Created again 5 days before T: not stale, although the last check-in is 44 days old.
    assert stale_and_last(repo)[0] is False


def test_days_are_counted_in_the_configured_time_zone(repo: Repo) -> None:
    repo.update_kr(A, "k", current=3)
    repo.commit("k to 3", date="2026-10-31T23:30:00+00:00")  # Nov 1, 12:30 in Auckland
    head_on(repo, "2026-11-14T23:00:00+00:00")  # Nov 15, 12:00 in Auckland
    # UTC: check-in Oct 31, T = Nov 14: 14 days, not stale
    assert stale_and_last(repo) == (False, "2026-10-31")
    assert status_json(repo)["as_of"] == "2026-11-14"
    config = repo.read_yaml("goalsrepo.yaml")
    repo.write_yaml("goalsrepo.yaml", {**config, "timezone": "Pacific/Auckland"})
    # Auckland: check-in Nov 1, T = Nov 15: 14 days, not stale
    assert stale_and_last(repo) == (False, "2026-11-01")
    assert status_json(repo)["as_of"] == "2026-11-15"


# --- shallow clones and folders without git ------------------------------------------------


def test_shallow_clone(repo: Repo, tmp_path: Path) -> None:
    repo.update_kr(A, "k", current=5)
    repo.commit("k to 5", date=day("2026-10-10"))
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", "--depth", "1", f"file://{repo.root}", str(clone))

    for command in (["status"], ["tree"], ["history", "a"], ["export"]):
        result = run_cli(*command, "-C", str(clone))
        assert result.exit_code == 1, command
        assert "fetch-depth: 0" in result.stderr
        assert "Traceback" not in result.output

    payload = status_json(clone, "--allow-shallow")
    assert goal_of(payload, "a")["progress"] == 0.5
    assert run_cli("history", "a", "-C", str(clone), "--allow-shallow").exit_code == 0


def test_validate_runs_in_a_shallow_clone(repo: Repo, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", "--depth", "1", f"file://{repo.root}", str(clone))
    result = run_cli("validate", "-C", str(clone))
    assert result.exit_code == 0, result.output


def test_a_folder_without_git(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "plain")
    repo.write_yaml(A, goal("a", period="2026-Q4", key_results=[numeric("k", 0, 10, 3)]))
    (repo.root / ".git").rename(repo.root / "not-git")  # the files alone, no repository
    before = datetime.now(timezone.utc).date()
    result = run_cli("status", "-C", str(repo.root), "--format", "json")
    after = datetime.now(timezone.utc).date()
    assert result.exit_code == 0
    assert len(result.stderr.strip().splitlines()) == 1  # one note, no more
    assert "git" in result.stderr
    payload = json.loads(result.stdout)
    # No history: T is today, nothing is stale, nobody checked in.
    assert date.fromisoformat(payload["as_of"]) in {before, after}
    assert payload["commit"] is None
    a = goal_of(payload, "a")
    assert (a["progress"], a["stale"], a["last_checkin"]) == (0.3, False, None)
    text = run_cli("status", "-C", str(repo.root))
    assert text.exit_code == 0 and "a" in text.stdout


def test_a_repository_without_commits_yet(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "fresh")
    repo.write_yaml(A, goal("a", key_results=[numeric("k", 0, 10, 3)]))
    result = run_cli("status", "-C", str(repo.root), "--format", "json")
    assert result.exit_code == 0, result.output


# --- the cache -----------------------------------------------------------------------------


def cache_files(root: Path) -> list[Path]:
    folder = root / ".git" / "goalsrepo"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def build_history(repo: Repo, commits: int = 4) -> None:
    for i in range(commits):
        repo.update_kr(A, "k", current=3 + i)
        repo.commit(f"k to {3 + i}", who=(BOB, CAROL)[i % 2], date=day(f"2026-10-{2 + i:02d}"))


def test_the_cache_gives_the_same_answer_twice(repo: Repo) -> None:
    build_history(repo)
    first = run_cli("status", "-C", str(repo.root), "--format", "json").stdout
    assert cache_files(repo.root)
    second = run_cli("status", "-C", str(repo.root), "--format", "json").stdout
    assert first == second
    hist = [run_cli("history", "a", "-C", str(repo.root), "--format", "json").stdout
            for _ in range(2)]
    assert hist[0] == hist[1]
    cold = history(repo).events
    assert read_history(repo.root, "goals").events == cold
    assert read_history(repo.root, "goals").events == cold


def test_the_cache_after_one_new_commit_equals_a_cold_run(
        repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    build_history(repo)
    repo.write_yaml("goals/platform/b.yaml", goal("b", key_results=[numeric("x", 0, 1)]))
    repo.commit("Add b", date=day("2026-10-09"))
    read_history(repo.root, "goals")  # warm the cache
    repo.update_kr(A, "k", current=9)
    repo.mv("goals/platform/b.yaml", "goals/b.yaml")
    repo.commit("k to 9, move b", who=DAN, date=day("2026-10-10"))

    read: list[str] = []
    real = gitmodule.read_blobs

    def counting(cwd: Path, blobs: Any, *args: Any, **kwargs: Any) -> Any:
        blobs = list(blobs)
        read.extend(blobs)
        return real(cwd, blobs, *args, **kwargs)

    monkeypatch.setattr(gitmodule, "read_blobs", counting)
    warm = read_history(repo.root, "goals").events
    # Only the blobs of the new commit are read (a before and after, b once), not the six
    # versions the earlier commits hold
    assert 0 < len(set(read)) <= 3
    monkeypatch.undo()
    assert warm == history(repo).events
    assert [e.kind for e in warm["a"]][-1] == "checkin"
    assert [e.kind for e in warm["b"]] == ["created", "moved"]


def test_the_cached_activity_keeps_each_commit_s_offset(repo: Repo) -> None:
    """The index keeps every goal's activity with the author's UTC offset, as a cold read
    gives it: a date is read in the repository's time zone, and its offset shows."""
    repo.update_kr(A, "k", current=4)
    repo.commit("k to 4", date="2026-10-02T23:30:00-07:00")
    repo.update_kr(A, "k", current=5)
    repo.commit("k to 5", date="2026-10-03T06:15:00+05:30")
    read_history(repo.root, "goals")  # files the history
    warm = read_history(repo.root, "goals").activity["a"]
    assert warm == history(repo).activity["a"]
    assert warm.last_checkin is not None
    assert warm.last_checkin.isoformat() == "2026-10-03T06:15:00+05:30"


def test_a_read_after_new_commits_rewrites_only_the_buckets_of_the_goals_they_touched(
        repo: Repo) -> None:
    """Events are filed by goal: a read after a check-in of one goal rewrites that goal's
    bucket (under a new name) and the index, every other bucket stays as it was, and the
    history read equals the history read cold."""
    build_history(repo, 7)
    read_history(repo.root, "goals")
    store = cachemodule.Store(repo.root / ".git", "goals")
    first = store.load_index()
    assert first is not None and "a" in first.signatures
    for i in range(3):
        before = store.load_index()
        assert before is not None
        repo.update_kr(A, "k", current=20 + i)
        repo.commit(f"k to {20 + i}", who=BOB, date=day(f"2026-10-{12 + i:02d}"))
        assert read_history(repo.root, "goals").events == history(repo).events
        after = store.load_index()
        assert after is not None and after.generation == first.generation
        mine = cachemodule.bucket_of("a")
        assert after.files[mine] != before.files[mine]
        assert {n: f for n, f in after.files.items() if n != mine} == \
            {n: f for n, f in before.files.items() if n != mine}
        assert after.signatures["a"] == (before.signatures["a"][0] + 1, repo.head())
        assert sorted(p.name for p in store.folder.glob("bucket-*")) == \
            sorted(after.files.values())
    assert read_history(repo.root, "goals").events == history(repo).events


def test_the_cache_lives_in_the_git_directory(repo: Repo) -> None:
    build_history(repo, 2)
    run_cli("status", "-C", str(repo.root))
    git_dir = repo.root / ".git"
    assert cache_files(repo.root)
    assert all(git_dir in p.parents for p in cache_files(repo.root))
    untracked = repo.git("status", "--porcelain", "--ignored", "--untracked-files=all")
    assert untracked == ""


def test_a_linked_worktree_shares_the_cache_and_leaves_its_tree_clean(
        repo: Repo, tmp_path: Path) -> None:
    build_history(repo, 2)
    other = tmp_path / "worktree"
    repo.git("worktree", "add", "--quiet", "--detach", str(other))
    assert status_json(other)["commit"] == repo.head()
    assert cache_files(repo.root)
    assert git(other, "status", "--porcelain", "--ignored", "--untracked-files=all") == ""


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "foreign", "wrong-type"])
def test_a_damaged_cache_is_rebuilt_silently(repo: Repo, damage: str) -> None:
    build_history(repo)
    expected_output = run_cli("status", "-C", str(repo.root), "--format", "json").stdout
    files = cache_files(repo.root)
    assert files
    for path in files:
        content = path.read_bytes()
        path.write_bytes({
            "garbage": b"\x00\xffnot a cache at all" * 10,
            "truncated": content[: len(content) // 2],
            "empty": b"",
            "foreign": pickle.dumps((999, "goals", {"a": []})),
            "wrong-type": pickle.dumps({"head": "0" * 40, "events": "nonsense"}),
        }[damage])
    result = run_cli("status", "-C", str(repo.root), "--format", "json")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == expected_output
    assert read_history(repo.root, "goals").events == history(repo).events
    # and the cache is good again afterwards
    assert read_history(repo.root, "goals").events == history(repo).events


def test_a_cache_from_another_goals_folder_is_not_used(repo: Repo) -> None:
    build_history(repo, 2)
    read_history(repo.root, "goals")
    repo.mv("goals", "objectives")
    repo.write_yaml("goalsrepo.yaml", {**repo.read_yaml("goalsrepo.yaml"),
                                       "goals_dir": "objectives"})
    repo.commit("Rename the folder", date=day("2026-10-20"))
    cached = read_history(repo.root, "objectives").events
    cold = read_history(repo.root, "objectives", use_cache=False).events
    assert cached == cold
    # In its own folder's history the goal appears when the folder does.
    assert [e.kind for e in cold["a"]] == ["created"]


def test_amended_history_does_not_reuse_a_stale_cache(repo: Repo) -> None:
    build_history(repo, 2)
    repo.update_kr(A, "k", current=6)
    repo.commit("k to 6", who=BOB, date=day("2026-10-10"))
    read_history(repo.root, "goals")  # cache at the commit about to be amended
    repo.update_kr(A, "k", current=7)
    repo.git("add", "--all")
    repo.git("commit", "--quiet", "--amend", "-m", "k to 7", who=CAROL, date=day("2026-10-11"))

    found = read_history(repo.root, "goals")
    assert found.events == history(repo).events
    last = found.of("a")[-1]
    assert (last.commit.subject, [(c.old, c.new) for c in last.changes]) == ("k to 7", [(4, 7)])
    assert goal_of(status_json(repo), "a")["progress"] == 0.7


def test_reset_to_an_older_commit_then_a_new_one_does_not_reuse_a_stale_cache(
        repo: Repo) -> None:
    build_history(repo, 3)  # k: 3, 4, 5
    read_history(repo.root, "goals")
    repo.git("reset", "--quiet", "--hard", "HEAD~2")  # back to k = 3
    assert read_history(repo.root, "goals").events == history(repo).events
    read_history(repo.root, "goals")
    repo.git("reset", "--quiet", "--hard", "HEAD~1")  # back to k = 2 (creation)
    repo.update_kr(A, "k", current=8)
    repo.commit("k to 8", who=DAN, date=day("2026-10-15"))
    found = read_history(repo.root, "goals")
    assert found.events == history(repo).events
    assert [(e.kind, [(c.old, c.new) for c in e.changes if c.field == "current"])
            for e in found.of("a")] == [("created", [(None, 2)]), ("checkin", [(2, 8)])]


def test_history_reads_git_in_a_fixed_number_of_processes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One pass over git: the number of git processes does not grow with the commits."""
    counts = []
    for n in (2, 12):
        repo = new_repo(tmp_path / f"r{n}")
        repo.write_yaml(A, goal("a", key_results=[numeric("k", 0, 100, 0)]))
        repo.commit("Add a", date=day("2026-10-01"))
        for i in range(n):
            repo.update_kr(A, "k", current=i + 1)
            repo.commit(f"k to {i + 1}", date=day("2026-10-02", i))
        calls: list[tuple[str, ...]] = []
        real = gitmodule._read

        def spy(cwd: Path, *args: str, _real: Any = real, _calls: Any = calls,
                **kwargs: Any) -> bytes:
            _calls.append(args)
            return _real(cwd, *args, **kwargs)  # type: ignore[no-any-return]

        monkeypatch.setattr(gitmodule, "_read", spy)
        assert len(history(repo).of("a")) == n + 1
        monkeypatch.undo()
        counts.append(len(calls))
    assert counts[0] == counts[1]


def test_new_events_that_cannot_be_cached_are_kept_in_memory(
        repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read after new commits that cannot write the cache (a full or read-only disk)
    gives the cached events followed by the new ones, as a cold read does; the cache on
    disk still stands for its old head, and the next read that can write catches up."""
    build_history(repo, 4)
    read_history(repo.root, "goals")
    store = cachemodule.Store(repo.root / ".git", "goals")
    before = store.load_index()
    assert before is not None
    repo.update_kr(A, "k", current=40)
    repo.commit("k to 40", who=BOB, date=day("2026-10-20"))

    def full_disk(path: Path, payload: bytes) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(cachemodule, "write_file", full_disk)
        found = read_history(repo.root, "goals")
        assert found.events == history(repo).events
        assert found.signatures["a"] == (before.signatures["a"][0] + 1, repo.head())
        assert found.activity == history(repo).activity
    still = store.load_index()
    assert still is not None and still.head == before.head
    assert read_history(repo.root, "goals").events == history(repo).events
    after = store.load_index()
    assert after is not None and after.head == repo.head()
