"""A synthetic organisation and its goals, rendered in the file format of SPEC §1.

Everything is drawn from one ``random.Random`` so that a seed fixes the whole organisation.
Rendering is plain string building, not ``yaml.dump``: it is several times faster, which
matters for the 60,000 file versions of the L repository, and it writes what a person
would (block lists, flow lists for short id lists, a literal block for the description).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import lru_cache


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


ORG_PERIOD = "FY2026"
QUARTERS = ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")
PERIOD_DATES: dict[str, tuple[date, date]] = {
    ORG_PERIOD: (date(2026, 1, 1), date(2026, 12, 31)),
    "2026-Q1": (date(2026, 1, 1), date(2026, 3, 31)),
    "2026-Q2": (date(2026, 4, 1), date(2026, 6, 30)),
    "2026-Q3": (date(2026, 7, 1), date(2026, 9, 30)),
    "2026-Q4": (date(2026, 10, 1), date(2026, 12, 31)),
}

FIRST_NAMES = _words(
    "Ada Aisha Alejandro Amara Anders Ana Arjun Ayumi Bea Bilal Carmen Chen Chiara Dana Dev "
    "Diego Elif Emeka Emma Farah Felix Fatima Gabriel Hana Hugo Ines Ingrid Ivan Jamal Jin "
    "Joao Julia Kai Kamala Kenji Lars Leila Liam Lucia Mateo Maya Mei Mohammed Nadia Nia Noor "
    "Olga Omar Pablo Priya Rafael Rania Ravi Rosa Sakura Samir Sara Sofia Tariq Thabo Uma "
    "Valentina Vikram Wei Yara Yusuf Zanele Zoe"
)
LAST_NAMES = _words(
    "Abe Adeyemi Alvarez Andersen Bauer Becker Costa Dubois Eriksson Fernandes Fischer Garcia "
    "Gupta Haddad Hansen Ito Jensen Kapoor Khan Kim Kowalski Lee Lindqvist Lopez Mbeki Meyer "
    "Moreau Mueller Nakamura Nguyen Novak Okafor Olsen Patel Pereira Petrov Rossi Santos "
    "Schmidt Silva Singh Suzuki Tanaka Torres Van-Dijk Wagner Wang Yilmaz Zhang"
)
ROLES = (
    "Engineer",
    "Senior engineer",
    "Staff engineer",
    "Product manager",
    "Designer",
    "Data analyst",
    "Account executive",
    "Support specialist",
    "Marketing manager",
    "Engineering manager",
)
TEAM_WORDS = _words(
    "platform payments growth search mobile web data security infrastructure billing "
    "onboarding support sales marketing design research analytics identity messaging "
    "checkout catalog logistics finance people legal partnerships reliability tooling api "
    "integrations localization accessibility performance community content pricing"
)
MISSIONS = (
    "Make every team ship faster and safer.",
    "Turn first-time visitors into loyal customers.",
    "Keep our customers' data safe and private.",
    "Give every customer an answer within the hour.",
    "Help the company make decisions from trustworthy data.",
    "Grow revenue without growing cost.",
)

# Objectives: verbs that make sense for each kind of object.
OBJECTIVES = (
    (
        _words("Reduce Halve Cut"),
        (
            "checkout latency",
            "support response time",
            "mobile crash rate",
            "infrastructure cost",
            "page load time",
            "incident recovery time",
            "manual release work",
        ),
    ),
    (
        _words("Grow Improve Double Expand"),
        (
            "onboarding conversion",
            "deploy frequency",
            "customer retention",
            "self-serve signups",
            "search relevance",
            "enterprise pipeline",
            "trial activation",
            "partner integrations",
        ),
    ),
    (
        _words("Launch Ship Redesign Automate Modernise"),
        (
            "the billing platform",
            "the public API",
            "the mobile onboarding flow",
            "the data warehouse",
            "the release pipeline",
            "the partner portal",
            "the help centre",
        ),
    ),
)
QUALIFIERS = (
    "for every customer in Europe",
    "across all product lines",
    "for self-serve customers",
    "before the spring launch",
    "without adding headcount",
    "for our largest accounts",
    "in every region we serve",
    "so that teams can focus on product work",
    "for new users in their first week",
    "while keeping costs flat",
)
SENTENCES = (
    "Customers told us in the last survey that this is what slows them down most.",
    "We lose about one in five trials at this step today.",
    "This unblocks the roadmap of three other teams.",
    "The board asked for a clear plan and a measurable result by the end of the period.",
    "Doing this well lets us say no to a lot of custom work.",
    "Our competitors already do this, and prospects ask about it in every call.",
    "The current approach does not scale past the next doubling of traffic.",
    "Support spends a large share of its week on tickets caused by this.",
    "We will review progress every other week in the team sync.",
    "Success means nobody has to think about this problem next year.",
)
OUT_OF_SCOPE = (
    "Rewriting the legacy admin tool.",
    "Markets outside Europe and North America.",
    "Changes to pricing.",
    "New hires; we do this with the current team.",
)

NUMERIC_KRS = (
    # id, title, unit, start range, lower is better, decimals
    ("deploy-time", "Median deploy time", "min", (30, 120), True, 0),
    ("checkout-p95", "p95 checkout latency", "ms", (300, 1200), True, 0),
    ("weekly-active-users", "Weekly active users", "users", (2000, 50000), False, 0),
    ("trial-conversion", "Trial to paid conversion", "%", (2, 12), False, 1),
    ("nps", "Net promoter score", "points", (10, 40), False, 0),
    ("mrr", "Monthly recurring revenue", "kEUR", (200, 2000), False, 0),
    ("open-tickets", "Open support tickets", "tickets", (150, 900), True, 0),
    ("churn", "Monthly churn", "%", (2, 8), True, 1),
    ("test-coverage", "Automated test coverage", "%", (40, 70), False, 1),
    ("cloud-spend", "Cloud spend per customer", "EUR", (8, 40), True, 1),
    ("time-to-value", "Time to first value", "days", (7, 30), True, 0),
    ("partners-live", "Partners live on the platform", "partners", (3, 25), False, 0),
    ("flaky-tests", "Flaky tests in the main suite", "tests", (40, 300), True, 0),
    ("mttr", "Mean time to recovery", "h", (2, 12), True, 1),
)
CONTROL_KRS = (
    # id, title, unit, keep, target, spread, decimals
    ("change-failure-rate", "Keep the change failure rate at or below 5%", "%", "below", 5, 3, 1),
    ("availability", "Keep availability at or above 99.9%", "%", "above", 99.9, 0.2, 2),
    ("csat", "Keep customer satisfaction at or above 4.2", "points", "above", 4.2, 0.5, 1),
    ("on-call-pages", "Keep on-call pages at or below 10 a week", "pages", "below", 10, 6, 0),
    (
        "support-backlog",
        "Keep the support backlog below 200 tickets",
        "tickets",
        "below",
        200,
        80,
        0,
    ),
)
MILESTONE_KRS = (
    ("runbook", "Publish the runbook"),
    ("beta-launch", "Launch the beta to ten customers"),
    ("design-partners", "Sign the first two design partners"),
    ("retire-pipeline", "Retire the old pipeline"),
    ("public-api", "Ship the public API"),
    ("security-review", "Complete the security review"),
    ("hire-lead", "Hire the team lead"),
    ("cluster-migration", "Move the last service to the new cluster"),
)
STEPS = (
    "Measure today's baseline",
    "Agree the plan with stakeholders",
    "Build the prototype",
    "Run the pilot with two teams",
    "Roll out to everyone",
    "Write the retrospective",
    "Interview ten customers",
    "Decide build or buy",
)
KR_KINDS = ("numeric", "numeric", "milestone", "control")
YAML_WORDS = frozenset(_words("y n yes no on off true false null ~"))
PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ,.'()/&+@_%:-]*")
PLAIN_NUMBER = re.compile(r"[-+.0-9][-+.0-9eE_:]*")


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    email: str
    team: str
    role: str
    manager: str | None
    partner: str | None


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    lead: str
    parent: str | None
    mission: str


@dataclass
class KeyResult:
    """One key result; ``kind`` is numeric, milestone or control (SPEC §1)."""

    id: str
    title: str
    kind: str
    unit: str | None = None
    start: float | None = None
    target: float | None = None
    current: float | None = None
    done: bool | None = None
    keep: str | None = None
    weight: float | None = None
    decimals: int = 0


@dataclass
class Milestone:
    title: str
    due: date
    done: bool
    owner: str | None


@dataclass
class Goal:
    """A goal as the generator evolves it; rendered with :func:`render_goal`."""

    id: str
    title: str
    level: str
    owner: str
    team: str
    period: str
    contributors: list[str]
    aligns_to: list[str]
    status: str
    description: str
    key_results: list[KeyResult]
    milestones: list[Milestone]
    links: list[tuple[str, str]]
    due: date | None = None
    superseded_by: str | None = None
    priority: str | None = None

    @property
    def path(self) -> str:
        return f"goals/{self.team}/{self.period}/{self.id}.yaml"


@dataclass
class Org:
    people: list[Person]
    teams: list[Team]
    goals: list[Goal] = field(default_factory=list)


# --- building the organisation -------------------------------------------------------


def make_org(rng: random.Random, n_goals: int) -> Org:
    """People (~n/4), teams (~n/40, a tree under one root) and n goals aligned as a DAG."""
    n_teams = max(3, n_goals // 40)
    team_ids = ["company", *_unique_ids(rng, TEAM_WORDS, n_teams - 1)]
    people = _make_people(rng, max(n_teams * 2, n_goals // 4), team_ids)
    teams = _make_teams(rng, team_ids, people)
    org = Org(people=_link_people(rng, people, teams), teams=teams)
    org.goals = _make_goals(rng, org, n_goals)
    return org


def _unique_ids(rng: random.Random, words: Sequence[str], n: int) -> list[str]:
    counts: dict[str, int] = {}
    ids = []
    for _ in range(n):
        word = rng.choice(words)
        counts[word] = counts.get(word, 0) + 1
        ids.append(word if counts[word] == 1 else f"{word}-{counts[word]}")
    return ids


def _make_people(rng: random.Random, n: int, team_ids: list[str]) -> list[Person]:
    """The first len(team_ids) people lead one team each, so that no team is empty."""
    seen: dict[str, int] = {}
    people = []
    for i in range(n):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        base = f"{first}-{last}".lower()
        seen[base] = seen.get(base, 0) + 1
        pid = base if seen[base] == 1 else f"{base}-{seen[base]}"
        lead = i < len(team_ids)
        people.append(
            Person(
                id=pid,
                name=f"{first} {last.replace('-', ' ')}",
                email=pid.replace("-", ".", 1) + "@example.com",
                team=team_ids[i] if lead else rng.choice(team_ids),
                role="Team lead" if lead else rng.choice(ROLES),
                manager=None,
                partner=None,
            )
        )
    return people


def _make_teams(rng: random.Random, team_ids: list[str], people: list[Person]) -> list[Team]:
    teams = []
    for i, tid in enumerate(team_ids):
        # Biased towards early teams: a shallow tree with a few deep branches.
        parent = team_ids[int(i * rng.random() ** 2)] if i else None
        name = "The company" if i == 0 else tid.replace("-", " ").title()
        teams.append(Team(tid, name, people[i].id, parent, rng.choice(MISSIONS)))
    return teams


def _link_people(rng: random.Random, people: list[Person], teams: list[Team]) -> list[Person]:
    """Managers follow the team tree (a lead reports to the parent team's lead)."""
    by_id = {t.id: t for t in teams}
    linked = []
    for p in people:
        team = by_id[p.team]
        manager = team.lead if team.lead != p.id else by_id.get(team.parent or "", team).lead
        partner = rng.choice(people).id if rng.random() < 0.6 else None
        linked.append(
            replace(
                p,
                manager=manager if manager != p.id else None,
                partner=partner if partner != p.id else None,
            )
        )
    return linked


def _make_goals(rng: random.Random, org: Org, n: int) -> list[Goal]:
    """Organisation goals first, then team goals, then individual goals.

    A goal aligns only to goals of a higher level made before it, so the alignment graph is a
    DAG by construction, and adding goals in list order never leaves a dangling reference.
    """
    n_org = max(3, n // 50)
    n_team = int(n * 0.35)
    members: dict[str, list[str]] = {t.id: [] for t in org.teams}
    for p in org.people:
        members[p.team].append(p.id)
    goals: list[Goal] = []
    team_goals: dict[tuple[str, str], list[str]] = {}
    org_ids: list[str] = []
    for i in range(n):
        if i < n_org:
            level, team, period = "organization", org.teams[0], ORG_PERIOD
            parents: list[str] = []
        else:
            level = "team" if i < n_org + n_team else "individual"
            team, period = rng.choice(org.teams[1:]), rng.choice(QUARTERS)
            parents = _pick_parents(rng, level, team, period, org_ids, team_goals, org)
        lead_owns = level == "organization" or (level == "team" and rng.random() < 0.6)
        owner = team.lead if lead_owns else rng.choice(members[team.id])
        goal = _make_goal(rng, i, level, owner, team.id, period, parents, members[team.id])
        goals.append(goal)
        if level == "organization":
            org_ids.append(goal.id)
        elif level == "team":
            team_goals.setdefault((team.id, period), []).append(goal.id)
    return goals


def _pick_parents(
    rng: random.Random,
    level: str,
    team: Team,
    period: str,
    org_ids: list[str],
    team_goals: dict[tuple[str, str], list[str]],
    org: Org,
) -> list[str]:
    if rng.random() < 0.02:
        return []  # a few orphans, as in any real organisation
    if level == "team":
        candidates = org_ids
    else:
        candidates = team_goals.get((team.id, period)) or team_goals.get(
            (team.parent or "", period), org_ids
        )
    parents = [rng.choice(candidates)]
    if rng.random() < 0.1:
        other = rng.choice(org.teams[1:]).id
        second = rng.choice(team_goals.get((other, period), org_ids))
        if second not in parents:
            parents.append(second)
    return parents


def _make_goal(
    rng: random.Random,
    index: int,
    level: str,
    owner: str,
    team: str,
    period: str,
    parents: list[str],
    members: list[str],
) -> Goal:
    verbs, objects = rng.choice(OBJECTIVES)
    verb, obj = rng.choice(verbs), rng.choice(objects)
    start, end = PERIOD_DATES[period]
    others = [m for m in members if m != owner]
    return Goal(
        id=f"{verb}-{obj.removeprefix('the ')}-{index:05d}".lower().replace(" ", "-"),
        title=f"{verb} {obj} {rng.choice(QUALIFIERS)}",
        level=level,
        owner=owner,
        team=team,
        period=period,
        contributors=rng.sample(others, min(len(others), rng.randint(0, 3))),
        aligns_to=parents,
        status="draft" if rng.random() < 0.05 else "active",
        description=_description(rng),
        key_results=_key_results(rng),
        milestones=_milestones(rng, start, end, [owner, *others]),
        links=[_link(rng, team) for _ in range(rng.randint(1, 3))],
        due=end - timedelta(days=rng.randint(7, 30)) if rng.random() < 0.03 else None,
        priority=rng.choice(("P1", "P2")) if rng.random() < 0.03 else None,
    )


def _description(rng: random.Random) -> str:
    lines = rng.sample(SENTENCES, rng.randint(2, 3))
    if rng.random() < 0.4:
        lines += ["", "Out of scope:", "", *(f"- {s}" for s in rng.sample(OUT_OF_SCOPE, 2))]
    return "\n".join(lines) + "\n"


def _key_results(rng: random.Random) -> list[KeyResult]:
    """2-5 key results, the first numeric, no template twice in one goal."""
    kinds = ["numeric", *(rng.choice(KR_KINDS) for _ in range(rng.randint(1, 4)))]
    numeric = rng.sample(NUMERIC_KRS, kinds.count("numeric"))
    control = rng.sample(CONTROL_KRS, kinds.count("control"))
    milestone = rng.sample(MILESTONE_KRS, kinds.count("milestone"))
    krs = []
    for kind in kinds:
        if kind == "numeric":
            krs.append(_numeric_kr(rng, *numeric.pop()))
        elif kind == "control":
            krs.append(_control_kr(rng, *control.pop()))
        else:
            krs.append(KeyResult(*milestone.pop(), kind, done=False))
    for kr in krs:
        kr.weight = rng.choice((2, 3, 0.5)) if rng.random() < 0.15 else None
    return krs


def _numeric_kr(
    rng: random.Random,
    kid: str,
    title: str,
    unit: str,
    start_range: tuple[float, float],
    lower_is_better: bool,
    decimals: int,
) -> KeyResult:
    start = _round(rng.uniform(*start_range), decimals)
    factor = rng.uniform(0.3, 0.8) if lower_is_better else rng.uniform(1.2, 2.5)
    target = _round(start * factor, decimals)
    if target == start:
        target = start - 1 if lower_is_better else start + 1
    current = start if rng.random() < 0.7 else None
    return KeyResult(kid, title, "numeric", unit, start, target, current, decimals=decimals)


def _control_kr(
    rng: random.Random,
    kid: str,
    title: str,
    unit: str,
    keep: str,
    target: float,
    spread: float,
    decimals: int,
) -> KeyResult:
    current = _round(target + rng.uniform(-spread, spread) / 2, decimals)
    return KeyResult(
        kid, title, "control", unit, target=target, current=current, keep=keep, decimals=decimals
    )


def _milestones(rng: random.Random, start: date, end: date, owners: list[str]) -> list[Milestone]:
    span = (end - start).days
    dues = sorted(start + timedelta(days=rng.randint(7, span)) for _ in range(rng.randint(1, 3)))
    steps = rng.sample(STEPS, len(dues))
    return [
        Milestone(s, d, False, rng.choice(owners) if rng.random() < 0.5 else None)
        for s, d in zip(steps, dues, strict=True)
    ]


def _link(rng: random.Random, team: str) -> tuple[str, str]:
    key = team.split("-")[0][:4].upper()
    n = rng.randint(1, 999)
    token = f"{rng.getrandbits(60):015x}"
    return rng.choice(
        (
            (f"Jira epic {key}-{n}", f"https://acme.atlassian.net/browse/{key}-{n}"),
            ("Design document", f"https://docs.google.com/document/d/{token}/edit"),
            ("Asana project", f"https://app.asana.com/0/{n}{n}/list"),
            ("Planning board", f"https://trello.com/b/{token[:8]}/{team}"),
            (f"Tracking issue #{n}", f"https://github.com/acme/{team}/issues/{n}"),
        )
    )


def _round(value: float, decimals: int) -> float:
    return float(round(value, decimals))


# --- rendering -----------------------------------------------------------------------


def scalar(value: object) -> str:
    """A YAML scalar that reads back as the same value (quoting only when needed)."""
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not value.is_integer():
        return repr(value)
    if isinstance(value, float):
        return str(int(value))
    return str(value)


@lru_cache(maxsize=8192)
def _text(text: str) -> str:
    plain = (
        PLAIN.fullmatch(text)
        and not PLAIN_NUMBER.fullmatch(text)
        and text.lower() not in YAML_WORDS
        and ": " not in text
        and not text.endswith(":")
    )
    return text if plain else json.dumps(text)


def flow(items: Sequence[str]) -> str:
    return "[" + ", ".join(scalar(i) for i in items) + "]"


def render_goal(goal: Goal) -> str:
    out = [f"id: {goal.id}", f"title: {scalar(goal.title)}", f"level: {goal.level}"]
    out += [f"owner: {goal.owner}", f"team: {goal.team}"]
    if goal.contributors:
        out.append(f"contributors: {flow(goal.contributors)}")
    out.append(f"period: {goal.period}")
    if goal.due:
        out.append(f"due: {goal.due}")
    if goal.aligns_to:
        out.append(f"aligns_to: {flow(goal.aligns_to)}")
    out.append(f"status: {goal.status}")
    if goal.superseded_by:
        out.append(f"superseded_by: {goal.superseded_by}")
    if goal.priority:
        out.append(f"x-priority: {goal.priority}")
    out.append("description: |")
    out += [f"  {line}" if line else "" for line in goal.description.splitlines()]
    out.append("key_results:")
    for kr in goal.key_results:
        out += _render_kr(kr)
    out.append("milestones:")
    for m in goal.milestones:
        out += [f"  - title: {scalar(m.title)}", f"    due: {m.due}", f"    done: {scalar(m.done)}"]
        if m.owner:
            out.append(f"    owner: {m.owner}")
    out.append("links:")
    for title, url in goal.links:
        out += [f"  - title: {scalar(title)}", f"    url: {url}"]
    return "\n".join(out) + "\n"


def _render_kr(kr: KeyResult) -> list[str]:
    fields = (
        ("title", kr.title),
        ("unit", kr.unit),
        ("keep", kr.keep),
        ("start", kr.start),
        ("target", kr.target),
        ("current", kr.current),
        ("done", kr.done),
        ("weight", kr.weight),
    )
    lines = [f"  - id: {kr.id}"]
    lines += [f"    {key}: {scalar(value)}" for key, value in fields if value is not None]
    return lines


def render_config(title: str) -> str:
    out = [
        f"title: {scalar(title)}",
        "goals_dir: goals",
        "repo_url: https://github.com/acme/goals",
        "timezone: UTC",
        "checkin_days: 14",
        "health:",
        "  at_risk: 0.1",
        "  off_track: 0.25",
        "periods:",
    ]
    for pid, (start, end) in PERIOD_DATES.items():
        out += [f"  - id: {pid}", f"    start: {start}", f"    end: {end}"]
    return "\n".join(out) + "\n"


def render_people(people: Sequence[Person]) -> str:
    out = ["people:"]
    for p in people:
        out += [f"  - id: {p.id}", f"    name: {scalar(p.name)}", f"    email: {p.email}"]
        out += [f"    team: {p.team}", f"    role: {scalar(p.role)}"]
        out += [f"    {k}: {v}" for k, v in (("manager", p.manager), ("partner", p.partner)) if v]
    return "\n".join(out) + "\n"


def render_teams(teams: Sequence[Team]) -> str:
    out = ["teams:"]
    for t in teams:
        out += [f"  - id: {t.id}", f"    name: {scalar(t.name)}", f"    lead: {t.lead}"]
        if t.parent:
            out.append(f"    parent: {t.parent}")
        out.append(f"    mission: {scalar(t.mission)}")
    return "\n".join(out) + "\n"
