"""The pages of the site (SPEC §5) as data: what each page shows, and a key that changes
whenever that changes.

:func:`plan` turns the computed goals into :class:`Page` values. A page's ``key`` is a
digest of everything its template sees, so a build can reuse the previous file whenever
the key is unchanged; its ``context`` is built only for pages that are rendered. Nothing
here writes files or renders HTML.
"""

from __future__ import annotations

import functools
import heapq
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from operator import attrgetter
from typing import Any, NamedTuple

import msgspec
from msgspec import field

from goalsrepo.files.config import Config, Period, Person, Team
from goalsrepo.files.model import ENCODER, Goal
from goalsrepo.gitlog.cache import digest
from goalsrepo.numbers import alignment, review
from goalsrepo.numbers.progress import GoalStatus
from goalsrepo.numbers.review import AdjustmentRow, Win
from goalsrepo.web import charts
from goalsrepo.web.rows import Rows
from goalsrepo.web.widgets import health_label

HEALTHS = ("off_track", "at_risk", "on_track", "done", "achieved", "missed", "dropped", "draft")
SMART = (
    ("S", "Specific", ("GR201", "GR202")),
    ("M", "Measurable", ("GR203", "GR204")),
    ("A", "Achievable", ("GR205", "GR206")),
    ("R", "Relevant", ("GR207",)),
    ("T", "Time-bound", ("GR208",)),
)
RECENT_CHECKINS = 15
RECENT_WINS = 10
ATTENTION = 25
PERSON_CHECKINS = 20
WINS_PAGE = 500
FEED_ENTRIES = 50


_PORTABLE = re.compile(r"[a-z0-9.-]+")


@functools.cache
def file_name(ident: str) -> str:
    """An id as a file name that is the same on every file system: lower case letters,
    digits, ``-`` and ``.`` stay; an upper-case letter becomes ``_`` and its lower case, an
    underscore ``__``. Injective, so two ids never share a page, even on a file system that
    ignores case. Ids are schema-checked before a build; the writer still refuses any path
    that would leave the output folder."""
    if _PORTABLE.fullmatch(ident):  # every goal id, and most others
        return ident
    out = []
    for char in ident:
        if "A" <= char <= "Z":
            out.append("_" + char.lower())
        elif char == "_":
            out.append("__")
        elif char.isascii() and (char.isalnum() or char in "-."):
            out.append(char)
        else:
            out.append(f"_{ord(char):x}_")
    return "".join(out)


class Card(msgspec.Struct, dict=True):
    """A goal as lists show it: enough for a row, a link and a progress bar. A build makes
    10,000 cards; the ``__dict__`` holds their cached row and key."""

    id: str
    title: str
    path: str
    level: str
    owner: str
    owner_name: str
    team: str | None
    team_name: str | None
    period: str | None
    progress: float
    expected: float | None
    health: str
    stale: bool
    status: str
    due: str | None
    last_checkin: str | None
    score: float | None
    owner_path: str
    team_path: str | None
    period_path: str | None

    @functools.cached_property
    def key(self) -> bytes:
        return digest(self.row)

    @functools.cached_property
    def row(self) -> tuple[Any, ...]:
        """What lists show of the goal (computed once: every page key takes it), with the
        ids its links are made of: two people may share a name."""
        return (self.id, self.title, self.level, self.owner, self.owner_name, self.team,
                self.team_name, self.period, self.progress, self.expected, self.health,
                self.stale, self.status, self.due, self.last_checkin, self.score)


Authors = tuple[tuple[str, str], ...]  # a commit's (name, e-mail) pairs


class AuthorSets:
    """Each set of commit authors that check-ins name, kept once and named by its number.
    At 10,000 goals, 50,000 check-ins name some 4,000 sets: a number decodes, hashes and
    counts far faster than the names and e-mails it stands for. Numbers are only ever
    added; the sets live as long as the rows that name them (:mod:`logbook`)."""

    def __init__(self, sets: list[Authors] | None = None) -> None:
        self.sets: list[Authors] = sets if sets is not None else []
        self._numbers: dict[Authors, int] | None = None  # made on the first new row

    def number(self, authors: Authors) -> int:
        if self._numbers is None:
            self._numbers = {a: n for n, a in enumerate(self.sets)}
        found = self._numbers.get(authors)
        if found is None:
            found = self._numbers[authors] = len(self.sets)
            self.sets.append(authors)
        return found


class CheckinRow(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A check-in as lists across goals show it (person pages, the dashboard); its
    ``authors`` are a number in the build's :class:`AuthorSets`."""

    goal: str
    day: str
    commit: str
    authors: int
    summary: str


class DriftRow(msgspec.Struct, frozen=True, gc=False, array_like=True):
    goal: str
    moves: tuple[tuple[str, str, Any, Any], ...]     # (kr or "", field, first, now)
    adjustments: tuple[AdjustmentRow, ...]


ProgressRows = tuple[tuple[str, int | float | None], ...]
# int | float: a progress of 1 stays 1 when the logbook is read back.
_PROGRESS_ROWS = msgspec.msgpack.Decoder(ProgressRows)
NO_PROGRESS = msgspec.Raw(ENCODER.encode(()))


class Derived(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """What the site keeps of a goal's history between builds (see :mod:`logbook`):
    besides the rows above, its wins, every adjustment and the goal's progress over time
    (``(day, own progress or None)``), which a period's burn-up adds up. The progress is
    kept encoded (:func:`encode_progress`): decoding it was about a third of decoding the
    logbook, and a build after a check-in reads only the changed quarter's."""

    checkins: tuple[CheckinRow, ...] = ()
    wins: tuple[Win, ...] = ()
    drift: DriftRow | None = None
    adjustments: tuple[AdjustmentRow, ...] = ()
    progress: msgspec.Raw = NO_PROGRESS

    def progress_rows(self) -> ProgressRows:
        return _PROGRESS_ROWS.decode(self.progress)


def encode_progress(rows: ProgressRows) -> msgspec.Raw:
    return msgspec.Raw(ENCODER.encode(rows))


class Who(NamedTuple):
    """A commit author as pages show them: linked to their person page (``path``) when
    people.yaml knows them."""

    name: str
    path: str | None


class Page(msgspec.Struct):
    """One file of the site. ``template`` renders ``context()``; ``raw`` gives bytes. A
    ``key`` of None says the page is the previous build's: none of the goals it shows
    changed (see :func:`goalsrepo.web.memory.changed`), so its key was not even computed.
    A build plans some 12,000 pages."""

    path: str
    key: bytes | None
    template: str | None = None
    context: Callable[[], dict[str, Any]] | None = None
    raw: Callable[[], bytes] | None = None


class SiteData(msgspec.Struct):
    """Everything the pages are made of, computed once per build."""

    config: Config
    as_of: date
    commit: str | None
    base_url: str | None
    statuses: dict[str, GoalStatus]
    people: dict[str, Person]
    teams: dict[str, Team]
    derived: Mapping[str, Derived]
    author_sets: Sequence[Authors]  # the check-ins' authors, by number (AuthorSets)
    smart: dict[str, tuple[tuple[str, str], ...]]   # goal id -> (code, message) warnings
    goal_page: Callable[[str], dict[str, Any]]      # the goal page's own context (site.py)
    goal_page_key: Callable[[str], Any]
    global_digest: bytes  # of the build's global key: part of every page's key
    # The goals whose pages may differ from the previous build's (memory.changed), and
    # the card keys of the others; None: key every page.
    dirty: set[str] | None = None
    known: dict[str, bytes] = field(default_factory=dict)
    cards: dict[str, Card] = field(default_factory=dict)
    parents: dict[str, list[str]] = field(default_factory=dict)  # those that exist
    children: dict[str, list[str]] = field(default_factory=dict)
    replaced: dict[str, list[Card]] = field(default_factory=dict)  # new goal -> old ones
    continues: dict[str, str | None] = field(default_factory=dict)  # goal -> the one it carries on
    continued_by: dict[str, str] = field(default_factory=dict)
    by_email: dict[str, str] = field(default_factory=dict)
    # Commit authors as people, per set of authors: a few thousand sets recur in the
    # 50,000 check-ins and 5,000 wins of a large site.
    who: dict[tuple[tuple[str, str], ...], tuple[Who, ...]] = field(default_factory=dict)
    rows: Rows | None = None  # what the last build drew of the long lists

    def person_name(self, person: str | None) -> str:
        if person is None:
            return ""
        found = self.people.get(person)
        return found.name if found else person

    def team_name(self, team: str | None) -> str | None:
        if team is None:
            return None
        found = self.teams.get(team)
        return found.name if found else team


def card(status: GoalStatus, data: SiteData) -> Card:
    goal = status.goal
    return Card(
        goal.id, goal.title, f"goals/{file_name(goal.id)}.html", goal.level, goal.owner,
        data.person_name(goal.owner), goal.team, data.team_name(goal.team), goal.period,
        status.progress, status.expected, status.health, status.stale, goal.status,
        status.due.isoformat() if status.due else None,
        status.last_checkin.isoformat() if status.last_checkin else None, status.score,
        f"people/{file_name(goal.owner)}.html",
        f"teams/{file_name(goal.team)}.html" if goal.team else None,
        f"periods/{file_name(goal.period)}.html" if goal.period else None,
    )


def prepare(data: SiteData) -> None:
    """Fill the cards, the alignment children and the e-mail directory."""
    data.cards = {gid: card(s, data) for gid, s in data.statuses.items()}
    data.parents = {gid: [p for p in s.goal.aligns_to if p in data.statuses]
                    for gid, s in data.statuses.items()}
    data.children = alignment.children(data.parents)
    data.by_email = {email.lower(): person.id for person in data.people.values()
                     for email in person.emails}
    data.continues = {gid: s.goal.continues if s.goal.continues in data.statuses else None
                      for gid, s in data.statuses.items()}
    data.continued_by = alignment.continued_by(data.continues)
    for gid in sorted(data.statuses):
        new = data.statuses[gid].goal.superseded_by
        if new is not None:
            data.replaced.setdefault(new, []).append(data.cards[gid])


def attention_order(cards: Iterable[Card]) -> list[Card]:
    """Off track first, then at risk, then by due date, then id (the status command's)."""
    rank = {h: i for i, h in enumerate(HEALTHS)}
    return sorted(cards, key=lambda c: (rank.get(c.health, 9), c.due or "9999", c.id))


_HEALTH, _PROGRESS, _EXPECTED = attrgetter("health"), attrgetter("progress"), attrgetter("expected")
_STALE, _STATUS = attrgetter("stale"), attrgetter("status")


def summary(cards: list[Card], memo: Rows | None = None) -> dict[str, Any]:
    """Counts by health and the average progress and expectation of a group of goals.
    A rebuild sums every goal half a dozen times, in a few hundred groups: with ``memo``,
    a group whose cards (in the same order: the sums are of floats) are the last build's
    takes the last build's summary."""
    if memo is None:
        return _summary(cards)
    key = ("summary", digest(card_keys(cards)))
    found: dict[str, Any] | None = memo.get(key)
    return memo.put(key, _summary(cards)) if found is None else found


def _summary(cards: list[Card]) -> dict[str, Any]:
    counts = Counter(map(_HEALTH, cards))
    expected = [e for e in map(_EXPECTED, cards) if e is not None]
    statuses = Counter(map(_STATUS, cards))
    return {
        "goals": len(cards),
        "health": [(h, health_label(h), counts[h]) for h in HEALTHS if counts[h]],
        "progress": sum(map(_PROGRESS, cards)) / len(cards) if cards else 0.0,
        "expected": sum(expected) / len(expected) if expected else None,
        "stale": sum(map(_STALE, cards)),
        "open": statuses["active"] + statuses["draft"],
    }


def summaries(groups: list[tuple[Any, list[Card]]],
              memo: Rows | None) -> Callable[[], list[tuple[Any, Any]]]:
    """Each group's :func:`summary`, computed on first use and shared by the pages that
    show them (the dashboard and the lists of teams and periods)."""
    return functools.cache(lambda: [(g, summary(cs, memo)) for g, cs in groups])


def card_keys(cards: Iterable[Card]) -> bytes:
    """What a list of goals shows, as one digest: each card's digest is computed once,
    though a card shows on half a dozen pages."""
    return b"".join(c.key for c in cards)


def _people_of(data: SiteData, authors: Authors) -> list[str]:
    """The people.yaml ids of commit authors that people.yaml knows, each once."""
    found = (data.by_email.get(email.lower()) for _, email in authors)
    return [p for p in dict.fromkeys(found) if p is not None]


def _who(data: SiteData, authors: Authors) -> tuple[Who, ...]:
    """Commit authors as people: linked to their page when people.yaml knows them."""
    found = data.who.get(authors)
    if found is None:
        out: dict[str, Who] = {}
        for name, email in authors:
            person = data.by_email.get(email.lower())
            if person is not None:
                out.setdefault(person, Who(data.person_name(person),
                                           f"people/{file_name(person)}.html"))
            else:
                out.setdefault(name, Who(name, None))
        found = data.who[authors] = tuple(out.values())
    return found


def checkin_view(data: SiteData, row: CheckinRow) -> dict[str, Any]:
    goal = data.cards.get(row.goal)
    return {"goal": goal, "day": row.day, "commit": row.commit,
            "who": _who(data, data.author_sets[row.authors]), "summary": row.summary}


def win_text(data: SiteData, row: Win) -> str:
    """What a win was, in words: a key result is named by its title now."""
    if row.what == "goal":
        return "Goal achieved"
    if row.what == "milestone":
        return f"Milestone done: {row.name}"
    kr = next((k for k in data.statuses[row.goal].goal.key_results if k.id == row.name), None)
    return f"Key result hit: {kr.title if kr else row.name}"


def win_view(data: SiteData, row: Win) -> dict[str, Any]:
    return {"goal": data.cards[row.goal], "day": row.day, "commit": row.commit,
            "text": win_text(data, row), "who": _who(data, row.authors)}


def feed_entry(data: SiteData, row: Win) -> dict[str, Any]:
    """A win as the feed shows it, with an id that stays the win's own."""
    return {**win_view(data, row), "id": f"{row.commit}-{file_name(row.goal)}-{row.what}-"
            f"{digest(row.name).hex()[:8]}"}


NEWEST_CHECKIN = attrgetter("day", "commit", "goal")
_AUTHORS = attrgetter("authors")
CHECKIN_DAY = attrgetter("day")
NEWEST_WIN = attrgetter("day", "commit", "goal", "what", "name")


def latest_wins(data: SiteData) -> tuple[list[Win], int]:
    """The latest wins of the goals that still exist (as many as the wins page shows),
    newest first, and how many there are in all."""
    wins = [w for gid, d in data.derived.items() if gid in data.cards for w in d.wins]
    return heapq.nlargest(WINS_PAGE, wins, key=NEWEST_WIN), len(wins)


def all_checkins(data: SiteData) -> list[CheckinRow]:
    """The check-ins of the goals that still exist, in no order: the pages that show some
    take the newest few (sorting them all costs more than the rest of a rebuild) with
    :func:`newest_checkins`."""
    return [c for gid, d in data.derived.items() if gid in data.cards for c in d.checkins]


def newest_checkins(rows: Iterable[CheckinRow], count: int) -> list[CheckinRow]:
    """The ``count`` newest check-ins, newest first."""
    return heapq.nlargest(count, rows, key=NEWEST_CHECKIN)


def plan(data: SiteData) -> list[Page]:
    """Every page of the site, in a fixed order. With ``data.dirty``, only the pages that
    show one of those goals get a key; the others are the previous build's."""
    prepare(data)
    dirty = data.dirty
    if dirty is not None:
        for gid, c in data.cards.items():
            if gid not in dirty:  # the same card: its previous key, without a digest
                c.__dict__["key"] = data.known[gid]
    ordered = sorted(data.cards.values(), key=lambda c: c.id)
    # Lists show goals in attention order: sort once, and every group taken from this
    # list in order is sorted too (the order is total, so a subset sorts the same).
    urgent = attention_order(ordered)
    by_period: dict[str | None, list[Card]] = {}
    by_team: dict[str | None, list[Card]] = {}
    for c in urgent:
        by_period.setdefault(c.period, []).append(c)
        by_team.setdefault(c.team, []).append(c)
    periods = [(p, by_period.get(p.id, [])) for p in data.config.periods]
    teams = [(t, by_team.get(t.id, [])) for t in data.teams.values()]
    checkins = all_checkins(data)
    wins = latest_wins(data)
    key = data.global_digest
    period_sums, team_sums = summaries(periods, data.rows), summaries(teams, data.rows)
    return [
        *_overview_pages(data, key, ordered, urgent, period_sums, team_sums, checkins, wins),
        *_goal_pages(data, key, ordered, dirty),
        *_team_pages(data, key, teams, team_sums, dirty),
        *_people_pages(data, key, urgent, checkins, dirty),
        *_period_pages(data, key, periods, period_sums, dirty),
        *_record_pages(data, key, wins),
    ]


def chain(data: SiteData, goal_id: str) -> tuple[list[Card], list[Card]]:
    """The goals a goal carries on (oldest first) and those that carry it on (next
    first), as cards: its page shows the chain across periods."""
    before, after = alignment.continuation(goal_id, data.continues, data.continued_by)
    return [data.cards[g] for g in before], [data.cards[g] for g in after]


def _goal_pages(data: SiteData, key: bytes, ordered: list[Card],
                dirty: set[str] | None) -> list[Page]:
    """A page per goal. It shows its parents', children's, replacements' and chain's
    cards too, so a changed goal changes their pages as well."""
    keyed = None
    if dirty is not None:
        keyed = set(dirty)
        for gid in dirty:
            goal = data.statuses[gid].goal
            before, after = alignment.continuation(gid, data.continues, data.continued_by)
            keyed.update(goal.aligns_to, data.children.get(gid, ()),
                         (c.id for c in data.replaced.get(gid, ())), before, after)
            if goal.superseded_by:
                keyed.add(goal.superseded_by)
    return [Page(c.path,
                 digest((key, "goal", data.goal_page_key(c.id)))
                 if keyed is None or c.id in keyed else None,
                 "goal.html", _bind(data.goal_page, c.id))
            for c in ordered]


def _unchanged(cards: Iterable[Card], dirty: set[str] | None) -> bool:
    return dirty is not None and all(c.id not in dirty for c in cards)


def _overview_pages(data: SiteData, key: bytes, ordered: list[Card], urgent: list[Card],
                    period_sums: Callable[[], list[tuple[Any, Any]]],
                    team_sums: Callable[[], list[tuple[Any, Any]]], checkins: list[CheckinRow],
                    wins: tuple[list[Win], int]) -> list[Page]:
    """The dashboard and the alignment map."""
    attention = [c for c in urgent if c.health in ("off_track", "at_risk")]
    stale = [c for c in ordered if c.stale]
    recent_checkins = newest_checkins(checkins, RECENT_CHECKINS)
    recent_wins = wins[0][:RECENT_WINS]
    overall = functools.cache(lambda: summary(ordered, data.rows))

    def dashboard() -> dict[str, Any]:
        return {
            "overall": overall(),
            "periods": [(p, s) for p, s in period_sums() if s["goals"]],
            "teams": [(t, s) for t, s in team_sums() if s["goals"]],
            "attention": attention[:ATTENTION], "attention_total": len(attention),
            "stale": stale[:ATTENTION], "stale_total": len(stale),
            "checkins": [checkin_view(data, c) for c in recent_checkins],
            "wins": [win_view(data, w) for w in recent_wins],
        }

    edges = tuple((c, tuple(k)) for c, k in sorted(data.children.items()))
    return [
        Page("index.html", digest((key, "index", data.commit, card_keys(ordered),
                                   _encoded_checkins(data, recent_checkins),
                                   _encoded(recent_wins),
                                   _words(data, recent_wins))),
             "dashboard.html", dashboard),
        Page("alignment.html", digest((key, "alignment", card_keys(ordered), edges)),
             "alignment.html", lambda: alignment_context(data, overall())),
    ]


def _team_pages(data: SiteData, key: bytes, teams: list[tuple[Team, list[Card]]],
                team_sums: Callable[[], list[tuple[Any, Any]]],
                dirty: set[str] | None) -> list[Page]:
    members: dict[str, list[Person]] = {}
    for person in data.people.values():
        if person.team:
            members.setdefault(person.team, []).append(person)
    sub_teams: dict[str, list[Team]] = {}
    for team in data.teams.values():
        if team.parent:
            sub_teams.setdefault(team.parent, []).append(team)
    out = [Page("teams.html",
                digest((key, "teams", tuple((t.id, card_keys(cs)) for t, cs in teams))),
                "teams.html", lambda: {"teams": team_sums()})]
    for team, cs in teams:
        here = members.get(team.id, [])
        subs = sub_teams.get(team.id, [])
        out.append(Page(
            f"teams/{file_name(team.id)}.html",
            None if _unchanged(cs, dirty) else
            digest((key, "team", team.id, card_keys(cs), tuple(p.id for p in here),
                    tuple(t.id for t in subs))),
            "team.html",
            _bind(lambda t, cs, ps, subs: {
                "team": t, "cards": cs, "summary": summary(cs, data.rows), "members": ps,
                "subteams": subs,
                "lead": data.people.get(t.lead) if t.lead else None,
                "parent": data.teams.get(t.parent) if t.parent else None},
                team, cs, here, subs)))
    return out


def _people_pages(data: SiteData, key: bytes, urgent: list[Card],
                  checkins: list[CheckinRow], dirty: set[str] | None) -> list[Page]:
    """A page per person: what they own and contribute to, their check-ins, their
    accountability partner (and whom they are partner for)."""
    owns: dict[str, list[Card]] = {}
    contributes: dict[str, list[Card]] = {}
    for c in urgent:
        owns.setdefault(c.owner, []).append(c)
        for contributor in data.statuses[c.id].goal.contributors:
            contributes.setdefault(contributor, []).append(c)
    # Check-ins by their authors first: a few thousand sets of authors recur in 50,000
    # check-ins, and each set is matched with people once.
    tally = Counter(map(_AUTHORS, checkins))
    whose = {n: _people_of(data, data.author_sets[n]) for n in tally}
    counted: Counter[str] = Counter()
    for authors, n in tally.items():
        for who in whose[authors]:
            counted[who] += n
    # Whose pages show a changed goal: its owner and contributors, and whoever checked in
    # on it. Only their check-ins are gathered (everyone's, with no build to compare).
    active = {who for gid in dirty or () if gid in data.cards and gid in data.derived
              for row in data.derived[gid].checkins for who in whose[row.authors]}
    for gid in dirty or ():
        if gid in data.cards:
            changed = data.statuses[gid].goal
            active.update((changed.owner, *changed.contributors))
    by_authors: dict[int, list[CheckinRow]] = {
        authors: [] for authors, people in whose.items()
        if dirty is None or not active.isdisjoint(people)}
    for row in checkins:  # in no order
        if (rows := by_authors.get(row.authors)) is not None:
            rows.append(row)
    activity: dict[str, list[CheckinRow]] = {}
    for authors, rows in by_authors.items():
        for who in whose[authors]:
            activity.setdefault(who, []).extend(rows)
    partners_of: dict[str, list[Person]] = {}
    for person in data.people.values():
        if person.partner:
            partners_of.setdefault(person.partner, []).append(person)
    people = sorted(data.people.values(), key=lambda p: p.name.lower())
    counts = [(p, data.teams.get(p.team) if p.team else None, len(owns.get(p.id, ())),
               len(contributes.get(p.id, ())), counted[p.id]) for p in people]
    out = [Page("people.html",
                digest((key, "people", tuple((p.id, *n) for p, _, *n in counts))),
                "people.html", lambda: {"people": counts})]

    def context(person: Person, own: list[Card], contrib: list[Card],
                acts: list[CheckinRow] | None, partner_for: list[Person]) -> dict[str, Any]:
        if acts is None:  # a page kept from the last build: its check-ins were not gathered
            acts = [row for row in checkins if person.id in whose[row.authors]]
        newest = newest_checkins(acts, PERSON_CHECKINS)
        return {
            "person": person, "owns": own, "contributes": contrib,
            "team": data.teams.get(person.team) if person.team else None,
            "checkin_count": len(acts), "checkin_days": len(set(map(CHECKIN_DAY, acts))),
            "checkins": [checkin_view(data, a) for a in newest],
            "partner": data.people.get(person.partner) if person.partner else None,
            "partner_for": partner_for,
            "manager": data.people.get(person.manager) if person.manager else None,
        }

    for person in data.people.values():
        own = owns.get(person.id, [])
        contrib = contributes.get(person.id, [])
        acts = activity.get(person.id, []) if dirty is None or person.id in active else None
        partner_for = partners_of.get(person.id, [])
        page_key = None
        if acts is not None:
            newest = newest_checkins(acts, PERSON_CHECKINS)
            # The check-ins name their goals: a goal's new title shows here too.
            page_key = digest((key, "person", person.id, card_keys(own), card_keys(contrib),
                               len(acts), len(set(map(CHECKIN_DAY, acts))),
                               _encoded_checkins(data, newest),
                               tuple(data.cards[row.goal].title for row in newest),
                               tuple(p.id for p in partner_for)))
        out.append(Page(f"people/{file_name(person.id)}.html", page_key, "person.html",
                        _bind(context, person, own, contrib, acts, partner_for)))
    return out


def _period_pages(data: SiteData, key: bytes, periods: list[tuple[Period, list[Card]]],
                  period_sums: Callable[[], list[tuple[Any, Any]]],
                  dirty: set[str] | None) -> list[Page]:
    """The periods and a page per period: its goals by team and, before its end, its
    burn-up; once T is past its end, its review (:mod:`goalsrepo.numbers.review`)."""
    out = [Page("periods.html",
                digest((key, "periods", tuple((p.id, card_keys(cs)) for p, cs in periods))),
                "periods.html",
                lambda: {"periods": period_sums()})]
    for period, cards in periods:
        groups: dict[str | None, list[Card]] = {}
        for c in cards:
            groups.setdefault(c.team, []).append(c)
        ordered = sorted(groups.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))
        found = functools.cache(functools.partial(period_review, data, period))
        out.append(Page(
            f"periods/{file_name(period.id)}.html",
            None if _unchanged(cards, dirty) else
            digest((key, "period", period.id, card_keys(cards), found().key())),
            "period.html",
            _bind(lambda p, cs, groups, found: {
                "period": p, "summary": summary(cs, data.rows), "groups": [
                    (data.teams.get(t) if t else None, t, summary(gcs, data.rows), gcs)
                    for t, gcs in groups],
                **review_context(data, found())},
                period, cards, ordered, found)))
    return out


def period_review(data: SiteData, period: Period) -> review.Review:
    """The period's review from the goals' numbers and the rows kept of their history."""
    ids = [gid for gid, s in data.statuses.items() if s.goal.period == period.id]
    rows = {gid: data.derived[gid] for gid in ids if gid in data.derived}
    burnup = data.as_of <= period.end
    return review.review(period, data.statuses.values(), data.as_of,
                         adjustments={gid: r.adjustments for gid, r in rows.items()},
                         wins={gid: r.wins for gid, r in rows.items()},
                         progress={gid: r.progress_rows() for gid, r in rows.items()}
                         if burnup else {},
                         with_burnup=burnup)


def review_context(data: SiteData, found: review.Review) -> dict[str, Any]:
    """What period.html shows of the review, or of the burn-up before the period ends."""
    period = found.period
    if not found.ended:
        chart = None
        if found.burnup:
            series = charts.Series(
                points=tuple((d, v * 100) for d, v in found.burnup), start=period.start,
                due=period.end, as_of=data.as_of, baseline=0.0, target=100.0, unit="%",
                lower_is_better=False)
            chart = charts.kr_chart(series, f"Average progress of {period.id}", "burnup")
        return {"review": None, "burnup": chart}
    label = f"Scores of the goals of {period.id}"
    return {"burnup": None, "review": {
        "counts": found.counts, "average": found.average,
        "scores": [(data.cards[g], score, status) for g, score, status in found.scores],
        "histogram": charts.histogram(found.histogram, label, "scores"),
        "teams": [(data.teams.get(t.team) if t.team else None, t) for t in found.teams],
        "adjustments": [{"goal": data.cards[a.goal], "day": a.day, "commit": a.commit,
                         "who": _who(data, a.authors), "reason": a.reason.strip(),
                         "what": a.what} for a in found.adjustments],
        "wins": [win_view(data, w) for w in found.wins],
        "carried": [(data.cards[c.goal], data.cards.get(c.successor) if c.successor else None)
                    for c in found.carried],
    }}


def _record_pages(data: SiteData, key: bytes, wins: tuple[list[Win], int]) -> list[Page]:
    """Wins and their feed, the drift report, search and the 404 page."""
    cards = data.cards
    shown, total = wins
    feed = shown[:FEED_ENTRIES]
    drifts = sorted((d.drift for gid, d in data.derived.items()
                     if d.drift is not None and gid in cards),
                    key=lambda d: (d.adjustments[-1].day if d.adjustments else "", d.goal),
                    reverse=True)
    return [
        Page("wins.html", digest((key, "wins", _encoded(shown), total, _words(data, shown))),
             "wins.html",
             lambda: {"wins": [win_view(data, w) for w in shown], "total": total}),
        Page("wins.atom", digest((key, "feed", _encoded(feed), _words(data, feed))),
             "wins.atom", lambda: {"wins": [feed_entry(data, w) for w in feed]}),
        Page("drift.html", digest((key, "drift", _encoded(drifts),
                                   card_keys(cards[d.goal] for d in drifts))),
             "drift.html", lambda: drift_context(data, drifts)),
        Page("search.html", digest((key, "search")), "search.html", dict),
        Page("404.html", digest((key, "404")), "404.html", dict),
    ]


def _words(data: SiteData, rows: Iterable[Win]) -> tuple[tuple[str, str], ...]:
    """What a list of wins says besides its rows: each goal's title and the win's words
    (a key result's title, which a goal id taken over by another file can change)."""
    return tuple((data.cards[r.goal].title, win_text(data, r)) for r in rows)


def _bind(func: Callable[..., dict[str, Any]], *args: Any) -> Callable[[], dict[str, Any]]:
    return lambda: func(*args)


def _encoded(rows: Iterable[msgspec.Struct]) -> bytes:
    """Rows as the bytes of their MessagePack, which a page key (marshal) takes."""
    return ENCODER.encode(list(rows))


def _encoded_checkins(data: SiteData, rows: Iterable[CheckinRow]) -> bytes:
    """Check-ins as a page key takes them: with their authors, not their number, which
    the next generation of the logbook may give to another set."""
    sets = data.author_sets
    return ENCODER.encode([(r.goal, r.day, r.commit, sets[r.authors], r.summary)
                           for r in rows])


# Levels the alignment map nests. A browser flattens HTML nested past 512 elements (some
# 170 levels of the map) and a phone has room for far fewer; an organisation has a handful.
MAP_DEPTH = 12


def alignment_context(data: SiteData, overall: dict[str, Any]) -> dict[str, Any]:
    """The alignment map as a flat list of rows (open a level, a goal, close a level), so
    a 10,000-goal graph renders without recursion. A goal with several parents shows under
    each; its own children are listed under the first only, with a pointer elsewhere. A
    goal at :data:`MAP_DEPTH` points to its page for the goals aligned to it.

    The map's shape depends on the alignment and the levels alone, which a check-in does
    not change: it is remembered with the rows (``data.rows``), under a digest of both.
    ``overall`` is the summary of every goal, which the dashboard shows too."""
    levels = {gid: s.goal.level for gid, s in data.statuses.items()}
    key = ("map", digest((data.parents, levels)))
    found = data.rows.get(key) if data.rows is not None else None
    if found is None:
        found = _map_shape(data, levels)
        if data.rows is not None:
            data.rows.put(key, found)
    lines, orphans = found
    cards = data.cards
    rows = [(kind, None if gid is None else (cards[gid], mode, count), depth)
            for kind, gid, mode, count, depth in lines]
    return {"rows": rows, "orphans": [cards[o] for o in orphans],
            "summary": overall}


def _map_shape(data: SiteData, levels: dict[str, str],
               ) -> tuple[tuple[tuple[str, str | None, str, int, int], ...], tuple[str, ...]]:
    """The rows of the alignment map as ``(kind, goal, mode, aligned, depth)`` and the
    goals aligned to nothing."""
    roots, orphans = alignment.roots_and_orphans(data.parents, levels)
    rows: list[tuple[str, str | None, str, int, int]] = []
    expanded: set[str] = set()
    for root in roots:
        stack: list[tuple[str, int, frozenset[str]] | None] = [(root, 0, frozenset())]
        while stack:
            item = stack.pop()
            if item is None:
                rows.append(("close", None, "", 0, 0))
                continue
            gid, depth, above = item
            kids = [k for k in data.children.get(gid, []) if k not in above]
            if gid in expanded and kids:
                rows.append(("goal", gid, "elsewhere", len(kids), depth))
                continue
            if depth + 1 >= MAP_DEPTH and kids:
                rows.append(("goal", gid, "deeper", len(kids), depth))
                continue
            expanded.add(gid)
            if not kids:
                rows.append(("goal", gid, "leaf", 0, depth))
                continue
            rows.append(("open", gid, "branch", len(kids), depth))
            stack.append(None)
            path = above | {gid}
            stack.extend((kid, depth + 1, path) for kid in reversed(kids))
    return tuple(rows), tuple(orphans)


def drift_context(data: SiteData, drifts: list[DriftRow]) -> dict[str, Any]:
    return {"drifts": [{
        "goal": data.cards[d.goal],
        "moves": d.moves,
        "adjustments": [{"day": a.day, "commit": a.commit, "who": _who(data, a.authors),
                         "message": a.message, "what": a.what}
                        for a in d.adjustments],
    } for d in drifts]}


def goal_neighbours(data: SiteData, goal: Goal) -> tuple[list[Card], list[Card]]:
    parents = [data.cards[p] for p in goal.aligns_to if p in data.cards]
    kids = [data.cards[k] for k in data.children.get(goal.id, [])]
    return parents, kids


def smart_checklist(warnings: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    found: dict[str, list[str]] = {}
    for code, message in warnings:
        found.setdefault(code, []).append(message)
    return [{"letter": letter, "name": name,
             "problems": [m for c in codes for m in found.get(c, [])]}
            for letter, name, codes in SMART]


def index_entries(cards: Mapping[str, Card]) -> list[list[Any]]:
    """The search index: one compact row per goal (id, title, owner, team, path, health)."""
    return [[c.id, c.title, c.owner_name, c.team_name or "", c.path, c.health]
            for c in sorted(cards.values(), key=lambda c: c.id)]
