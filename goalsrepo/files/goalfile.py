"""A goal as the YAML text of its file, written to be read by people: keys in the order of
the SPEC's example goal, lists of ids on one line, Markdown as a literal block.

Every scalar goes through :func:`goalsrepo.files.edit.format_scalar`, so what the loader reads
back is exactly the value given (``id: no`` stays text, ``1e-05`` stays a number).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from goalsrepo.files.edit import fits_literal, format_scalar, reads_as_itself

GOAL_KEYS = ("id", "title", "level", "owner", "team", "contributors", "period", "start",
             "due", "aligns_to", "status", "superseded_by", "continues", "description",
             "key_results", "milestones", "links")
KEY_RESULT_KEYS = ("id", "title", "unit", "keep", "start", "target", "current", "done",
                   "weight", "source")
MILESTONE_KEYS = ("title", "due", "done", "owner")
LINK_KEYS = ("title", "url")
_ITEM_KEYS = {"key_results": KEY_RESULT_KEYS, "milestones": MILESTONE_KEYS,
              "links": LINK_KEYS}
_DATES = frozenset({"start", "due"})
# Text that can stand plain as a block mapping's value: no indicator first, no `: ` or ` #`
# inside, nothing at the end that YAML would take or drop (URLs and e-mail addresses).
_BLOCK_PLAIN = re.compile(r"[^\s\-?:,\[\]{}#&*!|>'\"%@`][^\x00-\x1f\x7f]*(?<![\s:])")


def render_goal(data: Mapping[str, Any]) -> str:
    """The text of a goal file holding ``data`` (schema-shaped, keys of :data:`GOAL_KEYS`)."""
    unknown = set(data) - set(GOAL_KEYS)
    if unknown:
        raise ValueError(f"not goal keys: {sorted(unknown)}")
    lines: list[str] = []
    for key in GOAL_KEYS:
        if key not in data:
            continue
        value = data[key]
        if key in _ITEM_KEYS:
            lines.append(f"{key}:")
            for item in value:
                lines += _item(item, _ITEM_KEYS[key])
        elif isinstance(value, (list, tuple)):
            lines.append(f"{key}: [{', '.join(format_scalar(v) for v in value)}]")
        else:
            lines.append(_entry(key, value, ""))
    return "\n".join(lines) + "\n"


def _item(item: Mapping[str, Any], order: tuple[str, ...]) -> list[str]:
    keys = [k for k in order if k in item]
    return [_entry(k, item[k], "  - " if n == 0 else "    ") for n, k in enumerate(keys)]


def _entry(key: str, value: Any, lead: str) -> str:
    indent = " " * len(lead)
    if isinstance(value, Mapping):  # a key result's source: a flow mapping on one line
        pairs = ", ".join(f"{k}: {format_scalar(v)}" for k, v in value.items())
        return f"{lead}{key}: {{{pairs}}}"
    if key in _DATES and isinstance(value, str) and len(value) == 10:
        return f"{lead}{key}: {value}"  # a checked YYYY-MM-DD: plain, as people write it
    if isinstance(value, str) and "\n" in value.rstrip("\n"):
        block = _literal(value, indent + "  ")
        if block is not None:
            return f"{lead}{key}: {block}"
    if isinstance(value, str) and _BLOCK_PLAIN.fullmatch(value) and ": " not in value \
            and " #" not in value and value.isprintable() and reads_as_itself(value):
        return f"{lead}{key}: {value}"
    return f"{lead}{key}: {format_scalar(value)}"


def _literal(value: str, indent: str) -> str | None:
    """A literal block (``|``, or ``|-`` without a final line break) holding ``value``
    exactly, or None when only a quoted string can."""
    header, body = ("|", value) if fits_literal(value) else ("|-", value + "\n")
    if header == "|-" and (value.endswith("\n") or not fits_literal(body)):
        return None
    return header + "".join("\n" + (indent + line if line else "")
                            for line in body[:-1].split("\n"))
