"""``digest`` over a dated history: exactly the expected moves and wins, chat payloads, and
posting to a real HTTP server on 127.0.0.1 without ever showing the webhook URL."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner
from gitrepo import BOB, CAROL, Repo, day, goal, new_repo, numeric

from goalsrepo.cli import cli

A, B = "goals/a.yaml", "goals/b.yaml"


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """a: k 0 -> 10 (start 2), b: m milestone KR; created 2026-10-01 by Alice.
    2026-10-20 Bob: a.k 2 -> 4 (outside a 7-day digest at T = 2026-11-10).
    2026-11-05 Carol: a.k 4 -> 10 (reaches its target: a win), b.m done (a win).
    2026-11-10: a goal-free commit, so T = 2026-11-10."""
    r = new_repo(tmp_path / "repo")
    r.write_yaml(A, goal("a", level="organization", period="2026-Q4",
                         key_results=[numeric("k", 0, 10, 2)]))
    r.write_yaml(B, goal("b", level="organization", period="2026-Q4",
                         key_results=[{"id": "m", "title": "Ship it", "done": False}]))
    r.commit("Plan", date=day("2026-10-01"))
    r.update_kr(A, "k", current=4)
    r.commit("a: 2 -> 4", who=BOB, date=day("2026-10-20"))
    r.update_kr(A, "k", current=10)
    r.update_kr(B, "m", done=True)
    r.commit("Both done", who=CAROL, date=day("2026-11-05"))
    r.write("notes.txt", "x")
    r.commit("notes", date=day("2026-11-10"))
    return r


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def digest(root: Path, *args: str) -> dict[str, Any]:
    result = run("digest", "-C", str(root), "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_moves_and_wins_of_the_last_week(repo: Repo) -> None:
    payload = digest(repo.root)
    # Seven days, both ends in: 2026-11-04 to 2026-11-10.
    assert (payload["since"], payload["as_of"], payload["days"]) == (
        "2026-11-04", "2026-11-10", 7)
    assert [(m["goal"], m["what"], m["people"]) for m in payload["moved"]] == [
        ("a", "k current 4 → 10", ["Carol Cruz"]),
        ("b", "m done not done → done", ["Carol Cruz"]),
    ]
    assert [(w["goal"], w["what"]) for w in payload["wins"]] == [
        ("a", "key result reached its target: k"),
        ("b", "key result reached its target: m"),
    ]
    assert {m["commit"] for m in payload["moved"]} == {repo.git("rev-parse", "HEAD~1").strip()}


def test_a_longer_window_includes_the_older_move(repo: Repo) -> None:
    moved = digest(repo.root, "--since", "30")["moved"]
    assert (moved[0]["goal"], moved[0]["what"]) == ("a", "k current 2 → 4")


def test_stale_goals_are_listed_with_their_owner(repo: Repo) -> None:
    # At T = 2026-11-10 nothing is stale (last check-in 2026-11-05); 20 days later both are.
    repo.write("notes.txt", "y")
    repo.commit("later", date=day("2026-11-30"))
    stale = digest(repo.root)["stale"]
    assert [(s["goal"], s["owner"]) for s in stale] == [("a", "alice"), ("b", "alice")]


def test_slack_and_teams_payloads(repo: Repo) -> None:
    slack = json.loads(run("digest", "-C", str(repo.root), "--format", "slack").stdout)
    assert slack["blocks"][0]["type"] == "header" and len(slack["blocks"]) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in slack["blocks"] if "text" in b)
    teams = json.loads(run("digest", "-C", str(repo.root), "--format", "teams").stdout)
    card = teams["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["type"] == "AdaptiveCard"


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []
    status: ClassVar[int] = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append(json.loads(body))
        self.send_response(_Hook.status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    _Hook.received, _Hook.status = [], 200
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/services/SECRET-TOKEN"
    server.shutdown()
    server.server_close()


def test_post_delivers_the_payload(repo: Repo, hook: str) -> None:
    result = run("digest", "-C", str(repo.root), "--format", "slack", "--post", hook)
    assert result.exit_code == 0, result.output
    assert "SECRET-TOKEN" not in result.output
    (payload,) = _Hook.received
    assert payload["blocks"][0]["type"] == "header"


def test_the_url_comes_from_the_environment(repo: Repo, hook: str) -> None:
    result = run("digest", "-C", str(repo.root), "--format", "teams",
                 env={"GOALSREPO_WEBHOOK_URL": hook})
    assert result.exit_code == 0, result.output
    assert _Hook.received[0]["type"] == "message"


def test_a_refusing_webhook_fails_without_showing_the_url(repo: Repo, hook: str) -> None:
    _Hook.status = 403
    result = run("digest", "-C", str(repo.root), "--format", "slack", "--post", hook)
    assert result.exit_code == 1
    assert "HTTP 403" in result.output and "SECRET-TOKEN" not in result.output


def test_an_unreachable_webhook_fails_without_showing_the_url(repo: Repo) -> None:
    url = "http://127.0.0.1:9/services/SECRET-TOKEN"  # discard port: nothing listens
    result = run("digest", "-C", str(repo.root), "--format", "slack", "--post", url)
    assert result.exit_code == 1
    assert "could not reach" in result.output and "SECRET-TOKEN" not in result.output


def test_post_needs_a_chat_format(repo: Repo) -> None:
    result = run("digest", "-C", str(repo.root), "--post", "http://127.0.0.1:9/x")
    assert result.exit_code == 2
