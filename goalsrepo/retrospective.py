"""``digest --period ID``: the end-of-period retrospective's agenda (SPEC §2) in every
digest format: Markdown, JSON, and the Slack and Microsoft Teams webhook payloads.

The numbers are the period's review (:mod:`goalsrepo.numbers.review`), the same the site's period
page shows: scores (overall, by team, per goal), what was achieved, missed and dropped,
the drift (every adjustment with its reason), the wins, and what rolled over or is still
to roll over.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from goalsrepo import closing
from goalsrepo.gitlog import timeline
from goalsrepo.numbers.progress import GoalStatus
from goalsrepo.numbers.review import Review, review
from goalsrepo.numbers.review import Win as ReviewWin
from goalsrepo.numbers.state import load_state
from goalsrepo.report import JSON_VERSION, _md
from goalsrepo.web.pages import AuthorSets
from goalsrepo.web.site import derive

SLACK_MAX_BLOCKS = 50
SLACK_MAX_TEXT = 3000
MAX_ITEMS = 15  # per section of a chat message; the rest is counted
WIN_TEXT = {"goal": "goal achieved", "milestone": "milestone done: ",
            "key_result": "key result hit: "}


@dataclass(frozen=True)
class Retrospective:
    review: Review
    goals: dict[str, GoalStatus]  # every goal, by id
    names: dict[str, str]  # person id -> name
    people: dict[str, str]  # e-mail -> person id
    teams: dict[str, str]  # team id -> name
    title: str
    base_url: str | None

    def owner(self, goal_id: str) -> str:
        owner = self.goals[goal_id].goal.owner
        return self.names.get(owner, owner)

    def who(self, authors: tuple[tuple[str, str], ...]) -> str:
        found = (self.names.get(self.people.get(email.lower(), ""), name)
                 for name, email in authors)
        return ", ".join(dict.fromkeys(found))

    @property
    def heading(self) -> str:
        period = self.review.period
        return (f"{self.title}: {period.id} retrospective ({period.start} to {period.end}, "
                f"as of {self.review.as_of})")

    def win(self, win: ReviewWin) -> str:
        """What was won, in words: a key result by its title."""
        if win.what == "key_result":
            krs = {kr.id: kr.title for kr in self.goals[win.goal].goal.key_results}
            return WIN_TEXT[win.what] + krs.get(win.name, win.name)
        return WIN_TEXT[win.what] + win.name


def build_retrospective(root: Path, period_id: str, *,
                        allow_shallow: bool = False) -> Retrospective:
    """The retrospective of ``period_id`` at the as-of date (HEAD's author date)."""
    state = load_state(root, allow_shallow=allow_shallow)
    config = state.repo.config
    period = closing.find_period(config, period_id)
    statuses = state.statuses()
    rows = {}
    authors = AuthorSets()  # check-ins are not shown: their authors are numbered and dropped
    for s in statuses:
        if s.goal.period == period.id:
            line = timeline.read(s.goal.id, state.history.of(s.goal.id), config.zone)
            rows[s.goal.id] = derive(line, config.zone, authors)
    found = review(period, statuses, state.as_of,
                   adjustments={g: r.adjustments for g, r in rows.items()},
                   wins={g: r.wins for g, r in rows.items()},
                   progress={g: r.progress_rows() for g, r in rows.items()})
    teams = {t.id: t.name for t in (state.repo.teams or {}).values()}
    return Retrospective(found, {s.goal.id: s for s in statuses}, state.repo.names(),
                         state.repo.people_by_email(), teams, config.title, config.base_url)


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _average(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def sections(r: Retrospective, esc: Callable[[str], str]) -> list[tuple[str, list[str]]]:
    """The agenda as (heading, lines), the text of each line escaped with ``esc``."""
    rv = r.review

    def goal(gid: str) -> str:
        return f"{esc(gid)} ({esc(r.goals[gid].goal.title)})"

    outcome = ", ".join(f"{n} {what}" for what, n in rv.counts if n or what != "dropped")
    scores = [f"Average score {_average(rv.average)}; {outcome}."]
    scores += [f"{esc(r.teams.get(t.team, t.team) if t.team else 'No team')}: average "
               f"{_average(t.average)} ({t.scored} of {t.goals} scored)" for t in rv.teams]
    by_status = {status: [f"{goal(gid)}: score {_score(score)} — {esc(r.owner(gid))}"
                          for gid, score, s in rv.scores if s == status]
                 for status in ("achieved", "missed", "dropped", "active")}
    drift = [f"{esc(a.day)} {goal(a.goal)}: {esc(a.what)} — {esc(r.who(a.authors))}: "
             f"“{esc(a.reason.strip().splitlines()[0] if a.reason.strip() else 'no reason given')}”"
             for a in rv.adjustments]
    wins = [f"{esc(w.day)} {goal(w.goal)}: {esc(r.win(w))} — "
            f"{esc(r.who(w.authors))}" for w in rv.wins]
    carried = [f"{goal(c.goal)} → {esc(c.successor)} ({esc(c.period or 'no period')})"
               if c.successor else f"{goal(c.goal)}: not rolled over yet "
               f"(`goalsrepo rollover {esc(rv.period.id)} NEXT`)" for c in rv.carried]
    return [("Scores", scores), ("Achieved", by_status["achieved"]),
            ("Missed", by_status["missed"]), ("Dropped", by_status["dropped"]),
            ("Still open", by_status["active"]), ("Drift: targets and dates that moved", drift),
            ("Wins", wins), ("Rolls over", carried)]


def markdown(r: Retrospective) -> str:
    lines = [f"## {_md(r.heading)}", ""]
    for heading, items in sections(r, _md):
        if not items and heading in ("Dropped", "Still open"):
            continue
        lines += [f"### {heading}", ""] + ([f"- {i}" for i in items] or ["Nothing."]) + [""]
    return "\n".join(lines).rstrip() + "\n"


def as_json(r: Retrospective) -> str:
    rv = r.review
    period = rv.period
    payload = {
        "version": JSON_VERSION, "kind": "retrospective",
        "period": {"id": period.id, "start": period.start.isoformat(),
                   "end": period.end.isoformat()},
        "as_of": rv.as_of.isoformat(), "ended": rv.ended, "average": rv.average,
        "counts": dict(rv.counts), "histogram": list(rv.histogram),
        "teams": [{"team": t.team, "goals": t.goals, "scored": t.scored,
                   "average": t.average} for t in rv.teams],
        "goals": [{"id": gid, "title": r.goals[gid].goal.title, "owner": r.goals[gid].goal.owner,
                   "team": r.goals[gid].goal.team, "status": status, "score": score,
                   "progress": round(r.goals[gid].progress, 4)}
                  for gid, score, status in rv.scores],
        "adjustments": [{"goal": a.goal, "date": a.day, "commit": a.commit,
                         "authors": [{"name": n, "email": e} for n, e in a.authors],
                         "what": a.what, "reason": a.reason.strip()} for a in rv.adjustments],
        "wins": [{"goal": w.goal, "what": w.what, "name": w.name, "date": w.day,
                  "commit": w.commit} for w in rv.wins],
        "rolled_over": [{"goal": c.goal, "successor": c.successor, "period": c.period}
                        for c in rv.carried],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def _slack_escape(text: str) -> str:
    # Slack reads &, < and > as control characters in mrkdwn.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _shown(items: list[str]) -> list[str]:
    if len(items) <= MAX_ITEMS:
        return items
    return [*items[:MAX_ITEMS], f"… and {len(items) - MAX_ITEMS} more"]


def slack(r: Retrospective) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": r.heading[:150]}}]
    for heading, items in sections(r, _slack_escape):
        if items:
            body = f"*{heading}*\n" + "\n".join(f"• {i}" for i in _shown(items))
            blocks.append({"type": "section", "text": {
                "type": "mrkdwn", "text": body[:SLACK_MAX_TEXT]}})
    if r.base_url:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                       f"<{r.base_url}|Open the goals site>"}]})
    return {"text": r.heading, "blocks": blocks[:SLACK_MAX_BLOCKS]}


def teams(r: Retrospective) -> dict[str, Any]:
    body: list[dict[str, Any]] = [{"type": "TextBlock", "size": "Large", "weight": "Bolder",
                                   "text": r.heading, "wrap": True}]
    for heading, items in sections(r, lambda text: text):
        if items:
            body.append({"type": "TextBlock", "weight": "Bolder", "text": heading,
                         "wrap": True})
            body.append({"type": "TextBlock", "text": "\n\n".join(
                f"- {i}" for i in _shown(items)), "wrap": True})
    card: dict[str, Any] = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                            "type": "AdaptiveCard", "version": "1.4", "body": body}
    if r.base_url:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open the goals site",
                            "url": r.base_url}]
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}]}
