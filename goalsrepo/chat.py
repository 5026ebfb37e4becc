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

from goalsrepo.digest import Digest, Item
from goalsrepo.errors import GoalsrepoError

# Slack: at most 50 blocks a message, 3,000 characters a section; Teams: about 28 KB.
SLACK_MAX_BLOCKS = 50
SLACK_MAX_TEXT = 3000
TEAMS_MAX_BYTES = 27_000
MAX_ITEMS = 10  # per section; the rest is counted, with a link to the site when known

SECTIONS = (("moved", "Progress moved"), ("wins", "Wins to celebrate"),
            ("at_risk", "At risk or off track"), ("stale", "Stale: no recent check-in"))


class PostError(GoalsrepoError):
    """The webhook could not be reached or did not accept the message."""


def _line(item: Item, escape: bool) -> str:
    def esc(text: str) -> str:
        # Slack reads &, < and > as control characters in mrkdwn.
        if not escape:
            return text
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    who = f" ({', '.join(item.people)})" if item.people else f" (owner {item.owner})"
    return f"• *{esc(item.goal)}*: {esc(item.what)}{esc(who)}"


def _section(digest: Digest, key: str, escape: bool) -> list[str]:
    items: tuple[Item, ...] = getattr(digest, key)
    lines = [_line(i, escape) for i in items[:MAX_ITEMS]]
    if len(items) > MAX_ITEMS:
        more = f"… and {len(items) - MAX_ITEMS} more"
        lines.append(f"{more}: {digest.base_url}" if digest.base_url else more)
    return lines


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slack_payload(digest: Digest) -> dict[str, Any]:
    heading = f"{digest.title}: goals review {digest.since} to {digest.as_of}"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip(heading, 150)}}]
    for key, label in SECTIONS:
        lines = _section(digest, key, escape=True)
        if lines:
            text = _clip(f"*{label}*\n" + "\n".join(lines), SLACK_MAX_TEXT)
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    if digest.base_url:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"<{digest.base_url}|Open the goals site>"}]})
    return {"text": heading, "blocks": blocks[:SLACK_MAX_BLOCKS]}


def teams_payload(digest: Digest) -> dict[str, Any]:
    heading = f"{digest.title}: goals review {digest.since} to {digest.as_of}"
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "size": "Large", "weight": "Bolder", "text": heading,
         "wrap": True}]
    for key, label in SECTIONS:
        lines = _section(digest, key, escape=False)
        if lines:
            body.append({"type": "TextBlock", "weight": "Bolder", "text": label, "wrap": True})
            body.append({"type": "TextBlock", "text": "\n\n".join(lines), "wrap": True})
    card: dict[str, Any] = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                            "type": "AdaptiveCard", "version": "1.4", "body": body}
    if digest.base_url:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open the goals site",
                            "url": digest.base_url}]
    while len(json.dumps(card).encode()) > TEAMS_MAX_BYTES and len(body) > 1:
        body.pop()  # drop the last sections until the card fits
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}]}


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
