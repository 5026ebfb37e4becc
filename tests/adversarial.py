"""A hostile goals repository: every text a goal file, people.yaml, teams.yaml or a commit
can carry is full of markup, script, template syntax and odd Unicode, so that the site
tests can check it all shows as text and nothing runs.

The repository is real git history with pinned authors and dates (see :mod:`gitrepo`): it
has check-ins, a target adjustment with a reason, a goal achieved, a milestone done, a goal
with two parents, an orphan and a superseded goal, and it validates without errors. Ids
must match the schema, and ``links[].url`` must be http, https or mailto, so hostile URLs
live only in Markdown descriptions, where the renderer has to defuse them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gitrepo import Repo, Who, day

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
BOLD = "<b>bold</b>"
QUOTES = "\"'><svg onload=alert(1)>"
TEMPLATES = "{{ 7*7 }} {% raw %} ${7*7}"
RTL = "\u202e"          # RIGHT-TO-LEFT OVERRIDE
ZWSP = "\u200b"         # ZERO WIDTH SPACE
PDF = "\u202c"          # POP DIRECTIONAL FORMATTING
LONG_WORD = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 5   # 225 letters, no break
EMOJI = "🎯🚀👩🏽‍💻"

REPO_URL = "https://git.example.org/acme/goals"

# Every visible text the site shows from the data, by what it is.
SITE_TITLE = f"Acme {SCRIPT} {QUOTES} {{{{ 7*7 }}}}"
PERIOD_NAME = f"Q4 {BOLD} {TEMPLATES}"

TITLES = {
    "org-root": f"Delight customers {SCRIPT} every day",
    "org-two": f"Grow revenue {BOLD} {IMG} this quarter {TEMPLATES}",
    "team-quote": f"Ship {QUOTES} faster {{{{ 7*7 }}}} and ${{7*7}} safer",
    "multi-parent": f"Right{RTL}to{PDF}left and zero{ZWSP}width text {EMOJI} stay text",
    "orphan-goal": f"Stand alone {LONG_WORD} with no parent",
    "achieved-goal": f"Finish the {SCRIPT}{IMG} migration before December",
    "old-goal": f"Old plan {QUOTES} replaced by a better one",
    "new-goal": f"New plan {BOLD} that replaces the old one {EMOJI}",
    # An override left open: unless the site isolates the title, it reverses what follows.
    "rtl-leak": f"Keep what follows this title the right way round {RTL}",
}

# Hostile Markdown: raw HTML, script URLs in every link form, an image from elsewhere.
DESCRIPTION = f"""\
Why <b>this</b> matters: {SCRIPT} {IMG} {QUOTES}

Template syntax: {TEMPLATES} and `code <b>not bold</b>`.

[click me](javascript:alert(1)) [upper](JAVASCRIPT:alert(1)) [spaced](  javascript:alert(1)  )
[encoded](jav&#x61;script:alert(1))
[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)
[vb](vbscript:msgbox(1)) [relative](../../../etc/passwd) [ref link][evil] <javascript:alert(1)>

[evil]: javascript:alert(1)

![tracking pixel](https://tracker.example/pixel.png) ![local image](x.png)

A safe link: [the plan](https://example.org/plan?a=1&b=2#top); an empty one: [](https://example.org/empty).

{LONG_WORD}

Right{RTL}to-left and zero{ZWSP}width {EMOJI}.
"""

MALLORY = Who("Mallory Mayhem", "mallory@example.com")
EVE = Who("Eve O'Brien", "eve@example.com")
TRENT = Who("Trent", "trent@example.com")
# Not in people.yaml, so the site shows git's own name for the author. git drops `<` and
# `>` from names (they delimit the e-mail), so the hostile part is quotes, entities,
# template syntax and Unicode.
STRANGER = Who(f"Zed &lt;b&gt; &amp; \"quoted\" 'apos' {{{{ 7*7 }}}} ${{7*7}} {RTL}x{PDF} {EMOJI}",
               "zed@elsewhere.example")
STRANGER_NAME = STRANGER.name

PEOPLE = {"people": [
    {"id": "mallory", "name": f"Mallory {IMG}", "email": "mallory@example.com",
     "team": "red-team", "role": SCRIPT, "partner": "Eve.O_Brien"},
    {"id": "Eve.O_Brien", "name": f"Eve {QUOTES} O'Brien", "email": "eve@example.com",
     "team": "red-team", "role": TEMPLATES, "manager": "mallory"},
    {"id": "trent", "name": f"Trent {RTL}evil{PDF} {TEMPLATES} {EMOJI}",
     "email": "trent@example.com", "team": "blue_Team"},
]}

TEAMS = {"teams": [
    {"id": "red-team", "name": f"Red {BOLD} team {TEMPLATES}", "lead": "mallory",
     "mission": f"{SCRIPT} {{{{ 7*7 }}}} {ZWSP} {LONG_WORD}"},
    {"id": "blue_Team", "name": f"Blue {QUOTES} team", "lead": "trent", "parent": "red-team",
     "mission": f"{IMG} {RTL}reversed{PDF}"},
]}

CONFIG = {
    "title": SITE_TITLE,
    "repo_url": REPO_URL,
    "periods": [{"id": "2026-Q4", "name": PERIOD_NAME, "start": "2026-10-01",
                 "end": "2026-12-31"}],
    "checkin_days": 14,
}

KR_TITLE = f"Median {SCRIPT} deploy time {LONG_WORD}"
KR_UNIT = "<b>min</b>"
MILESTONE_TITLE = f"Measure {IMG} the {{{{ 7*7 }}}} pipeline {LONG_WORD}"
MILESTONE_DONE = f"Write the {SCRIPT} runbook {QUOTES}"
LINK_TITLE = f"{IMG} Jira {SCRIPT} epic"
LINK_URL = "https://example.atlassian.net/browse/PLAT-12?q=%22%3E%3Cscript%3E&x=\"'><b>"
ADJUST_MESSAGE = (f"Adjust target {QUOTES} {TEMPLATES}\n\nBecause {SCRIPT} and {IMG}: "
                  f"the old target was unrealistic {RTL}honest{PDF} {EMOJI}")
CHECKIN_MESSAGE = f"Check-in {SCRIPT} {IMG} {TEMPLATES}"


def _goals() -> dict[str, dict[str, Any]]:
    common = {"period": "2026-Q4"}
    return {
        "org-root": {
            "id": "org-root", "title": TITLES["org-root"], "level": "organization",
            "owner": "mallory", "team": "red-team", **common, "description": DESCRIPTION,
            "key_results": [
                {"id": "nps", "title": f"Net promoter score {QUOTES}", "unit": "pts",
                 "start": 20, "target": 40, "current": 20},
            ],
            "links": [{"title": LINK_TITLE, "url": LINK_URL},
                      {"title": f"Mail {BOLD}", "url": "mailto:goals@example.org?subject=%3Cb%3E"}],
        },
        "org-two": {
            "id": "org-two", "title": TITLES["org-two"], "level": "organization",
            "owner": "Eve.O_Brien", **common,
            "description": f"Plain prose with {TEMPLATES} and {RTL}rtl{PDF}.",
            "key_results": [
                {"id": "revenue", "title": f"Revenue {IMG}", "unit": "k€",
                 "start": 100, "target": 150, "current": 100},
            ],
        },
        "team-quote": {
            "id": "team-quote", "title": TITLES["team-quote"], "level": "team",
            "owner": "Eve.O_Brien", "team": "red-team", "contributors": ["trent", "mallory"],
            **common, "aligns_to": ["org-root"],
            "description": f"# Heading {SCRIPT}\n\n- item {IMG}\n- [js](javascript:alert(1))\n",
            "key_results": [
                {"id": "deploy-time", "title": KR_TITLE, "unit": KR_UNIT,
                 "start": 45, "target": 10, "current": 45},
                {"id": "error-rate", "title": f"Failure rate {QUOTES}", "unit": "%",
                 "keep": "below", "target": 5, "current": 3.2},
                {"id": "runbook", "title": MILESTONE_DONE, "done": False},
            ],
            "milestones": [
                {"title": MILESTONE_TITLE, "due": "2026-10-15", "done": False,
                 "owner": "trent"},
                {"title": f"Second step {TEMPLATES} {EMOJI}", "due": "2026-12-01",
                 "done": False},
            ],
        },
        "multi-parent": {
            "id": "multi-parent", "title": TITLES["multi-parent"], "level": "team",
            "owner": "trent", "team": "blue_Team", **common,
            "aligns_to": ["org-root", "org-two"],
            "key_results": [
                {"id": "signups", "title": f"Sign-ups {ZWSP}{EMOJI}", "unit": "users",
                 "start": 0, "target": 1000, "current": 0},
            ],
        },
        "orphan-goal": {
            "id": "orphan-goal", "title": TITLES["orphan-goal"], "level": "team",
            "owner": "trent", "team": "blue_Team", **common,
            "key_results": [
                {"id": "widgets", "title": f"Widgets {LONG_WORD}", "unit": LONG_WORD,
                 "start": 0, "target": 10, "current": 0},
            ],
        },
        "achieved-goal": {
            "id": "achieved-goal", "title": TITLES["achieved-goal"], "level": "individual",
            "owner": "mallory", "team": "red-team", **common, "aligns_to": ["team-quote"],
            "key_results": [
                {"id": "moved", "title": f"Services moved {SCRIPT}", "unit": "services",
                 "start": 0, "target": 4, "current": 1},
            ],
        },
        "rtl-leak": {
            "id": "rtl-leak", "title": TITLES["rtl-leak"], "level": "team",
            "owner": "trent", "team": "blue_Team", **common, "aligns_to": ["org-two"],
            "key_results": [
                {"id": "pages", "title": f"Pages {RTL}", "unit": "pages",
                 "start": 0, "target": 10, "current": 0},
            ],
        },
        "old-goal": {
            "id": "old-goal", "title": TITLES["old-goal"], "level": "team",
            "owner": "mallory", "team": "red-team", **common, "aligns_to": ["org-two"],
            "key_results": [
                {"id": "leads", "title": f"Leads {QUOTES}", "unit": "leads",
                 "start": 0, "target": 50, "current": 5},
            ],
        },
    }


NEW_GOAL = {
    "id": "new-goal", "title": TITLES["new-goal"], "level": "team", "owner": "mallory",
    "team": "red-team", "period": "2026-Q4", "aligns_to": ["org-two"],
    "key_results": [{"id": "leads", "title": f"Qualified leads {BOLD}", "unit": "leads",
                     "start": 0, "target": 30, "current": 0}],
}

HEAD_DAY = "2026-11-19"


def build_repository(root: Path) -> Repo:
    """Write the hostile repository at ``root``, commit by commit; the :class:`Repo`."""
    repo = Repo(root)
    repo.write_yaml("goalsrepo.yaml", CONFIG)
    repo.write_yaml("people.yaml", PEOPLE)
    repo.write_yaml("teams.yaml", TEAMS)
    for goal_id, data in _goals().items():
        repo.write_yaml(f"goals/{goal_id}.yaml", data)
    repo.commit(f"Set the Q4 goals {SCRIPT}\n\n{QUOTES} {TEMPLATES}", who=MALLORY,
                date=day("2026-10-01"))

    tq = "goals/team-quote.yaml"
    repo.update_kr(tq, "deploy-time", current=38)
    repo.commit(CHECKIN_MESSAGE, who=EVE, date=day("2026-10-08"))

    repo.update_kr(tq, "deploy-time", target=15)
    repo.commit(ADJUST_MESSAGE, who=STRANGER, date=day("2026-10-15"))

    data = repo.read_yaml(tq)
    data["milestones"][0]["done"] = True
    repo.write_yaml(tq, data)
    repo.update_kr(tq, "runbook", done=True)
    repo.commit(f"Milestone done {IMG}\n\n{LONG_WORD}", who=TRENT, date=day("2026-10-22"))

    repo.update_kr(tq, "deploy-time", current=24)
    repo.update_kr("goals/org-root.yaml", "nps", current=27)
    repo.update_kr("goals/multi-parent.yaml", "signups", current=250)
    repo.commit(f"Weekly check-in {QUOTES} {EMOJI}", who=STRANGER, date=day("2026-10-29"))

    repo.update_kr("goals/achieved-goal.yaml", "moved", current=4)
    repo.update("goals/achieved-goal.yaml", status="achieved")
    repo.commit(f"Done {SCRIPT} all services moved", who=MALLORY, date=day("2026-11-05"))

    repo.update("goals/old-goal.yaml", status="dropped", superseded_by="new-goal")
    repo.write_yaml("goals/new-goal.yaml", NEW_GOAL)
    repo.commit(f"Replace the old plan {BOLD}", who=MALLORY, date=day("2026-11-12"))

    repo.update_kr(tq, "deploy-time", current=18)
    repo.update_kr("goals/multi-parent.yaml", "signups", current=480)
    repo.update_kr("goals/org-two.yaml", "revenue", current=118)
    repo.update_kr("goals/new-goal.yaml", "leads", current=6)
    repo.update_kr("goals/rtl-leak.yaml", "pages", current=3)
    repo.commit(f"{CHECKIN_MESSAGE} {RTL}again{PDF}", who=EVE, date=day(HEAD_DAY))
    return repo


def goal_ids() -> list[str]:
    return sorted([*_goals(), NEW_GOAL["id"]])
