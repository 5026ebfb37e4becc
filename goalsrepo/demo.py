"""``init --demo``: two quarters of back-dated history for the example goals repository.

Charts, check-in logs, drift and wins are computed from git history (SPEC §3), so a new
user sees them at once only if the repository already has a past. This module writes
that past for the shipped example: its people create the goals at the start of each
quarter, check in every week or two, adjust a target in the open, close Q3, and merge a
feature branch, each commit by the person (and e-mail) people.yaml names and at a pinned
date. The timeline is data (:data:`TIMELINE`); values are changed with :mod:`edit`, so
every file stays formatted as a person would keep it, and the last commit leaves the work
tree byte-identical to the example. Pinned identities and dates make the commit ids the
same on every machine.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import reduce
from pathlib import Path
from typing import Any

import yaml

from goalsrepo.files import edit
from goalsrepo.gitlog import git


class _Example(enum.Enum):
    VALUE = "the value in the example file"


FINAL = _Example.VALUE
"""A value in the timeline that means: what the example file says (for long texts)."""

Value = edit.Scalar | None | _Example
"""A new value; None (only when adding a file) removes the key, to be added later."""


@dataclass(frozen=True)
class Commit:
    """A commit: files added from the example with their early values, values changed.

    ``add`` maps a top-level file name or a goal id to the values it starts with (fields
    as in :class:`Checkin`); ``changes`` maps goal ids to the values that change.
    """

    when: str
    author: str
    message: str
    add: Mapping[str, Mapping[str, Value]] = field(default_factory=dict)
    changes: Mapping[str, Mapping[str, Value]] = field(default_factory=dict)


@dataclass(frozen=True)
class Checkin:
    """A check-in on one goal; the commit message is written from the values it moves.

    Fields are ``<kr-id>.current``, ``<kr-id>.done`` or ``milestones.<n>.done``.
    ``other_email`` commits with the person's last listed address (the forge's web
    editor, another laptop), as real histories do.
    """

    when: str
    author: str
    goal: str
    values: Mapping[str, edit.Scalar]
    note: str
    other_email: bool = False


@dataclass(frozen=True)
class Branch:
    """Commits on a feature branch, which stays unmerged until a :class:`Merge`."""

    name: str
    steps: tuple[Commit | Checkin, ...]


@dataclass(frozen=True)
class Merge:
    """``git merge --no-ff`` of a branch into the main branch, as a pull request is."""

    when: str
    author: str
    branch: str
    message: str


Step = Commit | Checkin | Branch | Merge

_TOP_LEVEL = ("goalsrepo.yaml", "people.yaml", "teams.yaml")

TIMELINE: tuple[Step, ...] = (
    # --- Q3: set-up and goals -------------------------------------------------------
    Commit(
        "2026-06-29T16:40:00+01:00", "maya",
        "Start our goals repository with Q3's company goals\n\n"
        "Quarters, the people directory, our four teams, and the two company goals we\n"
        "agreed at the offsite. Team goals go under goals/<team>/<period>/, one file\n"
        "each, and change through pull requests.",
        add={
            **{name: {} for name in _TOP_LEVEL},
            "q3-arr-1-2m": {"arr.current": 950, "nrr.current": 101, "status": "active"},
            "q3-month-end-reliability": {
                "clean-closes.current": 0, "slow-tickets.current": 140, "status": "active",
                "description": "Month-end is when our customers need us most: most invoices"
                " of the month are\napproved in its last three days. An outage then costs a"
                " customer a late close.\n",
            },
        },
    ),
    Commit(
        "2026-06-30T19:10:00+02:00", "ingrid", "Q3 product goals",
        add={
            "q3-onboarding-funnel": {
                "dashboard.done": False, "steps.current": 0, "milestones.0.done": False,
                "status": "active",
            },
            "q3-stalled-customer-interviews": {
                "interviews.current": 0, "findings.done": False, "status": "active",
            },
        },
    ),
    Commit(
        "2026-06-30T12:30:00-06:00", "tomas", "Q3 engineering goals",
        add={
            "q3-sso-for-enterprise": {
                "saml.done": False, "sso-trials.current": 0, "sso-trials.target": 3,
                "milestones.0.done": False, "milestones.1.done": False, "status": "active",
            },
            "q3-api-uptime": {
                "availability.current": 99.95, "managed-queue.done": False, "status": "active",
                "description": "Customers approve most of a month's invoices in its last"
                " three days, so the\napproval API has to stay up exactly when the load is"
                " highest.\n",
            },
            "q3-ocr-accuracy": {
                "field-accuracy.current": 84, "status": "active", "superseded_by": None,
                "description": "Every field we misread is a correction a finance team has"
                " to make by hand.\n",
            },
        },
    ),
    Commit(
        "2026-07-01T08:45:00+00:00", "kwame", "Q3 go-to-market goals",
        add={
            "q3-partner-program": {
                "status": "active",
                "description": "Accounting firms run the books of hundreds of companies like"
                " our customers.\nThree of them reselling Paperkite would bring customers we"
                " cannot reach alone.\n",
            },
            "q3-close-mid-market-deals": {"customers.current": 0, "status": "active"},
        },
    ),
    # --- Q3: check-ins ----------------------------------------------------------------
    Checkin("2026-07-15T17:40:00+01:00", "maya", "q3-arr-1-2m",
            {"arr.current": 1010, "nrr.current": 102}, "three new logos and an upsell"),
    Commit(
        "2026-07-17T10:00:00+00:00", "kwame",
        "Drop q3-partner-program: the revenue share does not work at our price\n\n"
        "All three firms asked for 30% or more of the first year. We put the time into\n"
        "direct mid-market sales instead (q3-close-mid-market-deals).",
        changes={"q3-partner-program": {"status": "dropped", "description": FINAL}},
    ),
    Checkin("2026-07-22T15:30:00+02:00", "ingrid", "q3-onboarding-funnel",
            {"milestones.0.done": True, "steps.current": 4},
            "PostHog it is; sign-up to first import instrumented"),
    Checkin("2026-07-24T16:00:00+02:00", "jonas", "q3-sso-for-enterprise",
            {"milestones.0.done": True}, "Okta SAML behind a flag on staging"),
    Checkin("2026-08-03T08:10:00-06:00", "tomas", "q3-month-end-reliability",
            {"clean-closes.current": 1, "slow-tickets.current": 96},
            "July close without an incident"),
    Checkin("2026-08-13T10:00:00-03:00", "ana", "q3-sso-for-enterprise",
            {"milestones.1.done": True}, "admins switch SSO on themselves"),
    Checkin("2026-08-18T08:30:00+12:00", "sam", "q3-stalled-customer-interviews",
            {"interviews.current": 6}, "everyone mentions the accounting connection"),
    Commit(
        "2026-08-19T09:00:00-06:00", "tomas",
        "adjust(q3-sso-for-enterprise/sso-trials): target 3 -> 4\n\n"
        "Halden Logistics put SSO in their security review this month, on top of the\n"
        "three trials we planned for. We want every one of them on SSO before they decide.",
        changes={"q3-sso-for-enterprise": {"sso-trials.target": 4}},
    ),
    Checkin("2026-08-20T16:45:00+02:00", "jonas", "q3-sso-for-enterprise",
            {"saml.done": True, "sso-trials.current": 2},
            "SAML in production; Norrvik and Brightwell switched it on"),
    Checkin("2026-08-24T13:00:00+02:00", "ingrid", "q3-onboarding-funnel",
            {"steps.current": 7, "dashboard.done": True}, "the funnel dashboard is live"),
    Checkin("2026-08-26T20:10:00+05:30", "priya", "q3-ocr-accuracy",
            {"field-accuracy.current": 87.2}, "retrained on the summer's corrections",
            other_email=True),
    Checkin("2026-08-31T17:20:00+02:00", "lucia", "q3-close-mid-market-deals",
            {"customers.current": 8}, "eight signed, most from accountant referrals"),
    Checkin("2026-09-02T10:15:00+09:00", "hiro", "q3-api-uptime",
            {"availability.current": 99.71},
            "the job queue fell over in the 31 August peak; review in Notion"),
    Checkin("2026-09-03T08:00:00-06:00", "tomas", "q3-month-end-reliability",
            {"slow-tickets.current": 71}, "fewer tickets, even with the outage"),
    Checkin("2026-09-07T10:30:00+01:00", "maya", "q3-arr-1-2m",
            {"arr.current": 1125, "nrr.current": 103}, "August: the Halden pilot paid"),
    Checkin("2026-09-14T12:00:00+02:00", "ingrid", "q3-onboarding-funnel",
            {"steps.current": 9}, "all nine steps instrumented"),
    Checkin("2026-09-16T08:00:00+12:00", "sam", "q3-stalled-customer-interviews",
            {"interviews.current": 9, "findings.done": True},
            "one extra interview; findings and clips are in Notion", other_email=True),
    Checkin("2026-09-23T19:00:00+05:30", "priya", "q3-ocr-accuracy",
            {"field-accuracy.current": 88.4}, "last run of the quarter; 97 is out of reach"),
    Checkin("2026-09-25T17:00:00+02:00", "jonas", "q3-sso-for-enterprise",
            {"sso-trials.current": 5}, "Osterby, Tamarind and Halden switched SSO on"),
    # --- Q4 planning ------------------------------------------------------------------
    Commit(
        "2026-09-28T11:00:00+01:00", "maya", "Q4 company goals\n\n"
        "Agreed in the leadership call on 25 September. Tomás adds the month-end goal\n"
        "with the engineering goals that roll up into it.",
        add={
            "arr-1-5m": {"arr.current": 1214, "nrr.current": 103},
            "land-enterprise-customers": {
                "signed.current": 0, "pipeline.current": 400, "pipeline.target": 1000,
                "description": "Enterprise customers (500+ employees) pay five times what a"
                " mid-market team\npays and stay longer. They also ask for things we do not"
                " have yet: a SOC 2\nreport, SCIM and custom approval roles. This goal ties"
                " the sales work to the\nproduct and security work that unblocks it.\n",
            },
        },
    ),
    Commit(
        "2026-09-28T09:00:00-06:00", "tomas",
        "Q4 engineering goals, under a company goal for calm month-ends\n\n"
        "month-end-without-worry has no key results of its own: it rolls up these.",
        add={
            "month-end-without-worry": {
                "milestones.0.done": False, "milestones.1.done": False,
            },
            "faster-deploys": {
                "deploy-time.current": 45, "deploy-time.target": 15, "runbook.done": False,
                "change-failure-rate.current": 4.1, "milestones.0.done": False,
                "milestones.1.done": False,
            },
            "ocr-accuracy-95": {
                "field-accuracy.current": 88.4, "corrections.current": 14,
                "milestones.0.done": False, "milestones.1.done": False,
            },
            "approval-api-reliability": {
                "availability.current": 99.93, "p95-latency.current": 850,
            },
            "soc2-type-1": {
                "policies.done": False, "controls.current": 0, "milestones.0.done": False,
                "description": "Two of the three enterprise deals in the pipeline need a SOC"
                " 2 report before\nthey sign. Type I checks that our controls are *designed*"
                " well at one point in\ntime; Type II (next year) checks that they *work* over"
                " months.\n",
            },
        },
    ),
    Checkin("2026-09-29T18:30:00+02:00", "lucia", "q3-close-mid-market-deals",
            {"customers.current": 12}, "four signatures in the last week of the quarter"),
    Commit(
        "2026-09-29T20:00:00+02:00", "ingrid", "Q4 product goals",
        add={
            "first-approval-within-a-day": {
                "time-to-first-approval.current": 72, "activation.current": 38,
                "setup-checklist.done": False, "milestones.0.done": False,
            },
            "enterprise-admin-controls": {
                "audit-log.done": False, "sso-adoption.current": 0,
            },
            "interview-new-customers": {"interviews.current": 0},
        },
    ),
    Commit(
        "2026-09-30T09:40:00+00:00", "kwame", "Q4 go-to-market goals, with Zoe and Lucía",
        add={
            "reduce-logo-churn": {
                "churn.current": 2.4, "csat.current": 91, "business-reviews.current": 0,
                "milestones.0.done": False,
            },
            "mid-market-demand": {
                "demos.current": 0, "cost-per-demo.current": 410,
                "description": "A demo is *qualified* when the prospect has 20 to 500"
                " employees, approves more\nthan 200 invoices a month and brings someone from"
                " finance to the call.\n",
            },
            "convert-enterprise-pilots": {
                "contracts.current": 0, "milestones.0.done": False,
            },
            "publish-customer-stories": {"stories.current": 0},
        },
    ),
    Commit(
        "2026-09-30T19:30:00+05:30", "priya", "My Q4 goal: CI under eight minutes",
        add={"ci-under-eight-minutes": {"ci-duration.current": 19}},
    ),
    Commit(
        "2026-09-30T17:00:00+02:00", "jonas", "My Q4 goal: SCIM provisioning",
        add={"scim-provisioning": {"okta.done": False, "tenants.current": 0}},
    ),
    Commit(
        "2026-09-30T13:00:00-03:00", "ana", "My Q4 goal: an approval inbox under a second",
        add={
            "approval-inbox-under-a-second": {
                "load-time.current": 2.8, "bundle-size.current": 940,
                "milestones.0.done": False, "milestones.1.done": False,
                "milestones.2.done": False, "status": "active",
                "description": "Measured on a mid-range laptop over a throttled 4G connection,"
                " with an inbox\nof 300 invoices.\n",
            },
        },
    ),
    # --- Q3 close ---------------------------------------------------------------------
    Checkin("2026-10-01T09:30:00+09:00", "hiro", "q3-api-uptime",
            {"availability.current": 99.82, "managed-queue.done": True},
            "managed queue since 8 September; 40 slow minutes in the September close"),
    Commit(
        "2026-10-01T10:00:00+09:00", "hiro", "My Q4 goal: a month-end load test",
        add={"load-test-month-end": {"environment.done": False, "sustained-rps.current": 120}},
    ),
    Commit(
        "2026-10-01T11:00:00+02:00", "ingrid", "Close Q3 for product: both goals achieved\n\n"
        "Nine steps instrumented and nine interviews: Q4's onboarding goal starts from them.",
        changes={
            "q3-onboarding-funnel": {"status": "achieved"},
            "q3-stalled-customer-interviews": {"status": "achieved"},
        },
    ),
    Commit(
        "2026-10-01T11:30:00+00:00", "kwame", "Close Q3 for go-to-market\n\n"
        "Twelve new mid-market customers. Well done, Lucía!",
        changes={"q3-close-mid-market-deals": {"status": "achieved"}},
    ),
    Commit(
        "2026-10-01T08:00:00-06:00", "tomas",
        "Close Q3 for engineering: SSO achieved, uptime and OCR missed\n\n"
        "The 31 August queue outage cost us the uptime goal and two of three clean\n"
        "month-end closes. 97% OCR accuracy was not reachable with the current model;\n"
        "ocr-accuracy-95 replaces it with a target we can defend.",
        changes={
            "q3-sso-for-enterprise": {"status": "achieved"},
            "q3-api-uptime": {"status": "missed", "description": FINAL},
            "q3-ocr-accuracy": {
                "status": "missed", "description": FINAL, "superseded_by": "ocr-accuracy-95",
            },
            "q3-month-end-reliability": {
                "slow-tickets.current": 64, "status": "missed", "description": FINAL,
            },
        },
    ),
    Commit(
        "2026-10-01T16:00:00+01:00", "maya", "Close Q3: 1.2 million euros of ARR reached\n\n"
        "1214k at the end of September. Thank you, everyone.",
        changes={"q3-arr-1-2m": {"arr.current": 1214, "status": "achieved"}},
    ),
    # --- Q4: October --------------------------------------------------------------------
    Checkin("2026-10-08T11:00:00-04:00", "zoe", "reduce-logo-churn",
            {"churn.current": 2.6}, "September went up: two customers merged into one"),
    Checkin("2026-10-14T17:00:00+00:00", "kwame", "land-enterprise-customers",
            {"pipeline.current": 470}, "Halden expanded, two new first calls"),
    Checkin("2026-10-15T18:00:00+00:00", "kwame", "mid-market-demand",
            {"demos.current": 5}, "five demos, mostly referrals"),
    Checkin("2026-10-16T20:00:00+05:30", "priya", "ci-under-eight-minutes",
            {"ci-duration.current": 15}, "tests split into four shards"),
    Checkin("2026-10-20T19:00:00+05:30", "priya", "faster-deploys",
            {"deploy-time.current": 30, "change-failure-rate.current": 3.6,
             "milestones.0.done": True},
            "pipeline measured; parallel test shards on every deploy"),
    Checkin("2026-10-21T09:00:00-06:00", "tomas", "soc2-type-1",
            {"milestones.0.done": True, "policies.done": True, "controls.current": 6},
            "auditor picked, fieldwork on 14 December; all 18 policies approved"),
    Checkin("2026-10-22T10:30:00-04:00", "zoe", "reduce-logo-churn",
            {"csat.current": 94, "business-reviews.current": 4, "milestones.0.done": True},
            "four business reviews held; every cancellation gets a call"),
    Checkin("2026-10-22T15:00:00-04:00", "lea", "ocr-accuracy-95",
            {"milestones.0.done": True}, "2,000 invoices labelled; thanks to eleven customers"),
    Commit(
        "2026-10-23T18:30:00+05:30", "priya",
        "adjust(faster-deploys/deploy-time): target 15 -> 10\n\n"
        "The build cache and the test shards took us from 45 to 30 minutes in three\n"
        "weeks, so 15 is no longer a stretch. 10 is, and it is what 'within the hour'\n"
        "needs once the canary step lands.",
        changes={"faster-deploys": {"deploy-time.target": 10}},
    ),
    Checkin("2026-10-23T16:00:00-04:00", "lea", "enterprise-admin-controls",
            {"audit-log.done": True, "sso-adoption.current": 20},
            "audit log export live; Norrvik's pilot seats on SSO"),
    Checkin("2026-10-26T15:00:00+01:00", "ingrid", "first-approval-within-a-day",
            {"time-to-first-approval.current": 55, "activation.current": 41,
             "milestones.0.done": True},
            "guided import for everyone; Sam reviewed the checklist with five customers"),
    Checkin("2026-10-27T12:00:00-03:00", "ana", "approval-inbox-under-a-second",
            {"load-time.current": 1.4, "bundle-size.current": 480,
             "milestones.0.done": True, "milestones.1.done": True},
            "the list renders only what is on screen"),
    Checkin("2026-10-28T18:00:00+09:00", "hiro", "month-end-without-worry",
            {"milestones.0.done": True}, "war-room rota for the October close is set",
            other_email=True),
    Checkin("2026-10-28T14:00:00+01:00", "jonas", "scim-provisioning",
            {"okta.done": True}, "Okta certified our SCIM app"),
    Checkin("2026-10-29T15:30:00+01:00", "jonas", "ocr-accuracy-95",
            {"field-accuracy.current": 90.1, "corrections.current": 12},
            "first model trained on customer-labelled invoices"),
    Checkin("2026-10-29T18:00:00+00:00", "kwame", "mid-market-demand",
            {"demos.current": 9, "cost-per-demo.current": 390}, "paid search is expensive"),
    Checkin("2026-10-30T19:00:00+09:00", "hiro", "load-test-month-end",
            {"environment.done": True, "sustained-rps.current": 180},
            "load-test environment mirrors production"),
    Checkin("2026-10-31T09:00:00+13:00", "sam", "interview-new-customers",
            {"interviews.current": 5}, "five calls in two weeks"),
    # --- Q4: November -------------------------------------------------------------------
    Checkin("2026-11-02T12:00:00+00:00", "maya", "arr-1-5m",
            {"arr.current": 1290, "nrr.current": 104}, "two upsells to the Business plan"),
    Checkin("2026-11-03T11:00:00+09:00", "hiro", "approval-api-reliability",
            {"availability.current": 99.97, "p95-latency.current": 700},
            "October close without an incident; index on approvals by tenant"),
    Checkin("2026-11-03T18:00:00+05:30", "priya", "faster-deploys",
            {"deploy-time.current": 25, "milestones.1.done": True},
            "caches live; deploys skip unchanged services"),
    Commit(
        "2026-11-04T16:00:00+00:00", "kwame",
        "adjust(land-enterprise-customers/pipeline): target 1000 -> 900\n\n"
        "Two of our ten target accounts froze their budgets until Q1: Aalto Freight\n"
        "after its merger, Sunbridge after a hiring freeze. 900 keeps the bar honest\n"
        "without counting deals that cannot close this year.",
        changes={"land-enterprise-customers": {"pipeline.target": 900, "description": FINAL}},
    ),
    Commit(
        "2026-11-06T08:00:00+13:00", "sam",
        "Draft: mobile approvals for Q1 2027\n\nFor comments until 1 December.",
        add={"mobile-approvals": {}},
    ),
    Checkin("2026-11-06T14:00:00+01:00", "ingrid", "first-approval-within-a-day",
            {"time-to-first-approval.current": 47, "activation.current": 44,
             "setup-checklist.done": True},
            "setup checklist live for every new account"),
    Branch("ocr-model-v3", (
        Checkin("2026-11-09T16:00:00+01:00", "jonas", "ocr-accuracy-95",
                {"field-accuracy.current": 91.6, "milestones.1.done": True},
                "model v3 behind a flag"),
        Checkin("2026-11-10T18:00:00+05:30", "priya", "ocr-accuracy-95",
                {"corrections.current": 10}, "v3 halves line-item corrections",
                other_email=True),
    )),
    Checkin("2026-11-10T10:00:00+09:00", "hiro", "approval-api-reliability",
            {"p95-latency.current": 620}, "read replica for the inbox queries"),
    Checkin("2026-11-10T11:00:00-03:00", "ana", "approval-inbox-under-a-second",
            {"load-time.current": 0.9, "milestones.2.done": True},
            "attachment previews load on demand"),
    Checkin("2026-11-10T11:00:00-05:00", "zoe", "publish-customer-stories",
            {"stories.current": 2}, "Brightwell's and Osterby's stories are live"),
    Merge(
        "2026-11-11T09:00:00-06:00", "tomas", "ocr-model-v3",
        "Merge pull request #131 from paperkite/ocr-model-v3\n\n"
        "OCR model v3: 91.6% field accuracy, 10 corrections per 100 invoices",
    ),
    Commit(
        "2026-11-12T10:00:00-03:00", "ana",
        "Close approval-inbox-under-a-second: achieved, seven weeks early\n\n"
        "0.9 s at p75 on a mid-range laptop over throttled 4G.",
        changes={"approval-inbox-under-a-second": {"status": "achieved", "description": FINAL}},
    ),
    Checkin("2026-11-12T19:00:00+05:30", "priya", "faster-deploys",
            {"runbook.done": True}, "Hiro rolled back a bad deploy with the runbook alone"),
    Commit(
        "2026-11-12T18:00:00+00:00", "kwame",
        "checkin(mid-market-demand): demos 9 -> 14, cost-per-demo 390 -> 360\n\n"
        "Off track. Paid search brings clicks but few qualified demos; the budget moves\n"
        "to the close webinar and to referrals for the rest of November.",
        changes={"mid-market-demand": {
            "demos.current": 14, "cost-per-demo.current": 360, "description": FINAL,
        }},
    ),
    Checkin("2026-11-13T09:00:00+13:00", "sam", "interview-new-customers",
            {"interviews.current": 7}, "two more; both stalled on approver invites"),
    Checkin("2026-11-13T14:00:00+09:00", "hiro", "load-test-month-end",
            {"sustained-rps.current": 240}, "two times the September peak holds"),
    Checkin("2026-11-13T19:00:00+05:30", "priya", "ci-under-eight-minutes",
            {"ci-duration.current": 11}, "flaky tests quarantined, Docker layers cached"),
    Checkin("2026-11-13T16:00:00+01:00", "lucia", "convert-enterprise-pilots",
            {"contracts.current": 1, "milestones.0.done": True},
            "Norrvik Foods signed the annual contract"),
    Checkin("2026-11-13T10:00:00-06:00", "tomas", "month-end-without-worry",
            {"milestones.1.done": True}, "readiness review done with every team"),
    Checkin("2026-11-13T17:00:00+00:00", "kwame", "land-enterprise-customers",
            {"signed.current": 1, "pipeline.current": 640},
            "Norrvik Foods is our first enterprise customer"),
    Commit(
        "2026-11-16T09:00:00-06:00", "tomas",
        "checkin(soc2-type-1/controls): 6 -> 21 — at risk\n\n"
        "Evidence collection is behind and the auditor's December slot cannot move.\n"
        "The risks are in the description; Hiro takes the evidence milestone.",
        changes={"soc2-type-1": {"controls.current": 21, "description": FINAL}},
    ),
    Checkin("2026-11-16T10:00:00-05:00", "lea", "enterprise-admin-controls",
            {"sso-adoption.current": 55}, "Norrvik's and Halden's users all on SSO"),
    Checkin("2026-11-17T19:30:00+05:30", "priya", "faster-deploys",
            {"deploy-time.current": 22, "change-failure-rate.current": 3.2},
            "new cache landed"),
    Checkin("2026-11-17T15:00:00+01:00", "jonas", "scim-provisioning",
            {"tenants.current": 1}, "Norrvik provisions its 140 users through Okta"),
    Checkin("2026-11-18T13:00:00+01:00", "ingrid", "first-approval-within-a-day",
            {"time-to-first-approval.current": 41, "activation.current": 47},
            "approver invites from the checklist"),
    Checkin("2026-11-19T15:00:00+01:00", "jonas", "ocr-accuracy-95",
            {"field-accuracy.current": 92.1, "corrections.current": 9},
            "v3 on for 30% of customers"),
    Checkin("2026-11-19T18:00:00+00:00", "maya", "arr-1-5m",
            {"arr.current": 1368}, "Norrvik's annual contract is billing"),
    Checkin("2026-11-20T10:00:00-05:00", "zoe", "reduce-logo-churn",
            {"churn.current": 2.2, "csat.current": 93, "business-reviews.current": 9},
            "nine business reviews held"),
)


@dataclass(frozen=True)
class _Source:
    """The example repository the timeline draws on: file texts, goals and people."""

    root: Path
    goal_files: Mapping[str, str]
    people: Mapping[str, Mapping[str, Any]]

    @classmethod
    def read(cls, root: Path) -> _Source:
        config = yaml.safe_load((root / "goalsrepo.yaml").read_text(encoding="utf-8"))
        goals_dir = (config or {}).get("goals_dir", "goals")
        goal_files = {}
        for path in sorted((root / goals_dir).rglob("*.yaml")):
            goal_files[yaml.safe_load(path.read_text(encoding="utf-8"))["id"]] = (
                path.relative_to(root).as_posix()
            )
        people = yaml.safe_load((root / "people.yaml").read_text(encoding="utf-8"))["people"]
        return cls(root, goal_files, {p["id"]: p for p in people})

    def path(self, name: str) -> str:
        """The file of a goal id, or a top-level file name as it is."""
        return name if name in _TOP_LEVEL else self.goal_files[name]

    def text(self, name: str) -> str:
        return _read(self.root / self.path(name))

    def env(self, person: str, when: str, other_email: bool = False) -> dict[str, str]:
        entry = self.people[person]
        emails = [entry["email"]] if "email" in entry else entry["emails"]
        return git.dated_env(entry["name"], emails[-1] if other_email else emails[0], when)


def write_demo_history(root: Path, source: Path) -> None:
    """Write :data:`TIMELINE` as commits in ``root``, ending on ``source``'s exact files.

    ``root`` should be a new, empty folder; it becomes a repository if it is not one.
    Files already in it (editor settings written by ``init``) go into the first commit.
    """
    top = git.toplevel(root)
    if top is None or top.resolve() != root.resolve():
        git.init(root)
    example = _Source.read(source)
    trunk = git.run(root, "symbolic-ref", "--short", "HEAD").strip()
    for step in TIMELINE:
        if isinstance(step, Branch):
            git.run(root, "checkout", "--quiet", "-b", step.name)
            for inner in step.steps:
                _commit(root, example, inner)
            git.run(root, "checkout", "--quiet", trunk)
        elif isinstance(step, Merge):
            env = example.env(step.author, step.when)
            git.run(root, "-c", "commit.gpgsign=false", "merge", "--quiet", "--no-ff", "--no-log",
                     "--no-verify", "-m", step.message, step.branch, env=env)
            git.run(root, "branch", "--quiet", "--delete", step.branch)
        else:
            _commit(root, example, step)


def _commit(root: Path, example: _Source, step: Commit | Checkin) -> None:
    if isinstance(step, Checkin):
        message = _checkin_message(_read(root / example.path(step.goal)), step)
        changes: Mapping[str, Mapping[str, Value]] = {step.goal: step.values}
        env = example.env(step.author, step.when, step.other_email)
    else:
        message, changes = step.message, step.changes
        env = example.env(step.author, step.when)
        for name, values in step.add.items():
            target = root / example.path(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            final = example.text(name)
            _write(target, _apply(final, values, final))
    for goal, values in changes.items():
        target = root / example.path(goal)
        _write(target, _apply(_read(target), values, example.text(goal)))
    git.commit_all(root, message, env)


def _apply(text: str, values: Mapping[str, Value], final: str) -> str:
    """Set each field of ``values`` in ``text``; ``final`` is the example's text."""
    for name, value in values.items():
        path = _field_path(text, name)
        if value is None:
            text = edit.remove_key(text, path)
        elif value is FINAL:
            text = edit.set_value(text, path, _lookup(final, _field_path(final, name)))
        else:
            text = edit.set_value(text, path, value)
    return text


def _field_path(text: str, name: str) -> edit.KeyPath:
    """``status`` -> a top-level key; ``milestones.1.done``; ``<kr-id>.current``."""
    parts = name.split(".")
    if len(parts) == 1:
        return (name,)
    if parts[0] == "milestones":
        return ("milestones", int(parts[1]), parts[2])
    return ("key_results", edit.key_result_index(text, parts[0]), parts[1])


def _lookup(text: str, path: edit.KeyPath) -> Any:
    return reduce(lambda data, step: data[step], path, yaml.safe_load(text))


def _checkin_message(text: str, step: Checkin) -> str:
    """``checkin(goal/kr): 30 -> 22 — note``, or one line for several values."""
    moves = []
    for name, new in step.values.items():
        path = _field_path(text, name)
        if path[0] == "milestones":
            title = _lookup(text, (*path[:2], "title"))
            moves.append(f'milestone "{title}" {"done" if new else "not done"}')
            continue
        kr = name.split(".")[0]
        if path[-1] == "done":
            moves.append(f"{kr} {'done' if new else 'not done'}")
        else:
            old = _lookup(text, path)
            moves.append(f"{kr} {edit.format_scalar(old)} -> {edit.format_scalar(new)}")
    if len(moves) == 1 and not moves[0].startswith("milestone "):
        kr, _, move = moves[0].partition(" ")
        return f"checkin({step.goal}/{kr}): {move} — {step.note}"
    return f"checkin({step.goal}): {', '.join(moves)} — {step.note}"


def _read(path: Path) -> str:
    """Text exactly as stored: no newline translation, so files stay byte-identical."""
    return path.read_bytes().decode("utf-8")


def _write(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8"))
