"""A build after a change reuses what the previous build computed (goalsrepo.web.memory): the
validation, the numbers of the goals that did not change, the keys of the pages that do
not show a changed goal. Whatever the change, the site it writes must be byte for byte
what a cold build of the same repository writes.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

import pytest
from gitrepo import BOB, CAROL, Repo, day, goal, new_repo, numeric

from goalsrepo.numbers import progress
from goalsrepo.web import memory, pages, site, widgets
from goalsrepo.web.pages import Card
from goalsrepo.web.rows import Rows
from goalsrepo.web.site import build


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_as_cold(root: Path, cold: Path) -> None:
    """The site in ``root/site`` is byte for byte what a cold build of a copy of the
    repository without goalsrepo's cache writes into ``cold/site``."""
    shutil.copytree(root, cold / "repo", ignore=shutil.ignore_patterns("site", "goalsrepo"))
    build(cold / "repo", cold / "site")
    assert tree(root / "site") == tree(cold / "site")


def settle(root: Path, step: int) -> None:
    """Back-date the files written just now, as a work tree looks a while after an edit:
    the memory trusts a file's signature only once it is more than a second old. Each
    step gets its own time, so that two edits never share a signature."""
    now = time.time()
    past = int((now - 1000 + step) * 1e9)
    for path in root.rglob("*"):
        if ".git" in path.parts or "site" in path.parts or not path.is_file():
            continue
        if path.stat().st_mtime > now - 5:
            os.utime(path, ns=(past, past))


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """Goals under a parent without key results (its progress rolls up), with history."""
    repo = new_repo(tmp_path / "goals", teams=True)
    repo.write_yaml("goals/vision.yaml", goal("vision", level="organization", period="2026-Q4"))
    repo.write_yaml("goals/company.yaml", goal(
        "company", level="organization", period="2026-Q4", aligns_to=["vision"],
        key_results=[numeric("nps", 20, 40, 25)]))
    repo.write_yaml("goals/platform/deploys.yaml", goal(
        "deploys", team="platform", period="2026-Q4", aligns_to=["company"],
        contributors=["bob"],
        key_results=[numeric("deploy-time", 45, 10, 45, unit="min")],
        milestones=[{"title": "Measure the pipeline", "done": False}]))
    repo.write_yaml("goals/sales/pilots.yaml", goal(
        "pilots", team="sales", period="2026-Q4", aligns_to=["company"], owner="carol",
        key_results=[numeric("signed", 0, 4, 0, unit="deals")]))
    repo.commit("Set the Q4 goals", date=day("2026-10-01"))
    repo.update_kr("goals/platform/deploys.yaml", "deploy-time", current=30)
    repo.commit("Deploys in 30", who=BOB, date=day("2026-10-20"))
    return repo


def _people(repo: Repo) -> None:
    people = repo.read_yaml("people.yaml")
    people["people"][1]["name"] = "Robert Baker"
    repo.write_yaml("people.yaml", people)


def _namesake(repo: Repo) -> None:
    people = repo.read_yaml("people.yaml")
    people["people"].append({"id": "carol2", "name": "Carol Cruz", "email": "c2@example.com"})
    repo.write_yaml("people.yaml", people)


def _done(repo: Repo) -> None:
    data = repo.read_yaml("goals/platform/deploys.yaml")
    data["milestones"][0]["done"] = True
    repo.write_yaml("goals/platform/deploys.yaml", data)


# Each step changes the repository, then commits with the given date (None: the change
# stays in the work tree).
STEPS: list[tuple[str, Callable[[Repo], None], str | None]] = [
    ("check-in, same day", lambda r: r.update_kr(
        "goals/platform/deploys.yaml", "deploy-time", current=25), day("2026-10-20", 15)),
    ("check-in in the work tree", lambda r: r.update_kr(
        "goals/sales/pilots.yaml", "signed", current=1), None),
    ("the same check-in committed", lambda r: None, day("2026-10-20", 16)),
    ("milestone done", _done, day("2026-10-20", 17)),
    ("check-in rolling up into a goal without key results", lambda r: r.update_kr(
        "goals/company.yaml", "nps", current=30), day("2026-10-20", 18)),
    ("title reworded", lambda r: r.update(
        "goals/sales/pilots.yaml", title="Sign four paying pilots"), None),
    ("target moved", lambda r: r.update_kr(
        "goals/sales/pilots.yaml", "signed", target=3), day("2026-10-20", 19)),
    ("goal added", lambda r: r.write_yaml("goals/sales/renewals.yaml", goal(
        "renewals", team="sales", period="2026-Q4", aligns_to=["company"], owner="dan",
        key_results=[numeric("renewed", 0, 10, 2, unit="accounts")])), day("2026-10-20", 20)),
    ("goal realigned", lambda r: r.update(
        "goals/sales/renewals.yaml", aligns_to=["pilots"]), day("2026-10-20", 21)),
    ("goal replaced", lambda r: r.update(
        "goals/platform/deploys.yaml", status="dropped", superseded_by="renewals"),
     day("2026-10-20", 22)),
    ("check-in on the replacement", lambda r: r.update_kr(
        "goals/sales/renewals.yaml", "renewed", current=5), day("2026-10-20", 22)),
    ("person renamed", _people, day("2026-10-20", 23)),
    ("a namesake joins", _namesake, day("2026-10-20", 23)),
    # The lists show the owner by name, linked by id: the link must follow the goal.
    ("goal handed to the namesake", lambda r: r.update(
        "goals/sales/pilots.yaml", owner="carol2"), day("2026-10-20", 23)),
    ("goal removed", lambda r: (r.root / "goals/platform/deploys.yaml").unlink(),
     day("2026-10-20", 23)),
    ("check-in on a later day", lambda r: r.update_kr(
        "goals/sales/pilots.yaml", "signed", current=2), day("2026-11-02")),
    # Carol checked in on company, which Alice owns: Carol's page names it by its title.
    ("goal retitled that another person checked in", lambda r: r.update(
        "goals/company.yaml", title="Delight every customer we sign this quarter"),
     day("2026-11-02", 13)),
    ("nothing", lambda r: None, None),
]


def test_every_rebuild_writes_what_a_cold_build_writes(repo: Repo, tmp_path: Path) -> None:
    build(repo.root)
    for number, (name, change, date) in enumerate(STEPS):
        change(repo)
        if date is not None:
            repo.commit(name, who=CAROL, date=date)
        settle(repo.root, number)
        result = build(repo.root)
        cold = tmp_path / f"cold-{number}"
        shutil.copytree(repo.root, cold / "repo",
                        ignore=shutil.ignore_patterns("site", "goalsrepo"))
        build(cold / "repo", cold / "site")
        assert tree(repo.root / "site") == tree(cold / "site"), name
        if name == "nothing":
            assert result.rendered == 0


def test_a_check_in_recomputes_only_its_goal(repo: Repo,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # company, pilots' parent, has a check-in of its own: the last check-in of vision
    # (no key results) above it is company's, whatever pilots does.
    repo.update_kr("goals/company.yaml", "nps", current=30)
    repo.commit("NPS 30", date=day("2026-10-20", 14))
    settle(repo.root, 0)
    first = build(repo.root)
    repo.update_kr("goals/sales/pilots.yaml", "signed", current=1)
    repo.commit("Signed one", who=CAROL, date=day("2026-10-20", 15))
    settle(repo.root, 1)
    computed: list[list[str]] = []

    def spy(goals, *args):  # type: ignore[no-untyped-def]
        computed.append([g.id for g in goals])
        return progress.compute(goals, *args)

    def no_validation(*args):  # type: ignore[no-untyped-def]
        raise AssertionError("the goals' shapes did not change: nothing to validate")

    monkeypatch.setattr(memory, "compute", spy)
    monkeypatch.setattr(site, "check", no_validation)
    result = build(repo.root)
    assert computed == [["pilots"]]
    # The goal, its parent and its team, owner and period pages, and the overviews.
    assert 0 < result.rendered < first.pages
    assert "signed 0 → 1" in (repo.root / "site/goals/pilots.html").read_text()


def test_a_file_changed_within_the_second_is_read_again(repo: Repo) -> None:
    """A signature is trusted only once the file is a second old: an edit right after a
    build, with the same size, must still show."""
    settle(repo.root, 0)
    build(repo.root)
    repo.update_kr("goals/sales/pilots.yaml", "signed", current=1)
    build(repo.root)
    repo.update_kr("goals/sales/pilots.yaml", "signed", current=2)  # same size, same second
    build(repo.root)
    assert "2 deals" in (repo.root / "site/goals/pilots.html").read_text()


def test_a_damaged_history_bucket_is_rebuilt_not_fatal(repo: Repo, tmp_path: Path) -> None:
    """Issue 12: every bucket of the history cache damaged (truncated, then garbage), then
    a change that draws every goal page again without new commits (the config's title):
    the build reads the goals' events from git instead of failing, writes what a cold
    build writes, and the next build files the history afresh."""
    build(repo.root)
    buckets = sorted((repo.root / ".git" / "goalsrepo" / "history").glob("bucket-*"))
    assert buckets
    for number, path in enumerate(buckets):
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2] if number % 2 else b"\x00garbage")
    config = repo.read_yaml("goalsrepo.yaml")
    config["title"] = "Renamed goals"
    repo.write_yaml("goalsrepo.yaml", config)
    settle(repo.root, 1)
    for attempt in range(2):
        build(repo.root)
        assert_as_cold(repo.root, tmp_path / f"cold-{attempt}")
    assert not set(buckets) & set((repo.root / ".git" / "goalsrepo" / "history").glob("bucket-*"))


def test_a_check_in_two_levels_below_a_goal_without_key_results(repo: Repo,
                                                                 tmp_path: Path) -> None:
    """vision has no key results; company, between it and pilots, has key results but no
    check-in yet, so vision's last check-in is pilots'. A check-in on pilots on a later day
    moves vision's, though pilots' parent has key results of its own (on the day of the
    previous build's HEAD, so that T does not move)."""
    repo.write("notes.txt", "the review is on Tuesday")
    repo.commit("Notes", date=day("2026-10-27", 9))
    settle(repo.root, 0)
    build(repo.root)
    repo.update_kr("goals/sales/pilots.yaml", "signed", current=1)
    repo.commit("Signed one", who=CAROL, date=day("2026-10-27", 15))
    settle(repo.root, 1)
    build(repo.root)
    assert_as_cold(repo.root, tmp_path / "cold")


def test_a_hit_key_result_retitled_changes_the_wins(repo: Repo, tmp_path: Path) -> None:
    """Found by the differential test (seed 602): the wins page and its feed name a key
    result hit by its title now, so a new title must draw them again."""
    repo.update_kr("goals/sales/pilots.yaml", "signed", current=4)
    repo.commit("Four pilots signed", who=CAROL, date=day("2026-10-25"))
    settle(repo.root, 0)
    build(repo.root)
    assert "Key result hit: Measure signed" in (repo.root / "site/wins.html").read_text()
    repo.update_kr("goals/sales/pilots.yaml", "signed", title="Paying pilots signed")
    settle(repo.root, 1)
    build(repo.root)
    assert_as_cold(repo.root, tmp_path / "cold")
    assert "Key result hit: Paying pilots signed" in (repo.root / "site/wins.html").read_text()


def test_a_rebuild_draws_only_the_rows_that_changed(repo: Repo,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The alignment map's rows are remembered (goalsrepo.web.rows): after a check-in on
    pilots, only its row is drawn again (company, above it, has key results of its own,
    and vision above company takes company's progress)."""
    settle(repo.root, 0)
    build(repo.root)
    repo.update_kr("goals/sales/pilots.yaml", "signed", current=1)
    repo.commit("Signed one", who=CAROL, date=day("2026-10-20", 15))
    settle(repo.root, 1)
    drawn: list[str] = []
    line = widgets._tree_line

    def spy(root: str, card: Card, meta: str) -> str:
        drawn.append(card.id)
        return line(root, card, meta)

    monkeypatch.setattr(widgets, "_tree_line", spy)
    build(repo.root)
    assert drawn == ["pilots"]


def test_a_rebuild_sums_only_the_groups_that_changed(repo: Repo, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A group's summary (a team's, a period's, everyone's) and its row in the tables of
    groups are remembered with the rows: after a check-in on pilots, only the groups that
    hold it are summed again, and only the rows of the sums that changed are drawn."""
    summed: list[set[str]] = []
    sums: list[tuple[object, ...]] = []
    drawn: list[tuple[object, ...]] = []
    real, put = pages._summary, Rows.put

    def spy(cards: list[Card]) -> dict[str, Any]:
        found = real(cards)
        summed.append({c.id for c in cards})
        sums.append((found["goals"], found["progress"], found["expected"],
                     tuple(found["health"])))
        return found

    def spy_put(self: Rows, key: Hashable, row: Any) -> Any:
        if isinstance(key, tuple) and key[0] == "summary_row":
            drawn.append(key[4:])  # the numbers it shows
        return put(self, key, row)

    monkeypatch.setattr(pages, "_summary", spy)
    monkeypatch.setattr(Rows, "put", spy_put)
    settle(repo.root, 0)
    build(repo.root)
    assert any("pilots" not in group for group in summed)  # other groups are summed
    repo.update_kr("goals/sales/pilots.yaml", "signed", current=1)
    repo.commit("Signed one", who=CAROL, date=day("2026-10-20", 15))
    settle(repo.root, 1)
    summed.clear()
    sums.clear()
    drawn.clear()
    build(repo.root)
    assert summed and all("pilots" in group for group in summed)
    assert drawn and all(numbers in sums for numbers in drawn)
    assert_as_cold(repo.root, tmp_path / "cold")


@pytest.mark.parametrize("damage", [b"", b"\x00garbage", "truncated", "flipped"])
def test_damaged_remembered_rows_are_drawn_again(repo: Repo, tmp_path: Path,
                                                 damage: bytes | str) -> None:
    build(repo.root)
    rows = repo.root / ".git" / "goalsrepo" / "site" / "rows.marshal"
    data = rows.read_bytes()
    if damage == "truncated":
        damage = data[: len(data) // 2]
    elif damage == "flipped":
        damage = data[:-10] + bytes([data[-10] ^ 0x5A]) + data[-9:]
    assert isinstance(damage, bytes)
    rows.write_bytes(damage)
    repo.update_kr("goals/sales/pilots.yaml", "signed", current=1)
    repo.commit("Signed one", who=CAROL, date=day("2026-10-20", 15))
    settle(repo.root, 1)
    build(repo.root)
    assert_as_cold(repo.root, tmp_path / "cold")
