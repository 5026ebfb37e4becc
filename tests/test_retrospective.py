"""``digest --period``: the retrospective's agenda in every digest format, on the quarter
of tests/quarter.py closed and rolled over (the numbers are worked out there)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import pytest
from gitrepo import Repo, run_cli
from quarter import close_and_roll_over, quarter_repo


@pytest.fixture(scope="module")
def closed(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    repo = quarter_repo(tmp_path_factory.mktemp("retro") / "repo")
    return close_and_roll_over(repo, "faster-deploys")


def digest(repo: Repo, *args: str) -> str:
    result = run_cli("digest", "--period", "2026-Q4", "-C", str(repo.root), *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_markdown_agenda(closed: Repo) -> None:
    text = digest(closed)
    assert text.startswith("## Test goals: 2026-Q4 retrospective (2026-10-01 to 2026-12-31, "
                           "as of 2027-01-09)\n")
    # (0.7 + 0.8 + 0.5 + 1.0) / 4; hiring is still active (kept), scored at Dec 31
    assert "- Average score 0.75; 1 achieved, 2 missed, 1 continued, 1 active, 1 draft.\n" \
        in text
    assert "- Platform: average 0.60 (2 of 2 scored)\n" in text
    assert "- Sales: average 1.00 (1 of 2 scored)\n" in text
    # grow stays 0.8 although faster-deploys' successor now aligns to it too: a goal
    # without key results scores the goals aligned to it when it was closed
    missed = text.split("### Missed\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert missed == [
        "- grow (Grow the business with customers who stay): score 0.8 — Alice Archer",
        "- faster-deploys (Ship any change to production within one hour): score 0.7 — "
        "Alice Archer"]
    assert "- hiring (Hire four site reliability engineers for the platform team): " \
        "score 0.5 — Dan Dorn" in text.split("### Still open", 1)[1]
    assert ("signups target 100 → 80 — Carol Cruz: “Lower the sign-up target: the market "
            "shrank”") in text
    assert "key result hit: Keep first-month churn below 5% — Carol Cruz" in text
    rolls = text.split("### Rolls over\n\n", 1)[1].splitlines()
    assert rolls == [
        "- faster-deploys (Ship any change to production within one hour) → "
        "faster-deploys-2027-q1 (2027-Q1)",
        "- grow (Grow the business with customers who stay): not rolled over yet "
        "(`goalsrepo rollover 2026-Q4 NEXT`)",
        "- hiring (Hire four site reliability engineers for the platform team): not rolled "
        "over yet (`goalsrepo rollover 2026-Q4 NEXT`)"]


def test_json_agenda(closed: Repo) -> None:
    found = json.loads(digest(closed, "--format", "json"))
    assert found["version"] == 1 and found["kind"] == "retrospective"
    assert found["period"] == {"id": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"}
    assert found["ended"] is True and found["average"] == 0.75
    assert found["counts"] == {"achieved": 1, "missed": 2, "dropped": 0, "continued": 1,
                               "active": 1, "draft": 1}
    assert found["histogram"] == [0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 1]
    assert [(g["id"], g["score"], g["status"]) for g in found["goals"]] == [
        ("onboarding", 1.0, "achieved"), ("grow", 0.8, "missed"),
        ("faster-deploys", 0.7, "missed"), ("hiring", 0.5, "active"), ("idea", None, "draft")]
    [adjustment] = found["adjustments"]
    assert (adjustment["goal"], adjustment["date"], adjustment["reason"]) == (
        "onboarding", "2026-11-15", "Lower the sign-up target: the market shrank")
    assert found["rolled_over"][0] == {"goal": "faster-deploys",
                                       "successor": "faster-deploys-2027-q1",
                                       "period": "2027-Q1"}


def test_chat_payloads(closed: Repo) -> None:
    slack = json.loads(digest(closed, "--format", "slack"))
    assert slack["blocks"][0]["type"] == "header"
    titles = [b["text"]["text"].split("\n", 1)[0] for b in slack["blocks"][1:]]
    assert titles == ["*Scores*", "*Achieved*", "*Missed*", "*Still open*",
                      "*Drift: targets and dates that moved*", "*Wins*", "*Rolls over*"]
    teams = json.loads(digest(closed, "--format", "teams"))
    card = teams["attachments"][0]["content"]
    assert card["type"] == "AdaptiveCard"
    assert [b["text"] for b in card["body"][1::2]] == [
        "Scores", "Achieved", "Missed", "Still open", "Drift: targets and dates that moved",
        "Wins", "Rolls over"]


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_post_sends_the_retrospective(closed: Repo) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    _Hook.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/services/SECRET"
        out = digest(closed, "--format", "slack", "--post", url)
    finally:
        server.shutdown()
        server.server_close()
    assert out == "Posted the retrospective (slack): HTTP 200\n"
    [payload] = _Hook.received
    assert "2026-Q4 retrospective" in payload["text"]


def test_an_unknown_period_is_an_error(closed: Repo) -> None:
    result = run_cli("digest", "--period", "2031-Q1", "-C", str(closed.root))
    assert result.exit_code == 1
    assert "period `2031-Q1` is not defined" in result.stderr
