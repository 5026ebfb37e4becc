"""The site across periods, on the scripted quarter of tests/quarter.py: a period's
burn-up before its end, its review after it (numbers checked by hand), goals across
periods on goal pages, and incremental builds that equal cold ones."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from gitrepo import BOB, Repo, day, git, run_cli
from quarter import FASTER, close_and_roll_over, quarter_repo


def build(repo: Path, out: Path, *extra: str) -> Path:
    result = run_cli("build", "-C", str(repo), "-o", str(out), *extra)
    assert result.exit_code == 0, result.output
    return out


def text(page: Path) -> str:
    """A page's text: inline tags dropped, other tags a space, entities decoded, white
    space squeezed."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page.read_text(), flags=re.S)
    body = re.sub(r"</?(a|span|strong|code|time|em)\b[^>]*>", "", body)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


@pytest.fixture(scope="module")
def closed(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    """The quarter closed on Jan 08 (hiring kept open) and rolled over on Jan 09."""
    return close_and_roll_over(quarter_repo(tmp_path_factory.mktemp("closed") / "repo"))


@pytest.fixture(scope="module")
def site(closed: Repo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(closed.root, tmp_path_factory.mktemp("site") / "out")


def test_the_review_shows_hand_computed_numbers(site: Path) -> None:
    page = text(site / "periods/2026-_q4.html")
    assert "2026-Q4 review" in page
    # (0.7 + 0.8 + 0.5 + 1.0) / 4: idea is a draft and has no score
    assert "average score 0.75" in page
    assert ("1 achieved 3 missed 0 dropped 3 continued 0 active 1 draft") in page
    assert "4 goals scored: 1 at 0.5, 1 at 0.7, 1 at 0.8, 1 at 1.0." in page
    # by team: platform (0.7 + 0.5) / 2, sales 1.0 (the draft unscored), grow alone
    assert "Platform 2 2 0.60 Sales 2 1 1.00 No team 1 1 0.80" in page
    assert ("Ship any change to production within one hour → faster-deploys-2027-q1 "
            "(2027-Q1)") in page
    assert "Hire four site reliability engineers for the platform team → hiring-2027-q1" \
        in page


def test_the_review_lists_every_adjustment_with_its_reason_and_the_wins(site: Path) -> None:
    page = text(site / "periods/2026-_q4.html")
    assert ("2026-11-15 Carol Cruz on Make onboarding self-serve for every new customer: "
            "signups target 100 → 80") in page
    assert "Lower the sign-up target: the market shrank" in page
    wins = page.split(" Wins ", 1)[1]
    assert wins.index("Key result hit: Keep first-month churn below 5%") < \
        wins.index("Goal achieved — Make onboarding self-serve")


def test_scores_on_goal_pages_are_the_ones_status_shows(site: Path, closed: Repo) -> None:
    result = run_cli("status", "-C", str(closed.root), "--format", "json")
    for goal in json.loads(result.stdout)["goals"]:
        head = text(site / f"goals/{goal['id']}.html").split(" Progress ", 1)[1]
        head = head.split("Owner", 1)[0]  # the progress line, under the heading
        if goal["score"] is None:
            assert "score" not in head, goal["id"]
        else:
            assert f"· score {goal['score']:.1f}" in head, goal["id"]


def test_goal_pages_show_the_chain_across_periods(site: Path) -> None:
    successor = text(site / "goals/faster-deploys-2027-q1.html")
    assert "Continues faster-deploys (2026-Q4, score 0.7)" in successor
    predecessor = text(site / "goals/faster-deploys.html")
    assert "Continued in faster-deploys-2027-q1 (2027-Q1)" in predecessor
    assert "Continues" not in predecessor


def test_a_key_result_carried_over_starts_where_it_ended(site: Path) -> None:
    page = (site / "goals/faster-deploys-2027-q1.html").read_text()
    # deploy-time ended 2026-Q4 at 13 (Jan 05); the successor was written on Jan 09
    assert ("Median deploy time went from 13 min on 2027-01-05 to 13 min on 2027-01-09"
            in page)


def test_before_its_end_a_period_shows_its_burn_up(closed: Repo, tmp_path: Path) -> None:
    out = build(closed.root, tmp_path / "early", "--as-of", "2026-12-01")
    page = (out / "periods/2026-_q4.html").read_text()
    assert "Review" not in text(out / "periods/2026-_q4.html")
    # Oct 01: hiring 0.5 alone, /5 = 0.1. Nov 15: faster 0.375, onboarding 0.375,
    # hiring 0.5, idea 0, grow (0.375 + 0.375) / 2: 1.625 / 5 = 0.325
    assert ("Average progress of 2026-Q4 went from 10% on 2026-10-01 to 32.5% on "
            "2026-12-01; expected by now: 67%; target 100% by 2026-12-31.") in page  # 61 / 91 days
    assert page.count('class="chart-dot"') == 5  # Oct 01, Oct 20, Nov 10, Nov 15, Dec 01


def test_an_incremental_build_equals_a_cold_one(closed: Repo, tmp_path: Path) -> None:
    work = Repo.__new__(Repo)
    work.root = tmp_path / "work"
    git(tmp_path, "clone", "--quiet", str(closed.root), str(work.root))
    out = build(work.root, tmp_path / "site")
    # a check-in on a successor: the burn-up of 2027-Q1 and the chain on the
    # predecessor's page move; then a late score fix on the predecessor: the review moves
    path = "goals/platform/2027-Q1/faster-deploys-2027-q1.yaml"
    work.write(path, (work.root / path).read_text().replace("current: 13", "current: 11"))
    work.commit("Faster again", who=BOB, date=day("2027-01-20"))
    build(work.root, out)
    work.write(FASTER, (work.root / FASTER).read_text().replace("status: missed",
                                                                "status: achieved"))
    work.commit("Regrade", date=day("2027-01-21"))
    build(work.root, out)
    cold = tmp_path / "cold"
    git(tmp_path, "clone", "--quiet", str(work.root), str(cold))
    fresh = build(cold, tmp_path / "fresh")
    pages = sorted(p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file())
    assert sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file()) == pages
    for page in pages:
        assert (out / page).read_bytes() == (fresh / page).read_bytes(), page
    assert "1 at 0.7" in text(out / "periods/2026-_q4.html")  # regraded: 0.7, achieved
