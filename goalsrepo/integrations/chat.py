"""The digest as chat messages: a Slack incoming-webhook payload (Block Kit) and a Microsoft
Teams webhook / Workflows payload (an Adaptive Card), and posting one.

A webhook URL is a secret (whoever has it can post to the channel), so it never appears
in output or in an error message.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from goalsrepo.digest import MENTION, Digest, Item
from goalsrepo.errors import GoalsrepoError
from goalsrepo.files.config import Person

# Slack: at most 50 blocks a message, 3,000 characters a section's text, 150 a header's;
# Teams: a card of about 28 KB at most.
SLACK_MAX_BLOCKS = 50
SLACK_MAX_TEXT = 3000
SLACK_MAX_HEADER = 150
TEAMS_MAX_BYTES = 27_000
MAX_ITEMS = 10  # per section; the rest is counted, with a link to the site when known
MAX_WHAT = 300  # characters of one item's "what happened"


class PostError(GoalsrepoError):
    """The webhook could not be reached or did not accept the message."""


def _slack_escape(text: str) -> str:
    # Slack reads &, < and > as control characters in mrkdwn.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Chat:
    """How one chat tool writes text and names a person."""

    def escape(self, text: str) -> str:
        return text

    def mention(self, person: Person | None, name: str) -> str:
        return name


class _Slack(_Chat):
    def escape(self, text: str) -> str:
        return _slack_escape(text)

    def mention(self, person: Person | None, name: str) -> str:
        return f"<@{person.slack}>" if person and person.slack else _slack_escape(name)


class _Teams(_Chat):
    def __init__(self) -> None:
        self.used: dict[str, dict[str, Any]] = {}

    def mention(self, person: Person | None, name: str) -> str:
        if not (person and person.teams):
            return name
        # The <at> text must match its entity exactly; a name with < or > cannot.
        text = f"<at>{name.replace('<', '').replace('>', '')}</at>"
        self.used.setdefault(text, {"type": "mention", "text": text,
                                    "mentioned": {"id": person.teams, "name": name}})
        return text


def _line(digest: Digest, key: str, item: Item, chat: _Chat) -> str:
    if key in MENTION:
        who = chat.mention(digest.people.get(item.owner), digest.owner_name(item))
    else:
        who = chat.escape(", ".join(item.people) or digest.owner_name(item))
    return f"• *{chat.escape(item.goal)}*: {chat.escape(_clip(item.what, MAX_WHAT))} ({who})"


def _sections(digest: Digest, chat: _Chat, limit: int, size: int) -> list[tuple[str, str]]:
    """(heading, text) of each section that has items: at most ``limit`` items and
    ``size`` characters each, whole lines only (a mention is never cut in two), and a
    count of the rest."""
    out = []
    for key, label, items in digest.sections():
        if not items:
            continue
        head = f"*{label}*" if isinstance(chat, _Slack) else label
        lines: list[str] = []
        used = len(head) + 120  # room for the "… and N more" line
        for item in items[:limit]:
            line = _line(digest, key, item, chat)
            if used + len(line) + 1 > size:
                break
            lines.append(line)
            used += len(line) + 1
        if len(items) > len(lines):
            more = f"… and {len(items) - len(lines)} more"
            lines.append(f"{more}: {digest.base_url}" if digest.base_url else more)
        out.append((head, "\n".join(lines)))
    return out


def slack_payload(digest: Digest) -> dict[str, Any]:
    """An incoming-webhook message: Block Kit blocks, owners who must act mentioned."""
    heading = digest.heading
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text",
                                    "text": _clip(heading, SLACK_MAX_HEADER)}}]
    for head, text in _sections(digest, _Slack(), MAX_ITEMS, SLACK_MAX_TEXT):
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                    "text": f"{head}\n{text}"}})
    if digest.base_url:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"<{digest.base_url}|Open the goals site>"}]})
    return {"text": heading, "blocks": blocks[:SLACK_MAX_BLOCKS]}


def teams_payload(digest: Digest) -> dict[str, Any]:
    """A Workflows / incoming-webhook message: an Adaptive Card whose ``<at>`` mentions
    have their ``msteams.entities``, shortened (fewer items a section) until it fits."""
    for limit in (MAX_ITEMS, 5, 3, 1, 0):
        card = _teams_card(digest, limit)
        if len(json.dumps(card).encode()) <= TEAMS_MAX_BYTES:
            break
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}]}


def _teams_card(digest: Digest, limit: int) -> dict[str, Any]:
    chat = _Teams()
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "size": "Large", "weight": "Bolder", "text": digest.heading,
         "wrap": True}]
    for head, text in _sections(digest, chat, limit, TEAMS_MAX_BYTES // 6):
        body.append({"type": "TextBlock", "weight": "Bolder", "text": head, "wrap": True})
        body.append({"type": "TextBlock", "text": text.replace("\n", "\n\n"), "wrap": True})
    card: dict[str, Any] = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                            "type": "AdaptiveCard", "version": "1.4", "body": body}
    if chat.used:
        card["msteams"] = {"entities": list(chat.used.values())}
    if digest.base_url:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open the goals site",
                            "url": digest.base_url}]
    return card


def post(url: str, payload: dict[str, Any], timeout: float = 10.0) -> int:
    """POST the payload as JSON; the HTTP status. Errors never name the URL."""
    if not url.lower().startswith(("https://", "http://")):
        raise PostError("the webhook URL must start with https:// (or http://)")
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "goalsrepo"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        raise PostError(f"the webhook answered HTTP {exc.code}; nothing was posted") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        kind = type(reason).__name__ if not isinstance(reason, str) else "error"
        raise PostError(f"could not reach the webhook ({kind}); nothing was posted") from None
