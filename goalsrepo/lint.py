"""The SMART lint: warnings that make goals Specific, Measurable, Achievable, Relevant and
Time-bound (SPEC §4). Codes GR201-GR208; each is documented in docs/codes.md.

Finished goals (achieved, missed, dropped) are history and are not linted: only draft
and active goals, which can still be improved, get SMART warnings.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from goalsrepo.diagnostics import Diagnostic, make
from goalsrepo.files.config import PEOPLE_FILE
from goalsrepo.files.repository import Repository

MIN_TITLE_WORDS = 4
FILLER_WORDS = frozenset({"stuff", "things", "etc", "various", "misc", "tbd", "todo"})
WEAK_OPENINGS = ("work on", "look into", "try to", "think about", "deal with", "help with")
_WORD = re.compile(r"[\w'’-]+")
OPEN_STATUSES = frozenset({"draft", "active"})


def vague_word(title: str) -> str | None:
    """The filler word or weak opening that makes a title vague, if any."""
    lowered = title.lower().strip()
    for opening in WEAK_OPENINGS:
        if lowered.startswith(opening + " ") or lowered == opening:
            return opening
    return next((w for w in _WORD.findall(lowered) if w in FILLER_WORDS), None)


def lint(repo: Repository) -> Iterator[Diagnostic]:
    """SMART warnings for every open goal of a loaded repository."""
    settings = repo.config.lint
    has_children = {parent for g in repo.goals for parent in g.aligns_to}
    for goal in repo.goals:
        if goal.status not in OPEN_STATUSES:
            continue
        def warn(path: tuple[str | int, ...], code: str, message: str, file: str = goal.path,
                 ) -> Diagnostic:
            line, column = repo.locate(file, path)
            return make(code, message, file, line, column)

        words = _WORD.findall(goal.title)
        if len(words) < MIN_TITLE_WORDS:
            yield warn(("title",), "GR201",
                       f"title `{goal.title}` has {len(words)} word(s); say what will be true "
                       f"when the goal is met (at least {MIN_TITLE_WORDS} words)")
        elif (word := vague_word(goal.title)) is not None:
            yield warn(("title",), "GR202", f"title is vague (`{word}`): name the specific outcome")
        if not goal.key_results and goal.id not in has_children:
            yield warn(("id",), "GR203",
                       "no key results and no goals align to it: progress cannot be measured")
        for i, kr in enumerate(goal.key_results):
            if kr.kind == "numeric" and not kr.unit:
                yield warn(("key_results", i, "id"), "GR204",
                           f"key result `{kr.id}` has no unit (%, min, customers, ...)")
        if len(goal.key_results) > settings.max_key_results:
            yield warn(("key_results",), "GR205",
                       f"{len(goal.key_results)} key results (more than "
                       f"{settings.max_key_results}); focus on the few that matter")
        if goal.level != "organization" and not goal.aligns_to:
            yield warn(("id",), "GR207",
                       f"{goal.level} goal aligned to nothing: add `aligns_to` with a parent goal")
        if not goal.period and not goal.due:
            yield warn(("id",), "GR208", "no `period` and no `due` date: when is it done?")
    yield from _overloaded_owners(repo)


def _overloaded_owners(repo: Repository) -> Iterator[Diagnostic]:
    """GR206 once per person, at their people.yaml entry (else their first goal)."""
    limit = repo.config.lint.max_owner_goals
    active = [g for g in repo.goals if g.status == "active"]
    counts = Counter(g.owner for g in active)
    people = repo.data_of(PEOPLE_FILE) if PEOPLE_FILE in repo.valid else None
    ids = [p["id"] for p in (people or {}).get("people", [])]
    for owner, count in sorted(counts.items()):
        if count <= limit:
            continue
        message = f"`{owner}` owns {count} active goals (more than {limit}); hand some on"
        if owner in ids:
            line, column = repo.locate(PEOPLE_FILE, ("people", ids.index(owner), "id"))
            yield make("GR206", message, PEOPLE_FILE, line, column)
        else:
            first = min((g for g in active if g.owner == owner), key=lambda g: g.path)
            line, column = repo.locate(first.path, ("owner",))
            yield make("GR206", message, first.path, line, column)
