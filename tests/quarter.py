"""A scripted quarter: a real repository with the dated check-ins of one quarter (2026-Q4),
for the tests of scores, ``close``, ``rollover``, the period review and ``digest --period``.

Every number the tests expect is worked out by hand in the comments here:

faster-deploys (platform, alice): deploy-time 40 -> 10 (weight 3), runbook milestone (1).
  Oct 20  deploy-time 25   (25-40)/(10-40) = 0.5   goal (3*0.5 + 0)/4 = 0.375
  Dec 20  deploy-time 16   (16-40)/(10-40) = 0.8   goal (3*0.8 + 0)/4 = 0.6
  Jan 05  deploy-time 13   (13-40)/(10-40) = 0.9   goal (3*0.9 + 0)/4 = 0.675  (after due)
onboarding (sales, carol): signups 0 -> 100 (later 80), churn kept below 5 (now 7).
  Nov 10  signups 60       0.6, churn 0            goal 0.3
  Nov 15  target 100 -> 80 (an adjustment, with its reason)   60/80 = 0.75, goal 0.375
  Dec 28  signups 80, churn 4                      goal (1 + 1)/2 = 1.0
hiring (platform, dan): hires 0 -> 4, current 2 from the start: 0.5 throughout.
idea (sales, bob): a draft.
grow (organization, alice, no key results): the average of faster-deploys and onboarding.

At HEAD (T = 2027-01-05) scores are fixed at the end of the due date (Dec 31):
faster-deploys 0.6 (not 0.675: the Jan 05 check-in is later), onboarding 1.0, hiring 0.5,
grow (0.6 + 1.0)/2 = 0.8, idea none. Closing on Jan 08 takes the progress in the closing
commit: faster-deploys 0.675 -> missed, 0.7; onboarding achieved 1.0; grow
(0.675 + 1.0)/2 = 0.8375 -> missed, 0.8; hiring kept (--keep), 0.5.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import ALICE, BOB, CAROL, Repo, day, git_env, new_repo, run_cli

TEAMS = {"teams": [{"id": "platform", "name": "Platform"}, {"id": "sales", "name": "Sales"}]}
PEOPLE = {"people": [
    {"id": "alice", "name": "Alice Archer", "email": "alice@example.com", "team": "platform"},
    {"id": "bob", "name": "Bob Baker", "email": "bob@example.com", "team": "platform"},
    {"id": "carol", "name": "Carol Cruz", "email": "carol@example.com", "team": "sales"},
    {"id": "dan", "name": "Dan Dorn", "email": "dan@example.com", "team": "platform"},
]}

FASTER = "goals/platform/2026-Q4/faster-deploys.yaml"
ONBOARDING = "goals/sales/2026-Q4/onboarding.yaml"
HIRING = "goals/platform/2026-Q4/hiring.yaml"
IDEA = "goals/sales/2026-Q4/idea.yaml"
GROW = "goals/2026-Q4/grow.yaml"

# Written as text: the close edits status lines in place, and the tests check that the
# comments and the layout stay.
FASTER_TEXT = """\
id: faster-deploys
title: Ship any change to production within one hour
owner: alice
team: platform
contributors: [bob]
period: 2026-Q4
aligns_to: [grow]
# the deploy pipeline is the bottleneck
description: |
  Deploys take most of an afternoon.

  Make them boring.
key_results:
  - id: deploy-time
    title: Median deploy time
    unit: min
    start: 40
    target: 10
    current: 40  # measured by the pipeline
    weight: 3
  - id: runbook
    title: Publish the deploy runbook
    done: false
links:
  - title: Pipeline epic
    url: https://example.com/epic/12
"""

ONBOARDING_TEXT = """\
id: onboarding
title: Make onboarding self-serve for every new customer
owner: carol
team: sales
period: 2026-Q4
aligns_to: [grow]
status: active
key_results:
  - id: signups
    title: Self-serve sign-ups
    unit: signups
    start: 0
    target: 100
    current: 0
  - id: churn
    title: Keep first-month churn below 5%
    unit: "%"
    keep: below
    target: 5
    current: 7
"""

HIRING_TEXT = """\
id: hiring
title: Hire four site reliability engineers for the platform team
owner: dan
team: platform
period: 2026-Q4
key_results:
  - id: hires
    title: Engineers hired
    unit: people
    start: 0
    target: 4
    current: 2
milestones:
  - title: Publish the job ad
    done: true
  - title: Run the onsite loop
    due: 2027-02-15
"""

IDEA_TEXT = """\
id: idea
title: Explore a partner channel for the enterprise segment
owner: bob
team: sales
period: 2026-Q4
status: draft
key_results:
  - id: partners
    title: Partners signed
    unit: partners
    start: 0
    target: 3
"""

GROW_TEXT = """\
id: grow
title: Grow the business with customers who stay
level: organization
owner: alice
period: 2026-Q4
"""


def quarter_repo(root: Path) -> Repo:
    """The repository of the module's docstring, HEAD at 2027-01-05."""
    repo = new_repo(root)
    repo.write_yaml("people.yaml", PEOPLE)
    repo.write_yaml("teams.yaml", TEAMS)
    for path, text in ((FASTER, FASTER_TEXT), (ONBOARDING, ONBOARDING_TEXT),
                       (HIRING, HIRING_TEXT), (IDEA, IDEA_TEXT), (GROW, GROW_TEXT)):
        repo.write(path, text)
    repo.commit("Plan 2026-Q4", date=day("2026-10-01"))
    steps = [
        (FASTER, "current: 40", "current: 25", BOB, "2026-10-20", "Cache the build"),
        (ONBOARDING, "current: 0", "current: 60", CAROL, "2026-11-10", "Launch week"),
        (ONBOARDING, "target: 100", "target: 80", CAROL, "2026-11-15",
         "Lower the sign-up target: the market shrank"),
        (FASTER, "current: 25", "current: 16", BOB, "2026-12-20", "Parallel tests"),
        (ONBOARDING, "current: 60", "current: 80", CAROL, "2026-12-28", "Year-end push"),
        (FASTER, "current: 16", "current: 13", BOB, "2027-01-05", "Late: canary deploys"),
    ]
    for path, old, new, who, when, message in steps:
        text = (root / path).read_text()
        assert text.count(old) == 1, (path, old)
        text = text.replace(old, new)
        if when == "2026-12-28":
            text = text.replace("current: 7", "current: 4")
        repo.write(path, text)
        repo.commit(message, who=who, date=day(when))
    return repo




def close_and_roll_over(repo: Repo, *goals: str) -> Repo:
    """Close 2026-Q4 on Jan 08 (hiring kept open) and roll it over (``goals``, or all
    unfinished) into 2027-Q1 on Jan 09, each with ``--commit`` as Alice."""
    with pytest.MonkeyPatch.context() as patch:
        for when, args in (("2027-01-08", ["close", "2026-Q4", "--keep", "hiring"]),
                           ("2027-01-09", ["rollover", "2026-Q4", "2027-Q1", *goals,
                                           "--create-period"])):
            for name, value in git_env(ALICE, f"{when}T12:00:00+00:00").items():
                patch.setenv(name, value)
            result = run_cli(*args, "--commit", "-C", str(repo.root))
            assert result.exit_code == 0, result.output
    return repo
