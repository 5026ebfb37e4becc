"""``trello``: a Trello board's JSON export ("Print, export and share > Export as JSON").

Each open card of an open list is a goal: ``name``, ``desc``, ``due``, ``dueComplete``
(achieved), its first member as owner and the others as contributors, a label naming a
team, the list's name as period when it matches one, and the card's URL as a link. The
items of its checklists are its milestones (``state: complete`` is done). Archived cards
and lists (``closed: true``) are skipped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from goalsrepo.integrations.importers import values
from goalsrepo.integrations.importers.records import Draft, Read, ReadError, Where, Who

MAX_BYTES = 100 * 1024 * 1024  # a board with years of actions; json reads it whole


def read(path: Path, shown: str) -> Read:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ReadError.at(Where(shown), f"the file holds {size:,} bytes, more than the "
                               f"{MAX_BYTES // 2**20} MiB a board export may have")
        with open(path, "rb") as fh:
            board = json.loads(fh.read().decode("utf-8-sig"))
    except OSError as exc:
        raise ReadError.at(Where(shown), f"cannot read the file: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ReadError.at(Where(shown), "not UTF-8 text: not a Trello JSON export") from None
    except (json.JSONDecodeError, RecursionError) as exc:
        where = Where(shown, getattr(exc, "lineno", None))
        raise ReadError.at(where, f"not JSON: {getattr(exc, 'msg', exc)}") from None
    if not isinstance(board, dict) or not isinstance(board.get("cards"), list):
        raise ReadError.at(Where(shown), "not a Trello board export: no `cards` list")
    lists = {x["id"]: x for x in _objects(board, "lists")}
    members = {x["id"]: x for x in _objects(board, "members")}
    labels = {x["id"]: x for x in _objects(board, "labels")}
    checklists: dict[str, list[dict[str, Any]]] = {}
    for checklist in _objects(board, "checklists"):
        checklists.setdefault(str(checklist.get("idCard")), []).append(checklist)
    drafts = []
    problems: list[tuple[Where, str]] = []
    for number, card in enumerate(board["cards"], 1):
        where = Where(shown, number, "name")
        if not isinstance(card, dict):
            problems.append((where, f"cards[{number - 1}] is not an object"))
            continue
        column = lists.get(card.get("idList"), {})
        if card.get("closed") is True or column.get("closed") is True:
            continue
        title = values.text(card.get("name")) if isinstance(card.get("name"), str) else None
        if title is None:
            problems.append((where, f"card {number} has no name"))
            continue
        drafts.append(_goal(card, title, where, column, members, labels,
                            checklists.get(str(card.get("id")), []), problems))
    if problems:
        raise ReadError(problems)
    return Read(drafts, [])


def _objects(board: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The objects of a top-level list that have a string ``id``; anything else is not
    Trello's and is passed over."""
    found = board.get(key)
    if not isinstance(found, list):
        return []
    return [x for x in found if isinstance(x, dict) and isinstance(x.get("id"), str)]


def _goal(card: dict[str, Any], title: str, where: Where, column: dict[str, Any],
          members: dict[str, dict[str, Any]], labels: dict[str, dict[str, Any]],
          checklists: list[dict[str, Any]], problems: list[tuple[Where, str]]) -> Draft:
    people = [_who(members[m], where) for m in _strings(card.get("idMembers"))
              if m in members]
    goal = Draft(title, where, owner=people[0] if people else None, contributors=people[1:])
    goal.team_hints = [str(labels[x]["name"]) for x in _strings(card.get("idLabels"))
                       if x in labels and labels[x].get("name")]
    if isinstance(column.get("name"), str):
        goal.period_hints = [column["name"]]
    if isinstance(card.get("desc"), str) and card["desc"].strip():
        goal.data["description"] = values.text(card["desc"])
    due = _day(card.get("due"), Where(where.file, where.row, "due"), problems)
    if due:
        goal.data["due"] = due
    if card.get("dueComplete") is True:
        goal.data["status"] = "achieved"
    url = card.get("shortUrl") or card.get("url")
    if isinstance(url, str) and url.startswith("https://"):
        goal.data["links"] = [{"title": "Trello card", "url": url}]
    for checklist in sorted(checklists, key=lambda c: _position(c.get("pos"))):
        items = checklist.get("checkItems")
        for item in sorted(items if isinstance(items, list) else [],
                           key=lambda i: _position(i.get("pos") if isinstance(i, dict) else 0)):
            name = values.text(item.get("name")) if isinstance(item, dict) and isinstance(
                item.get("name"), str) else None
            if name is None:
                continue
            milestone: dict[str, Any] = {"title": name}
            item_due = _day(item.get("due"), Where(where.file, where.row, "checkItems.due"),
                            problems)
            if item_due:
                milestone["due"] = item_due
            if item.get("state") == "complete":
                milestone["done"] = True
            owner = members.get(str(item.get("idMember")))
            goal.milestones.append((milestone, _who(owner, where) if owner else None))
    return goal


def _who(member: dict[str, Any], where: Where) -> Who:
    name = member.get("fullName") or member.get("username")
    return Who(name=str(name) if name else str(member["id"]), where=where)


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _position(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        else 0.0


def _day(value: Any, where: Where, problems: list[tuple[Where, str]]) -> str | None:
    try:
        return values.day(value) if isinstance(value, str) else None
    except ValueError as exc:
        problems.append((where, str(exc)))
        return None
