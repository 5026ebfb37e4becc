"""``export --format okr-csv`` then ``import goalsrepo-csv`` into an empty repository gives
back the same goals, every field of them: a property test over generated goals."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from goalsrepo.cli import cli
from goalsrepo.files.goalfile import render_goal
from goalsrepo.files.repository import load

CONFIG = """\
periods:
  - id: 2026-Q4
    start: 2026-10-01
    end: 2026-12-31
  - id: 2027-H1
    start: 2027-01-01
    end: 2027-06-30
sources:
  deals: {kind: jira, url: "https://acme.atlassian.net", user_env: JIRA_USER, token_env: JIRA_TOKEN}
  metrics: {kind: json, url: "https://metrics.example/kpis.json"}
  sheet: {kind: csv, url: "https://docs.example/pub?output=csv"}
  probe: {kind: command, run: [./probe.sh]}
"""
PEOPLE_IDS = ["alice", "Bob.B", "carol_c", "d4n"]
TEAM_IDS = ["platform", "Sales.EU", "ops_2"]

ids = st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True)
# Any text a person may type, formula starters, quotes, line breaks and non-ASCII included;
# no surrogates (not UTF-8) and no NUL (no YAML file can hold one).
texts = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                min_size=1, max_size=40)
titles = st.one_of(texts, st.sampled_from(["=SUM(A1)", "+1 more", "-minus", "@here", "'quoted",
                                           "no", "2026-01-01", "1e5", "  padded  ",
                                           "line\nbreak\r\n", "tab\tend"]))
numbers = st.one_of(st.integers(-10**12, 10**12),
                    st.floats(allow_nan=False, allow_infinity=False, width=64))
# After every period's start, so that no due date falls before its goal's start.
days = st.dates(date(2027, 7, 1), date(2099, 12, 31)).map(lambda d: d.isoformat())
urls = st.sampled_from(["https://example.atlassian.net/browse/PLAT-12", "http://a.example/x?y=1",
                        "mailto:team@example.org", "HTTPS://EXAMPLE.ORG/=cell"])


@st.composite
def key_results(draw: Any, kr_id: str) -> dict[str, Any]:
    kind = draw(st.sampled_from(["numeric", "milestone", "control"]))
    kr: dict[str, Any] = {"id": kr_id, "title": draw(titles)}
    if kind == "milestone":
        kr["done"] = draw(st.booleans())
    else:
        if draw(st.booleans()):
            kr["unit"] = draw(texts)
        if kind == "control":
            kr["keep"] = draw(st.sampled_from(["below", "above"]))
            kr["target"] = draw(numbers)
        else:
            kr["start"] = draw(numbers)
            kr["target"] = draw(numbers.filter(lambda n: n != kr["start"]))
        if draw(st.booleans()):
            kr["current"] = draw(numbers)
        if draw(st.booleans()):  # a source of each kind, by name or with what it reads
            kr["source"] = draw(st.sampled_from([
                "probe", {"from": "probe"}, {"from": "deals", "query": "labels = \"won\", x"},
                {"from": "metrics", "pointer": "/a~1b/0"},
                {"from": "sheet", "row": "EMEA: total", "column": "{Q4}"}]))
    if draw(st.booleans()):
        kr["weight"] = draw(st.one_of(st.integers(2, 10), st.floats(0.01, 100)))
    return kr


@st.composite
def goals(draw: Any) -> list[dict[str, Any]]:
    goal_ids = draw(st.lists(ids, min_size=1, max_size=4, unique=True))
    out = []
    for goal_id in goal_ids:
        goal: dict[str, Any] = {"id": goal_id, "title": draw(titles),
                                "level": draw(st.sampled_from(["organization", "team",
                                                               "individual"])),
                                "owner": draw(st.sampled_from(PEOPLE_IDS))}
        optional = {
            "team": st.sampled_from(TEAM_IDS),
            "contributors": st.lists(st.sampled_from(PEOPLE_IDS), min_size=1, unique=True),
            "period": st.sampled_from(["2026-Q4", "2027-H1"]),
            "due": days,
            "aligns_to": st.lists(st.sampled_from([g for g in goal_ids if g < goal_id] or
                                                  ["x"]), min_size=1, unique=True),
            "status": st.sampled_from(["draft", "active", "achieved", "missed", "dropped"]),
            "superseded_by": st.sampled_from(goal_ids),
            # An earlier goal, so that following `continues` never loops.
            "continues": st.sampled_from([g for g in goal_ids if g < goal_id] or ["x"]),
            "description": titles,
        }
        for key, strategy in optional.items():
            if draw(st.booleans()):
                goal[key] = draw(strategy)
        for key in ("aligns_to", "continues"):
            if goal.get(key) in (["x"], "x"):
                del goal[key]
        if "due" in goal and draw(st.booleans()):
            due = goal["due"]
            goal["start"] = draw(days.filter(lambda d, due=due: d <= due))
        kr_ids = draw(st.lists(ids, max_size=4, unique=True))
        if kr_ids:
            goal["key_results"] = [draw(key_results(k)) for k in kr_ids]
        milestones = draw(st.lists(st.fixed_dictionaries(
            {"title": titles},
            optional={"due": days, "done": st.booleans(),
                      "owner": st.sampled_from(PEOPLE_IDS)}), max_size=3))
        if milestones:
            goal["milestones"] = milestones
        links = draw(st.lists(st.fixed_dictionaries({"url": urls}, optional={"title": titles}),
                              max_size=2))
        if links:
            goal["links"] = links
        out.append(goal)
    return out


def invoke(*args: str) -> Any:
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(generated=goals())
def test_export_then_import_gives_back_every_field(tmp_path_factory: Any,
                                                   generated: list[dict[str, Any]]) -> None:
    source = tmp_path_factory.mktemp("source")
    target = tmp_path_factory.mktemp("target")
    (source / "goalsrepo.yaml").write_text(CONFIG)
    (target / "goalsrepo.yaml").write_text(CONFIG)
    (source / "people.yaml").write_text("people:\n" + "".join(
        f"  - id: {p}\n    name: Person {p}\n" for p in PEOPLE_IDS))
    (source / "teams.yaml").write_text("teams:\n" + "".join(
        f"  - id: {t}\n    name: Team {t}\n" for t in TEAM_IDS))
    for goal in generated:
        path = source / "goals" / f"{goal['id']}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_goal(goal), encoding="utf-8")
    before = load(source)
    assert len(before.goals) == len(generated), before.diagnostics

    # The bytes as printed: Click's Result.stdout would turn CRLF inside cells into LF.
    csv_bytes = invoke("export", "-C", str(source), "--format", "okr-csv").stdout_bytes
    exported = tmp_path_factory.mktemp("csv") / "goals.csv"
    exported.write_bytes(csv_bytes)
    out = json.loads(invoke("import", "goalsrepo-csv", str(exported), "-C", str(target),
                            "--format", "json").stdout)
    assert out["dropped"] == [] and out["skipped"] == []

    after = load(target)
    assert after.diagnostics == []
    expected, got = _fields(before.goals), _fields(after.goals)
    assert got.keys() == expected.keys()
    for goal_id, fields in expected.items():
        for name, value in fields.items():
            assert (goal_id, name, got[goal_id][name]) == (goal_id, name, value)
    invoke("validate", "-C", str(target))


def _fields(goals: list[Any]) -> dict[str, dict[str, Any]]:
    """Every field of every goal but the file's path (a new repository files goals by team
    and period); numbers compared by value and type."""
    out = {}
    for goal in goals:
        fields = {k: v for k, v in msgspec.structs.asdict(goal).items() if k != "path"}
        fields["key_results"] = [
            {**msgspec.structs.asdict(kr),
             "types": [type(v).__name__ for v in msgspec.structs.astuple(kr)]}
            for kr in goal.key_results]
        out[goal.id] = fields
    return out


def test_formula_starts_and_quotes_survive_a_spreadsheet_cell(tmp_path: Path) -> None:
    from goalsrepo.files.model import Goal
    from goalsrepo.integrations.importers.goalsrepo_csv import write

    goal = Goal.from_data({"id": "g", "title": "=HYPERLINK(\"x\")", "owner": "alice",
                           "description": "'already quoted"}, "goals/g.yaml")
    line = write([goal]).splitlines()[1]
    assert line.startswith("g,\"'=HYPERLINK(\"\"x\"\")\",team,alice,")
    assert ",''already quoted," in line
