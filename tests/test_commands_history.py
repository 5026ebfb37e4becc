"""``status``, ``tree``, ``history`` and ``export`` through the CLI: the JSON shapes of
SPEC §8, the filters, and numbers worked out by hand from the files and commits below."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from gitrepo import (
    BOB,
    CAROL,
    Repo,
    chain_repo,
    cli_json,
    day,
    goal,
    new_repo,
    numeric,
    run_cli,
)

GOAL_KEYS = {"id", "title", "level", "owner", "team", "period", "start", "due", "status",
             "aligns_to", "progress", "expected", "health", "stale", "last_checkin", "score",
             "key_results"}
KR_KEYS = {"id", "title", "kind", "unit", "start", "target", "current", "done", "keep",
           "weight", "progress"}
EVENT_KEYS = {"commit", "date", "author", "authors", "message", "kind", "changes"}
CSV_COLUMNS = ["id", "title", "level", "owner", "team", "period", "start", "due", "status",
               "aligns_to", "progress", "expected", "health", "stale", "last_checkin", "score",
               "key_results"]  # SPEC §8's goal fields, as docs/commands/export.md lists them

FASTER = "goals/platform/2026-Q4/faster-deploys.yaml"
BOB_LEARNS = "goals/sales/2026-Q4/bob-learns.yaml"


@pytest.fixture(scope="module")
def acme(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    """Five goals, committed on Oct 1; check-ins on Nov 1 and Nov 10; HEAD on Nov 15.

    T = 2026-11-15: the quarter Oct 1 -> Dec 31 is 91 days, T is day 45, so
    expected = 45/91 = 0.494505 -> 0.4945; on_track from 0.3945, at_risk from 0.2445.
    """
    repo = new_repo(tmp_path_factory.mktemp("acme") / "repo", teams=True)
    repo.write_yaml(FASTER, goal(
        "faster-deploys", owner="alice", team="platform", period="2026-Q4",
        aligns_to=["delight"], key_results=[
            numeric("deploy-time", 45, 10, 30, unit="min", weight=2),
            {"id": "runbook", "title": "Publish the deploy runbook", "done": False},
            {"id": "error-rate", "title": "Keep the change failure rate low", "unit": "%",
             "keep": "below", "target": 5, "current": 3.2},
        ]))
    repo.write_yaml("goals/company/delight.yaml", goal(
        "delight", owner="carol", level="organization", period="2026-Q4"))
    repo.write_yaml("goals/sales/2026-Q4/win-deals.yaml", goal(
        "win-deals", owner="bob", team="sales", period="2026-Q4", aligns_to=["delight"],
        key_results=[numeric("deals", 0, 20, 2)]))
    repo.write_yaml(BOB_LEARNS, goal(
        "bob-learns", owner="bob", team="sales", level="individual", period="2026-Q4",
        aligns_to=["faster-deploys", "win-deals"],
        key_results=[{"id": "course", "title": "Finish the course", "done": False}]))
    repo.write_yaml("goals/platform/2026-Q3/old-goal.yaml", goal(
        "old-goal", owner="dan", team="platform", start="2026-07-01", due="2026-09-30",
        status="achieved", key_results=[numeric("x", 0, 10, 9)]))
    repo.commit("Q4 goals", date=day("2026-10-01"))
    repo.update_kr(BOB_LEARNS, "course", done=True)
    repo.commit("Course finished", who=BOB, date=day("2026-11-01"))
    repo.update_kr(FASTER, "deploy-time", current=22)
    repo.commit("Deploys take 22 minutes", who=BOB, date=day("2026-11-10"))
    repo.write("README.md", "Acme goals\n")
    repo.commit("Readme", who=CAROL, date=day("2026-11-15"))
    return repo


def status(repo: Repo, *args: str) -> dict[str, Any]:
    return cli_json("status", "-C", str(repo.root), "--format", "json", *args)  # type: ignore[no-any-return]


def by_id(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {g["id"]: g for g in payload["goals"]}


# --- status --format json ------------------------------------------------------------------


def test_status_json_shape(acme: Repo) -> None:
    payload = status(acme)
    assert set(payload) == {"version", "as_of", "commit", "goals"}
    assert payload["version"] == 1
    assert payload["as_of"] == "2026-11-15"
    assert payload["commit"] == acme.head()
    assert len(payload["goals"]) == 5
    for g in payload["goals"]:
        assert set(g) == GOAL_KEYS, g["id"]
        for kr in g["key_results"]:
            assert set(kr) == KR_KEYS, (g["id"], kr["id"])
        for name in ("progress", "expected"):
            assert g[name] is None or round(g[name], 4) == g[name]


def test_status_json_numbers(acme: Repo) -> None:
    goals = by_id(status(acme))
    fd = goals["faster-deploys"]
    # deploy-time: (22 - 45) / (10 - 45) = 23/35 = 0.657142... -> 0.6571
    # runbook: not done -> 0; error-rate: 3.2 <= 5 -> 1
    # goal: (2 * 23/35 + 0 + 1) / 4 = 81/140 = 0.578571... -> 0.5786
    assert fd["progress"] == 0.5786
    assert fd["expected"] == 0.4945
    assert fd["health"] == "on_track"  # 0.5786 >= 0.4945 - 0.10
    assert (fd["start"], fd["due"], fd["score"]) == ("2026-10-01", "2026-12-31", None)
    assert (fd["stale"], fd["last_checkin"]) == (False, "2026-11-10")
    assert (fd["level"], fd["owner"], fd["team"], fd["period"], fd["status"],
            fd["aligns_to"]) == ("team", "alice", "platform", "2026-Q4", "active", ["delight"])
    assert fd["key_results"] == [
        {"id": "deploy-time", "title": "Measure deploy-time", "kind": "numeric", "unit": "min",
         "start": 45, "target": 10, "current": 22, "done": None, "keep": None, "weight": 2,
         "progress": 0.6571},
        {"id": "runbook", "title": "Publish the deploy runbook", "kind": "milestone",
         "unit": None, "start": None, "target": None, "current": None, "done": False,
         "keep": None, "weight": 1, "progress": 0.0},
        {"id": "error-rate", "title": "Keep the change failure rate low", "kind": "control",
         "unit": "%", "start": None, "target": 5, "current": 3.2, "done": None,
         "keep": "below", "weight": 1, "progress": 1.0},
    ]

    # 2 of 0 -> 20 = 0.1 < 0.2445: off track; no check-in since Oct 1, 45 days > 14: stale
    wd = goals["win-deals"]
    assert (wd["progress"], wd["health"], wd["stale"], wd["last_checkin"]) == (
        0.1, "off_track", True, None)

    # no KRs: the plain average of its children, (81/140 + 0.1) / 2 = 0.339285... -> 0.3393,
    # below 0.3945 but above 0.2445: at risk
    dl = goals["delight"]
    assert (dl["progress"], dl["health"], dl["key_results"], dl["team"]) == (
        0.3393, "at_risk", [], None)

    # course done on Nov 1, exactly 14 days before T: done, and not stale
    bl = goals["bob-learns"]
    assert (bl["progress"], bl["health"], bl["stale"], bl["last_checkin"], bl["level"]) == (
        1.0, "done", False, "2026-11-01", "individual")
    assert bl["aligns_to"] == ["faster-deploys", "win-deals"]

    # achieved, own dates, past due: 9 / 10 = 0.9, expected 1, score 0.9, never stale
    og = goals["old-goal"]
    assert (og["progress"], og["expected"], og["health"], og["score"], og["stale"],
            og["period"], og["start"], og["due"]) == (
        0.9, 1.0, "achieved", 0.9, False, None, "2026-07-01", "2026-09-30")


def test_status_puts_goals_needing_attention_first(acme: Repo) -> None:
    order = [g["health"] for g in status(acme)["goals"]]
    assert order.index("off_track") < order.index("on_track")
    assert order.index("at_risk") < order.index("on_track")
    assert order.index("at_risk") < order.index("done")


@pytest.mark.parametrize(
    ("args", "want"),
    [
        (["--team", "platform"], {"faster-deploys", "old-goal"}),
        (["--team", "platform", "--team", "sales"],
         {"faster-deploys", "old-goal", "win-deals", "bob-learns"}),
        (["--owner", "bob"], {"win-deals", "bob-learns"}),
        (["--owner", "nobody"], set()),
        (["--period", "2026-Q4"], {"faster-deploys", "delight", "win-deals", "bob-learns"}),
        (["--level", "individual"], {"bob-learns"}),
        (["--level", "organization"], {"delight"}),
        (["--health", "off_track"], {"win-deals"}),
        (["--health", "at_risk", "--health", "off_track"], {"delight", "win-deals"}),
        (["--health", "done"], {"bob-learns"}),
        (["--health", "achieved"], {"old-goal"}),
        (["--team", "sales", "--health", "done"], {"bob-learns"}),
        (["--owner", "bob", "--level", "team"], {"win-deals"}),
    ],
)
def test_status_filters(acme: Repo, args: list[str], want: set[str]) -> None:
    assert set(by_id(status(acme, *args))) == want


def test_a_filter_does_not_change_the_numbers(acme: Repo) -> None:
    # delight rolls up its children even when they are filtered out of the listing
    assert by_id(status(acme, "--level", "organization"))["delight"]["progress"] == 0.3393


def test_status_rejects_an_unknown_health() -> None:
    result = run_cli("status", "--health", "great")
    assert result.exit_code == 2


# --- tree --format json --------------------------------------------------------------------


def sorted_tree(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(({**n, "children": sorted_tree(n["children"])} for n in nodes),
                  key=lambda n: n["id"])


def node(goal_id: str, title: str, level: str, progress: float,
         *children: dict[str, Any]) -> dict[str, Any]:
    return {"id": goal_id, "title": title, "level": level, "progress": progress,
            "children": list(children)}


def test_tree_json(acme: Repo) -> None:
    payload = cli_json("tree", "-C", str(acme.root), "--format", "json")
    assert set(payload) == {"version", "as_of", "roots", "orphans"}
    assert (payload["version"], payload["as_of"]) == (1, "2026-11-15")
    bob_learns = node("bob-learns", "Goal bob-learns reaches its target", "individual", 1.0)
    # bob-learns aligns to two goals, so it shows under each of them.
    assert sorted_tree(payload["roots"]) == [
        node("delight", "Goal delight reaches its target", "organization", 0.3393,
             node("faster-deploys", "Goal faster-deploys reaches its target", "team", 0.5786,
                  bob_learns),
             node("win-deals", "Goal win-deals reaches its target", "team", 0.1, bob_learns)),
    ]
    # old-goal is a team goal aligned to nothing
    assert payload["orphans"] == ["old-goal"]


def test_tree_text_marks_a_goal_shown_under_several_parents(acme: Repo) -> None:
    result = run_cli("tree", "-C", str(acme.root))
    assert result.exit_code == 0
    lines = [line for line in result.stdout.splitlines() if "bob-learns" in line]
    assert len(lines) == 2
    assert sum("*" in line for line in lines) == 1
    assert "old-goal" in result.stdout


CHAIN = 5_000
# Levels of the text tree that indent further; deeper lines name their depth instead.
INDENT_LEVELS = 24


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    return chain_repo(tmp_path_factory.mktemp("chain") / "repo", CHAIN)


def deep_loads(text: str) -> Any:
    """Parse JSON nested deeper than ``json``'s C parser takes (it stops at the recursion
    limit): with its Python scanner and the limit raised. Python 3.11's Python-to-Python
    calls take no C stack, so the raised limit is safe."""
    decoder = json.JSONDecoder()
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(limit + 10 * CHAIN)
    try:
        return decoder.decode(text)
    finally:
        sys.setrecursionlimit(limit)


def test_tree_text_follows_a_5000_deep_chain(chain: Repo) -> None:
    """Every goal of the chain on its own line, in order, each rolled up to the 50% of
    the last; the indent stops growing at INDENT_LEVELS and deeper lines say how deep."""
    result = run_cli("tree", "-C", str(chain.root))
    assert result.exit_code == 0, result.output
    line = re.compile(r"( *)(?:\[(\d+)\] )?[█░]{8} +(\d+%)  (\S+)  (.*)")
    lines = result.stdout.splitlines()
    assert lines[CHAIN:] == ["as of 2026-11-02"]
    for depth, text in enumerate(lines[:CHAIN]):
        found = line.fullmatch(text)
        assert found, text
        indent, shown_depth, pct, goal_id, title = found.groups()
        assert len(indent) == 2 * min(depth, INDENT_LEVELS), text
        assert shown_depth == (str(depth) if depth > INDENT_LEVELS else None), text
        assert (pct, goal_id, title) == ("50%", f"c{depth}", f"Goal c{depth} reaches its target")


def test_tree_json_follows_a_5000_deep_chain(chain: Repo) -> None:
    result = run_cli("tree", "-C", str(chain.root), "--format", "json")
    assert result.exit_code == 0, result.output
    payload = deep_loads(result.stdout)
    assert (payload["as_of"], payload["orphans"]) == ("2026-11-02", [])
    nodes, seen = payload["roots"], []
    while nodes:
        assert len(nodes) == 1, nodes
        seen.append((nodes[0]["id"], nodes[0]["level"], nodes[0]["progress"]))
        nodes = nodes[0]["children"]
    assert seen == [(f"c{i}", "organization" if i == 0 else "team", 0.5) for i in range(CHAIN)]
    # Whitespace stops growing with depth: 5,000 levels of indent would be 400 MB.
    assert len(result.stdout) < 1_000 * CHAIN


# --- history GOAL --format json ------------------------------------------------------------


def test_history_json(acme: Repo) -> None:
    payload = cli_json("history", "faster-deploys", "-C", str(acme.root), "--format", "json")
    assert set(payload) == {"version", "goal", "events"}
    assert (payload["version"], payload["goal"]) == (1, "faster-deploys")
    for event in payload["events"]:
        assert set(event) == EVENT_KEYS
        assert set(event["author"]) == {"name", "email", "person"}
        assert event["authors"] == [event["author"]]  # no merge here: the one author
        for change in event["changes"]:
            assert set(change) == {"kr", "field", "old", "new"}
    created, checkin = payload["events"]  # oldest first; README commit is not an event
    assert (created["kind"], created["date"], created["author"]["person"],
            created["message"]) == ("created", "2026-10-01T12:00:00+00:00", "alice", "Q4 goals")
    assert {"kr": None, "field": "owner", "old": None, "new": "alice"} in created["changes"]
    assert checkin == {
        "commit": checkin["commit"],
        "date": "2026-11-10T12:00:00+00:00",
        "author": {"name": "Bob Baker", "email": "bob@example.com", "person": "bob"},
        "authors": [{"name": "Bob Baker", "email": "bob@example.com", "person": "bob"}],
        "message": "Deploys take 22 minutes",
        "kind": "checkin",
        "changes": [{"kr": "deploy-time", "field": "current", "old": 30, "new": 22}],
    }
    assert checkin["commit"] == acme.git("rev-parse", "HEAD~1").strip()


def test_history_text(acme: Repo) -> None:
    result = run_cli("history", "faster-deploys", "-C", str(acme.root))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    first = next(i for i, line in enumerate(lines) if "Q4 goals" in line)
    second = next(i for i, line in enumerate(lines) if "Deploys take 22 minutes" in line)
    assert first < second  # oldest first
    assert "2026-11-10" in lines[second] and "Bob Baker" in lines[second]
    assert any("deploy-time" in line and "30" in line and "22" in line for line in lines)


def test_history_of_an_unknown_goal(acme: Repo) -> None:
    result = run_cli("history", "no-such-goal", "-C", str(acme.root))
    assert result.exit_code == 1
    assert "no-such-goal" in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


# --- export --------------------------------------------------------------------------------


def test_export_json_is_the_status_json(acme: Repo) -> None:
    exported = cli_json("export", "-C", str(acme.root), "--format", "json")
    shown = status(acme)
    assert [g["id"] for g in exported["goals"]] == sorted(g["id"] for g in exported["goals"])
    assert {**exported, "goals": None} == {**shown, "goals": None}
    assert by_id(exported) == by_id(shown)


def test_export_csv(acme: Repo) -> None:
    result = run_cli("export", "-C", str(acme.root), "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == CSV_COLUMNS
    table = {row[0]: dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]}
    assert len(rows) == 1 + 5 and len(table) == 5
    fd = table["faster-deploys"]
    assert (fd["progress"], fd["expected"], fd["health"], fd["start"], fd["due"],
            fd["aligns_to"], fd["key_results"], fd["last_checkin"]) == (
        "0.5786", "0.4945", "on_track", "2026-10-01", "2026-12-31", "delight",
        "deploy-time;runbook;error-rate", "2026-11-10")
    assert table["bob-learns"]["aligns_to"] == "faster-deploys;win-deals"
    assert table["delight"]["aligns_to"] == "" and table["delight"]["team"] == ""
    assert table["old-goal"]["score"] == "0.9"
    # The rows say what the JSON says.
    goals = by_id(status(acme))
    for goal_id, row in table.items():
        assert row["title"] == goals[goal_id]["title"]
        assert row["owner"] == goals[goal_id]["owner"]
        assert float(row["progress"]) == goals[goal_id]["progress"]


def test_export_csv_filters(acme: Repo) -> None:
    result = run_cli("export", "-C", str(acme.root), "--format", "csv", "--owner", "bob")
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert sorted(row[0] for row in rows[1:]) == ["bob-learns", "win-deals"]


@pytest.mark.parametrize("title", [
    '=HYPERLINK("https://evil.example","click")',
    "+1 customers",
    "-2 bugs",
    "@SUM(A1:A2)",
])
def test_export_csv_neutralises_formulas(tmp_path: Path, title: str) -> None:
    repo = new_repo(tmp_path / "repo")
    repo.write_yaml("goals/f.yaml", goal("f", title=title, key_results=[numeric("k", 0, 4, 1)]))
    repo.commit("Formula", date=day("2026-10-01"))
    result = run_cli("export", "-C", str(repo.root), "--format", "csv")
    assert result.exit_code == 0
    (row,) = list(csv.reader(io.StringIO(result.stdout)))[1:]
    cell = dict(zip(CSV_COLUMNS, row, strict=True))["title"]
    assert cell[:1] not in ("=", "+", "-", "@")
    assert title in cell  # still readable, only defused
    assert dict(zip(CSV_COLUMNS, row, strict=True))["progress"] == "0.25"  # 1 / 4
    # JSON is for programs, not spreadsheets: the title stays exactly as written.
    exported = cli_json("export", "-C", str(repo.root), "--format", "json")
    assert exported["goals"][0]["title"] == title


def test_export_json_parses_as_json_only(acme: Repo) -> None:
    result = run_cli("export", "-C", str(acme.root))  # json is the default
    assert result.exit_code == 0
    assert json.loads(result.stdout)["version"] == 1


# --- status as text ------------------------------------------------------------------------


def test_status_text(acme: Repo) -> None:
    result = run_cli("status", "-C", str(acme.root))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    (wd,) = [line for line in lines if line.startswith("win-deals")]
    assert "10%" in wd and "49%" in wd and "off_track" in wd and "stale" in wd
    assert "bob" in wd and "2026-12-31" in wd
    assert "2026-11-15" in lines[-1]
