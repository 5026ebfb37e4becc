"""Small HTML pieces that most pages repeat many times: progress bars, health badges,
people and commit links.

They are Python functions, not Jinja macros, because a page of the site calls them dozens
of times and a macro call costs several times more than the markup it writes (the site
renders 10,000 goal pages). Every value that reaches the markup goes through
:func:`markupsafe.escape`; the functions are registered in :func:`goalsrepo.web.site.make_env`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from goalsrepo.integrations import forge
from goalsrepo.integrations.forge import Forge
from goalsrepo.web.charts import value_label

if TYPE_CHECKING:
    from goalsrepo.web.pages import Who
    from goalsrepo.web.rows import Rows

HEALTH_LABELS = {"off_track": "Off track", "at_risk": "At risk", "on_track": "On track",
                 "done": "Done", "achieved": "Achieved", "missed": "Missed",
                 "dropped": "Dropped", "draft": "Draft"}
SAFE_SCHEMES = ("http://", "https://", "mailto:")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Clean(Markup):
    """Markup free of the control characters :func:`printable` removes, which printing
    need not scan again: a regex over the alignment map's 5 MB costs a rebuild a tenth of
    a second. Only the widgets below make one, of rows each cleaned as it is drawn."""

    __slots__ = ()


def _clean(html: str) -> str:
    return _CONTROL.sub("", html) if _CONTROL.search(html) else html


def printable(value: Any) -> Any:
    """Every value a template prints, without the control characters that XML forbids and
    HTML shows as nothing useful: a commit message may hold any byte, and a YAML escape
    such as ``"\\e"`` puts one in a title. Registered as the environment's ``finalize``."""
    if type(value) is Clean:
        return value
    if isinstance(value, str) and _CONTROL.search(value):
        cleaned = _CONTROL.sub("", value)
        return Markup(cleaned) if isinstance(value, Markup) else cleaned
    return value


def _text(value: Any) -> Markup:
    """A value printed as a template prints it: without control characters, escaped."""
    return escape(printable(value))


def percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)}%"


def _width(value: float) -> int:
    return max(0, min(100, round(value * 100)))


def bar(progress: float, expected: float | None = None, health: str = "on_track",
        label: str = "Progress") -> Markup:
    """A progress bar with a tick at the expected progress; its width comes from a class
    (``p0`` to ``p100``), because the pages' CSP forbids inline styles."""
    done = _width(progress)
    text = ""
    tick = ""
    if expected is not None:
        text = f' aria-valuetext="{percent(progress)} done, {percent(expected)} expected"'
        tick = (f'<span class="expected e{_width(expected)}" title="Expected by now: '
                f'{percent(expected)}"></span>')
    return Markup(
        f'<span class="bar" role="progressbar" aria-label="{escape(label)}" '
        f'aria-valuemin="0" aria-valuemax="100" aria-valuenow="{done}"{text}>'
        f'<span class="fill p{done} h-{escape(health)}"></span>{tick}</span>')


def mini_bar(progress: float, expected: float | None, health: str) -> str:
    """The bar of a row in a long list, beside the percentage in words: a picture only
    (hidden from screen readers, which read the number), a quarter of ``bar``'s markup
    for the alignment map's 10,000 rows."""
    return _mini_bar(_width(progress), None if expected is None else _width(expected), health)


@functools.cache  # a few thousand distinct bars among the 10,000 rows of a map
def _mini_bar(done: int, expected: int | None, health: str) -> str:
    tick = f'<span class="expected e{expected}"></span>' if expected is not None else ""
    return (f'<span class="bar" aria-hidden="true"><span class="fill p{done} '
            f'h-{escape(health)}"></span>{tick}</span>')


def health_label(health: str) -> str:
    return HEALTH_LABELS.get(health, health)


@functools.cache  # one per health: every row of every list has one
def badge(health: str) -> Markup:
    return Markup(f'<span class="badge h-{escape(health)}">{escape(health_label(health))}'
                  "</span>")


def summary_row(root: str, href: str, name: str, s: Mapping[str, Any], *,
                memo: Rows | None = None) -> Markup:
    """A row of a table of groups of goals (``summary_table`` in macros.html): its goals,
    their average progress against the expected, and their count by health. The teams'
    tables have one per team, a few hundred; with ``memo``, a row whose numbers are the
    last build's is not drawn again."""
    key = ("summary_row", root, href, name, s["goals"], s["progress"], s["expected"],
           tuple(s["health"]))
    found = memo.get(key) if memo is not None else None
    if found is None:
        badges = "".join(f'<span class="badge h-{_text(k)}">{_text(n)} {_text(label)}</span> '
                         for k, label, n in s["health"])
        progress = printable(bar(s["progress"], s["expected"], "on_track",
                                 "Average progress of " + name))
        found = (
            f'<tr>\n<th scope="row"><a href="{_text(root)}{_text(href)}">{_text(name)}</a>'
            f'</th>\n<td class="num">{_text(s["goals"])}</td>\n'
            f'<td class="num">{progress} <span class="pct">{_text(percent(s["progress"]))}'
            f'</span></td>\n<td class="num">{_text(percent(s["expected"]))}</td>\n'
            f"<td>{badges}</td>\n</tr>")
        if memo is not None:
            memo.put(key, found)
    return Clean(found)


def safe_url(url: str | None) -> str | None:
    """The URL when it is http, https or mailto (case-insensitively), else None: only those
    become links."""
    if not url:
        return None
    stripped = url.strip()
    return stripped if stripped.lower().startswith(SAFE_SCHEMES) else None


def commit_url(repo: Forge | str | None, commit: str | None) -> str | None:
    """A commit's page on the forge, when ``repo_url`` is set: in the forge's own form when
    it is known, else ``repo_url/commit/<id>`` (GitHub's and Gitea's form)."""
    if not commit or not repo:
        return None
    if isinstance(repo, Forge):
        return repo.commit(commit)
    base = forge.base_url(repo)
    return None if base is None else f"{base}/commit/{commit}"


def commit_link(repo: Forge | str | None, commit: str) -> Markup:
    """The short commit id, linked to the forge when ``repo_url`` is set."""
    short = Markup(f"<code>{escape(commit[:7])}</code>")
    url = commit_url(repo, commit)
    if url is None:
        return short
    return Markup(f'<a href="{escape(url)}" rel="noopener noreferrer">{short}</a>')


@functools.lru_cache(maxsize=8192)  # the same few thousand sets of authors, again and again
def people(root: str, who: tuple[Who, ...]) -> Markup:
    """Names separated by commas, each linked to its person page when there is one."""
    parts = []
    for person in who:
        name = escape(person.name)
        path = person.path
        parts.append(f'<a href="{escape(root)}{escape(path)}">{name}</a>' if path else name)
    return Markup(", ".join(parts))


def _joined(memo: Rows | None, items: Iterable[Any], key: Callable[[Any], Hashable],
            draw: Callable[[Any], str]) -> Markup:
    """The rows ``draw`` makes of ``items``, joined and :class:`Clean`; with ``memo``, a
    row whose ``key`` (everything it shows) was drawn by the last build is taken from it."""
    if memo is None:
        return Clean(_clean("".join(map(draw, items))))
    out = []
    for item in items:
        k = key(item)
        row = memo.get(k)
        out.append(memo.put(k, _clean(draw(item))) if row is None else row)
    return Clean("".join(out))


def goal_rows(root: str, cards: Iterable[Any], show_team: bool = True,
              show_owner: bool = True, *, memo: Rows | None = None) -> Markup:
    """The rows of a goal table (:func:`goal_table`): the site's longest
    lists, up to every goal of a period, so they are written here rather than in a loop of
    template code."""
    r = escape(root)

    def draw(c: Any) -> str:
        title = escape(c.title)
        stale = (' <span class="badge stale" title="No check-in for too long">Stale</span>'
                 if c.stale else "")
        cells = [f'<tr><td><a href="{r}{escape(c.path)}">{title}</a> '
                 f'<span class="muted id">{escape(c.id)}</span>{stale}</td>']
        if show_owner:
            cells.append(f'<td><a href="{r}{escape(c.owner_path)}">{escape(c.owner_name)}</a>'
                         "</td>")
        if show_team:
            cells.append(f'<td><a href="{r}{escape(c.team_path)}">{escape(c.team_name)}</a></td>'
                         if c.team else '<td><span class="muted">—</span></td>')
        if c.period:
            period = f'<a href="{r}{escape(c.period_path)}">{escape(c.period)}</a>'
        else:
            period = f"due {escape(c.due)}" if c.due else '<span class="muted">—</span>'
        progress = mini_bar(c.progress, c.expected, c.health)
        cells.append(f'<td class="nowrap">{period}</td>'
                     f'<td class="num">{progress} <span class="pct">{percent(c.progress)}</span>'
                     f"</td><td>{badge(c.health)}</td></tr>\n")
        return "".join(cells)

    return _joined(memo, cards, lambda c: ("goal", root, c.key, show_team, show_owner), draw)


def goal_table(root: str, cards: Sequence[Any], caption: str | None = None,
               show_team: bool = True, show_owner: bool = True, *,
               memo: Rows | None = None) -> Markup:
    """A table of goals (:func:`goal_rows`) with its caption and head, or a line saying
    there are none."""
    if not cards:
        return Clean('<p class="empty">No goals.</p>\n')
    head = "".join((
        f"<caption>{_text(caption)}</caption>" if caption else "",
        '<thead><tr><th scope="col">Goal</th>',
        '<th scope="col">Owner</th>' if show_owner else "",
        '<th scope="col">Team</th>' if show_team else "",
        '<th scope="col">Period</th><th scope="col" class="num">Progress</th>'
        '<th scope="col">Health</th></tr></thead>\n'))
    rows = goal_rows(root, cards, show_team, show_owner, memo=memo)
    return Clean(f'<div class="table-scroll">\n<table class="goals">\n{head}<tbody>\n'
                 f"{rows}</tbody>\n</table>\n</div>\n")


def _tree_line(root: str, card: Any, meta: str) -> str:
    return (f'<div class="tree-line">{mini_bar(card.progress, card.expected, card.health)} '
            f'<a href="{root}{escape(card.path)}">{escape(card.title)}</a> '
            f'<span class="pct">{percent(card.progress)}</span> {badge(card.health)} '
            f'<span class="muted">{meta}</span></div>')


@functools.cache
def _escaped(text: str) -> str:
    """A value of a small set (levels, names of the few thousand people) escaped once."""
    return str(escape(text))


OPEN_MAP_ROWS = 500
# What a leaf of the map says about the goals aligned to it, which it does not show.
_POINTERS = {"leaf": "", "elsewhere": " · {} aligned, shown under its first parent",
             "deeper": " · {} aligned, listed on its page"}


def tree(root: str, rows: list[tuple[str, Any, int]], *, memo: Rows | None = None) -> Markup:
    """The alignment map's nested lists, from the flat rows of ``pages.alignment_context``
    (open a level, a goal, close a level): up to 10,000 goals, written here for speed. A
    map of a few hundred rows opens at its first level; a larger one starts folded, which
    lets a browser show 10,000 goals in a fraction of the time.

    A goal's line stays outside its ``<summary>``: a link inside one is a control inside a
    control, which screen readers announce as one button and keyboards reach oddly. The
    summary is the toggle alone, named for the goal, and the stylesheet sets it where
    the disclosure triangle was, before the line."""
    r = escape(root)
    first_open = len(rows) <= OPEN_MAP_ROWS

    def draw(row: tuple[str, Any, int]) -> str:
        kind, item, depth = row
        if kind == "close":
            return "</ul></details></li>\n"
        card, mode, count = item
        level = _escaped(card.level)
        meta = f"{level} · {_escaped(card.owner_name)}"
        if kind == "open":
            opened = " open" if first_open and depth < 1 else ""
            return (f'<li class="tree-node l-{level}">'
                    f'{_tree_line(r, card, f"{meta} · {count} aligned")}'
                    f'<details{opened}><summary><span class="visually-hidden">Goals aligned '
                    f'to {escape(card.title)} ({count})</span></summary>\n'
                    '<ul class="tree-level">\n')
        return (f'<li class="tree-node leaf l-{level}">'
                f'{_tree_line(r, card, meta + _POINTERS[mode].format(count))}</li>\n')

    def key(row: tuple[str, Any, int]) -> Hashable:
        kind, item, depth = row
        if kind == "close":
            return kind
        card, mode, count = item
        return ("tree", root, card.key, kind, mode, count, first_open and depth < 1)

    return Clean(f'<ul class="tree-level">\n{_joined(memo, rows, key, draw)}</ul>\n')


def checkin_rows(root: str, repo_url: Forge | str | None,
                 events: Iterable[Mapping[str, Any]]) -> Markup:
    """A goal's check-in log, newest first: the longest list of a goal page."""
    out = []
    for e in events:
        day = escape(e["day"])
        subject = (f'<br><span class="muted">{escape(e["subject"])}</span>'
                   if e["subject"] else "")
        synced = (f' <span class="muted">synced from {escape(", ".join(e["sources"]))}</span>'
                  if e.get("sources") else "")
        out.append(f'<li><time datetime="{day}">{day}</time> {people(root, e["who"])}: '
                   f'<span class="change">{escape(e["summary"])}</span>{synced} '
                   f'{commit_link(repo_url, e["commit"])}{subject}</li>\n')
    return Markup("".join(out))


def win_rows(root: str, repo_url: Forge | str | None,
             wins: Iterable[Mapping[str, Any]], *, memo: Rows | None = None) -> Markup:
    """The items of a list of wins (:func:`win_list`): a quarter's review
    at 10,000 goals lists some 5,000 of them."""
    r = escape(root)

    def draw(w: Mapping[str, Any]) -> str:
        day = escape(w["day"])
        goal = w["goal"]
        return (f'<li><span class="trophy" aria-hidden="true">★</span> '
                f'<time datetime="{day}">{day}</time> <strong>{escape(w["text"])}</strong>'
                f' — <a href="{r}{escape(goal.path)}">{escape(goal.title)}</a>, by '
                f'{people(root, w["who"])} {commit_link(repo_url, w["commit"])}</li>\n')

    def key(w: Mapping[str, Any]) -> Hashable:
        return ("win", root, w["goal"].key, w["day"], w["commit"], w["text"],
                tuple(map(tuple, w["who"])))

    return _joined(memo, wins, key, draw)


def win_list(root: str, repo_url: Forge | str | None,
             wins: Sequence[Mapping[str, Any]], *, memo: Rows | None = None) -> Markup:
    """A list of wins (:func:`win_rows`), or a line saying there are none yet."""
    if not wins:
        return Clean('<p class="empty">No wins yet: they show here as goals are achieved, '
                     "key results hit and milestones done.</p>\n")
    return Clean(f'<ol class="log wins">\n{win_rows(root, repo_url, wins, memo=memo)}</ol>\n')


def score_rows(root: str, scores: Iterable[tuple[Any, float | None, str]], *,
               memo: Rows | None = None) -> Markup:
    """The rows of a period review's table of scores: every goal of the quarter."""
    r = escape(root)

    def draw(row: tuple[Any, float | None, str]) -> str:
        goal, score, status = row
        return (f'<tr><th scope="row"><a href="{r}{_text(goal.path)}">{_text(goal.title)}</a>'
                f'</th><td>{_text(status)}</td><td class="num">'
                f'{"—" if score is None else f"{score:.1f}"}</td></tr>')

    return _joined(memo, scores, lambda row: ("score", root, row[0].key, *row[1:]), draw)


def carried_rows(root: str, carried: Iterable[tuple[Any, Any]], *,
                 memo: Rows | None = None) -> Markup:
    """The items of a period review's list of goals rolled over, or still to roll: most
    of an ended quarter's goals."""
    r = escape(root)

    def draw(row: tuple[Any, Any]) -> str:
        goal, successor = row
        if successor:
            then = (f'<a href="{r}{_text(successor.path)}">{_text(successor.id)}</a> '
                    f'({_text(successor.period or "no period")})')
        else:
            then = '<span class="muted">not rolled over yet</span>'
        return (f'<li><a href="{r}{_text(goal.path)}">{_text(goal.title)}</a> → {then}'
                "</li>\n")

    def key(row: tuple[Any, Any]) -> Hashable:
        goal, successor = row
        return ("carried", root, goal.key, successor.key if successor else None)

    return _joined(memo, carried, key, draw)


def value_rows(points: Iterable[tuple[Any, float]], unit: str | None) -> Markup:
    """The rows of a chart's table of values, its text alternative."""
    return Markup("".join(
        f'<tr><td>{escape(str(day))}</td><td class="num">{escape(value_label(value, unit))}'
        "</td></tr>" for day, value in points))
