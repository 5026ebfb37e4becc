"""``digest`` names the people who must act: the window says which days are in, at-risk
entries name owners, Slack and Teams payloads mention them within the services' documented
structure and limits, and ``--person`` / ``--team`` narrow the agenda."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from gitrepo import BOB, CAROL, Repo, day, goal, new_repo, numeric

from goalsrepo.cli import cli

PEOPLE = {"people": [
    {"id": "alice", "name": "Alice Archer", "email": "alice@example.com", "team": "platform",
     "slack": "U012AB3CD", "teams": "alice@acme.example"},
    {"id": "bob", "name": "Bob Baker", "email": "bob@example.com", "team": "sre"},
    {"id": "carol", "name": "Carol <Cruz>", "email": "carol@example.com", "team": "sales",
     "slack": "W0123ABCD", "teams": "carol@acme.example"},
]}
TEAMS = {"teams": [{"id": "platform", "name": "Platform"},
                   {"id": "sre", "name": "SRE", "parent": "platform"},
                   {"id": "sales", "name": "Sales"}]}
PLATFORM, SRE, SALES = ("goals/platform.yaml", "goals/sre.yaml", "goals/sales.yaml")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """platform (alice; bob contributes), sre (bob), sales (carol), all 2026-Q4.
    2026-11-13 Bob moves sre; 2026-11-14 Carol moves sales (Bob's sre goal not touched);
    2026-11-20 a goal-free commit, so T = 2026-11-20. Nothing else moves: platform and
    sales fall behind the expected line (at risk or off track)."""
    r = new_repo(tmp_path / "repo")
    r.write_yaml("people.yaml", PEOPLE)
    r.write_yaml("teams.yaml", TEAMS)
    r.write_yaml(PLATFORM, goal("platform", owner="alice", team="platform", period="2026-Q4",
                                level="organization", contributors=["bob"],
                                key_results=[numeric("p", 0, 100, 0)]))
    r.write_yaml(SRE, goal("sre", owner="bob", team="sre", period="2026-Q4",
                           level="organization", due="2026-11-25",
                           key_results=[numeric("s", 0, 10, 0)]))
    r.write_yaml(SALES, goal("sales", owner="carol", team="sales", period="2026-Q4",
                             level="organization", due="2026-11-30",
                             key_results=[numeric("c", 0, 10, 0)]))
    r.commit("Plan", date=day("2026-10-01"))
    r.update_kr(SRE, "s", current=3)
    r.commit("sre moves", who=BOB, date=day("2026-11-13"))
    r.update_kr(SALES, "c", current=1)
    r.commit("sales moves", who=CAROL, date=day("2026-11-14"))
    r.write("notes.txt", "x")
    r.commit("notes", date=day("2026-11-20"))
    return r


def run(root: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["digest", "-C", str(root), *args])


def as_json(root: Path, *args: str) -> dict[str, Any]:
    result = run(root, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_the_window_and_its_words_agree(repo: Repo) -> None:
    """--since 7 at T = 2026-11-20 is 2026-11-14 .. 2026-11-20: the 14th is in, the 13th
    is not; --since 8 takes the 13th."""
    seven = as_json(repo.root)
    assert (seven["since"], seven["as_of"], seven["days"]) == ("2026-11-14", "2026-11-20", 7)
    assert [m["goal"] for m in seven["moved"]] == ["sales"]
    assert [m["goal"] for m in as_json(repo.root, "--since", "8")["moved"]] == ["sales", "sre"]
    text = run(repo.root).stdout
    assert text.splitlines()[0] == \
        "## Test goals: goals review, 2026-11-14 to 2026-11-20 (7 days)"
    one = run(repo.root, "--since", "1").stdout
    assert one.splitlines()[0] == "## Test goals: goals review, 2026-11-20 (1 day)"


def test_at_risk_and_due_name_the_owner(repo: Repo) -> None:
    payload = as_json(repo.root)
    assert [(i["goal"], i["owner"], i["people"]) for i in payload["at_risk"]] == [
        ("platform", "alice", ["Alice Archer"]), ("sales", "carol", ["Carol <Cruz>"]),
        ("sre", "bob", ["Bob Baker"])]
    # Due in the next 7 days: sre (2026-11-25), not sales (2026-11-30).
    assert [(i["goal"], i["what"], i["people"]) for i in payload["due"]] == [
        ("sre", "due 2026-11-25: 30% done", ["Bob Baker"])]
    text = run(repo.root).stdout
    assert "- **platform** (Goal platform reaches its target): off track: 0% done, 55% " \
           "expected — Alice Archer" in text


def test_a_person_s_one_to_one(repo: Repo) -> None:
    bob = as_json(repo.root, "--person", "bob", "--since", "8")
    assert bob["scope"] == {"kind": "person", "id": "bob"}
    # Bob owns sre and contributes to platform; sales is not his.
    assert [i["goal"] for i in bob["at_risk"]] == ["platform", "sre"]
    assert [i["goal"] for i in bob["moved"]] == ["sre"]
    assert [(i["goal"], i["people"]) for i in bob["checkins"]] == [("sre", ["Bob Baker"])]
    assert [i["goal"] for i in bob["due"]] == ["sre"]  # within 14 days
    carol = as_json(repo.root, "--person", "carol")
    assert [i["goal"] for i in carol["checkins"]] == ["sales"]
    assert [i["goal"] for i in carol["due"]] == ["sales"]  # 10 days ahead: in a one-to-one
    text = run(repo.root, "--person", "bob").stdout
    assert text.splitlines()[0].startswith("## Test goals: one-to-one with Bob Baker, ")
    assert "### Check-ins by Bob Baker" in text and "### Due in the next 14 days" in text


def test_a_team_with_its_sub_teams(repo: Repo) -> None:
    platform = as_json(repo.root, "--team", "platform", "--since", "8")
    assert [i["goal"] for i in platform["at_risk"]] == ["platform", "sre"]
    assert [i["goal"] for i in platform["moved"]] == ["sre"]
    assert "checkins" not in platform
    assert [i["goal"] for i in as_json(repo.root, "--team", "sre")["at_risk"]] == ["sre"]


@pytest.mark.parametrize("fmt", ["markdown", "json", "slack", "teams"])
def test_scopes_in_every_format(repo: Repo, fmt: str) -> None:
    for args in (["--person", "alice"], ["--team", "sales"]):
        result = run(repo.root, "--format", fmt, *args)
        assert result.exit_code == 0, result.output
    for args, message in ((["--person", "nobody"], "no person `nobody`"),
                          (["--team", "nope"], "no team `nope`"),
                          (["--person", "alice", "--team", "sales"], "exclusive")):
        result = run(repo.root, "--format", fmt, *args)
        assert result.exit_code == 2 and message in result.stderr, result.output


def _slack(root: Path, *args: str) -> dict[str, Any]:
    result = run(root, "--format", "slack", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _teams(root: Path, *args: str) -> dict[str, Any]:
    result = run(root, "--format", "teams", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def check_slack(payload: dict[str, Any]) -> str:
    """Slack's documented limits: a top-level text, at most 50 blocks, a header's
    plain_text at most 150 characters, a section's text at most 3,000."""
    assert isinstance(payload["text"], str) and payload["text"]
    blocks = payload["blocks"]
    assert 1 <= len(blocks) <= 50
    assert blocks[0]["type"] == "header" and blocks[0]["text"]["type"] == "plain_text"
    assert len(blocks[0]["text"]["text"]) <= 150
    for block in blocks[1:]:
        if block["type"] == "section":
            assert block["text"]["type"] == "mrkdwn" and len(block["text"]["text"]) <= 3000
    return "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")


def check_teams(payload: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """A Teams message: one Adaptive Card attachment within 28 KB, each ``<at>`` text in
    the card matched by exactly one mention entity and each entity used."""
    assert payload["type"] == "message"
    (attachment,) = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert len(json.dumps(payload).encode()) <= 28 * 1024
    text = "\n".join(b["text"] for b in card["body"])
    entities = card.get("msteams", {}).get("entities", [])
    used = set(re.findall(r"<at>.*?</at>", text))
    assert {e["text"] for e in entities} == used
    for entity in entities:
        assert entity["type"] == "mention"
        assert set(entity["mentioned"]) == {"id", "name"}
        name = entity["mentioned"]["name"].replace("<", "").replace(">", "")
        assert entity["text"] == f"<at>{name}</at>"
    return text, entities


def test_slack_mentions_the_owners_who_must_act(repo: Repo) -> None:
    text = check_slack(_slack(repo.root))
    at_risk = text[text.index("*At risk"):text.index("*Due")]
    assert "(<@U012AB3CD>)" in at_risk and "(<@W0123ABCD>)" in at_risk
    assert "(Bob Baker)" in at_risk  # no slack id: the name
    moved = text[text.index("*Progress moved*"):text.index("*At risk")]
    assert "<@" not in moved and "(Carol &lt;Cruz&gt;)" in moved  # credit, escaped


def test_teams_mentions_with_entities(repo: Repo) -> None:
    text, entities = check_teams(_teams(repo.root))
    assert sorted((e["mentioned"]["id"], e["mentioned"]["name"]) for e in entities) == [
        ("alice@acme.example", "Alice Archer"), ("carol@acme.example", "Carol <Cruz>")]
    assert "(<at>Alice Archer</at>)" in text and "(<at>Carol Cruz</at>)" in text
    assert "(Bob Baker)" in text


def test_a_huge_digest_is_cut_to_the_limits_with_mentions_whole(tmp_path: Path) -> None:
    r = new_repo(tmp_path / "big")
    r.write_yaml("people.yaml", PEOPLE)
    long = "Make the quarterly revenue numbers " + "really " * 60 + "good"
    for i in range(400):
        r.write_yaml(f"goals/g{i:03}.yaml", goal(
            f"g{i:03}-" + "x" * 50, owner=("alice", "bob", "carol")[i % 3], period="2026-Q4",
            level="organization", title=long, due="2026-11-22",
            key_results=[numeric("k", 0, 10, 0), {"id": "m", "title": long, "done": False}]))
    r.commit("Plan", date=day("2026-10-01"))
    for i in range(0, 400, 2):
        r.update_kr(f"goals/g{i:03}.yaml", "m", done=True)
    r.commit("Many milestones " + "done " * 200, who=BOB, date=day("2026-11-19"))
    slack = check_slack(_slack(r.root, "--format", "slack"))
    assert "… and" in slack
    mentions = re.findall(r"<@([^>\s]*)>", slack)  # none cut in two: each <@ is whole
    assert mentions and len(mentions) == slack.count("<@")
    assert set(mentions) == {"U012AB3CD", "W0123ABCD"}
    text, entities = check_teams(_teams(r.root))
    assert "… and" in text and entities

