"""Surgical edits of a YAML file: change one value, keep every other byte.

Goal files are written by people: comments, key order, quoting and blank lines carry
meaning for them, and a check-in must show up in review as the one line it changed. So
nothing here loads and re-dumps a document. It composes the text with the safe loader
only to learn *where* a value sits (its source span), then splices the new value into the
original text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import yaml

from goalsrepo.errors import GoalsrepoError
from goalsrepo.files.loader import plain_scalar

Scalar = int | float | bool | str
KeyPath = tuple[str | int, ...]
"""Where a value sits: mapping keys and list indices, e.g. ``("key_results", 0, "current")``."""

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Strings that can stay unquoted: a word character first, then only characters that mean
# nothing to YAML in block or flow context. Anything else is double-quoted.
_PLAIN = re.compile(r"\w[\w .\-/+()]*")
_LITERAL_HEADER = re.compile(r"\|[ \t]*(#.*)?")
# Plain scalars starting with a letter that YAML 1.1 resolves to a boolean or null.
_YAML11_WORDS = frozenset({"y", "n", "yes", "no", "true", "false", "on", "off", "null"})
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


class EditError(GoalsrepoError, ValueError):
    """The file cannot be edited at that path: it is missing, not a scalar, or ambiguous."""


def format_scalar(value: Scalar) -> str:
    """``value`` as YAML text that the safe loader reads back as the same type and value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise EditError(f"{value} is not a finite number")
        text = repr(value)
        # YAML 1.1 (PyYAML) reads "1e-05" as a string: a float needs a dot before the exponent.
        if "." not in text:
            text = text.replace("e", ".0e")
        return text
    if isinstance(value, str):
        if _PLAIN.fullmatch(value) and not value.endswith(" ") and reads_as_itself(value):
            return value
        return '"' + "".join(_escape(c) for c in value) + '"'
    raise EditError(f"cannot write a {type(value).__name__} as a YAML scalar")


def reads_as_itself(text: str) -> bool:
    """Whether plain ``text`` reads back as itself both in YAML 1.1 (PyYAML, editors) and in
    the YAML 1.2 core schema goalsrepo's loader uses (where ``0E0`` is a number)."""
    if plain_scalar(text) != text:
        return False
    if text[0].isalpha() and text.casefold() not in _YAML11_WORDS:
        return True  # YAML 1.1 reads a plain word as text unless it is one of these
    try:
        return bool(yaml.load(text, Loader=_LOADER) == text)  # the safe loader (C or Python)
    except yaml.YAMLError:
        return False


def _escape(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    # C0/C1 controls, DEL and the characters YAML treats as line breaks or a BOM.
    if code < 0x20 or 0x7F <= code <= 0x9F or char in "\u2028\u2029\ufeff" or (
        0xD800 <= code <= 0xDFFF
    ):
        return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
    return char


def set_value(text: str, path: KeyPath, value: Scalar, *, after: tuple[str, ...] = ()) -> str:
    """Set the scalar at ``path`` to ``value``, changing nothing else in ``text``.

    ``path`` holds mapping keys (str) and list indices (int). When only the last key is
    missing, it is added as a new ``key: value`` entry at the end of its mapping (a new
    line in a block mapping, ``, key: value`` in a flow mapping), or, in a block mapping,
    just after the last of the keys ``after`` that it holds (the keys that come before it
    in the file format's order). Values keep the
    value's place and the comment after it; a literal block (``description: |``) stays a
    literal block when the new text fits one.
    """
    return _edit(text, _compose(text), path, value, after)


def _edit(text: str, root: yaml.Node, path: KeyPath, value: Scalar,
          after: tuple[str, ...] = ()) -> str:
    """:func:`set_value` on ``root``, the composed ``text`` (or a text that differs from
    it only after the value's place)."""
    if not path:
        raise EditError("an empty path names the whole document, not a value")
    parent = _walk(root, path[:-1])
    last = path[-1]
    if isinstance(parent, yaml.MappingNode) and isinstance(last, str):
        found = _lookup(parent, last, path)
        if found is None:
            return _insert(text, parent, last, value, after)
        key, node = found
        _check_not_alias(node, key.end_mark.index, path)
    else:
        node = _child(parent, last, path)
    if not isinstance(node, yaml.ScalarNode):
        raise EditError(f"{_show(path)} is a {_kind(node)}, not a single value")
    start, end = _span(text, node, path)
    if node.style == "|" and isinstance(value, str):
        edited = _replace_literal(text, node, (start, end), value, path)
        if edited is not None:
            return edited
    new = format_scalar(value)
    if start == end and text[start - 1 : start] == ":":
        new = " " + new  # an empty value (`current:`) gets the space YAML needs
    return text[:start] + new + text[end:]


def set_values(text: str, changes: Mapping[KeyPath, Scalar]) -> str:
    """:func:`set_value` for several values, reading the text once: the values that exist
    are replaced from the end of the text backwards, so the positions read stay true.
    Keys that must be added are added after, one at a time, and the result is then read
    again to be sure each path holds its value."""
    root = _compose(text)
    present: list[tuple[int, KeyPath, Scalar]] = []
    missing: dict[KeyPath, Scalar] = {}
    for path, value in changes.items():
        try:
            node = _walk(root, path)
        except EditError:
            missing[path] = value  # set_value adds it, or says why it cannot
            continue
        present.append((node.start_mark.index, path, value))
    edited = text
    for _, path, value in sorted(present, key=lambda item: item[0], reverse=True):
        edited = _edit(edited, root, path, value)
    for path, value in missing.items():
        edited = set_value(edited, path, value)
    if missing:
        again = _compose(edited)
        for path, value in missing.items():
            node = _walk(again, path)
            written = edited[node.start_mark.index:_content_end(edited, node)]
            if not isinstance(node, yaml.ScalarNode) or written != format_scalar(value):
                raise EditError(f"{_show(path)} does not read back as {format_scalar(value)}")
    return edited


def _replace_literal(
    text: str, node: yaml.ScalarNode, span: tuple[int, int], value: str, path: KeyPath
) -> str | None:
    """Keep a literal block (``description: |``) a literal block, at its indentation.

    A Markdown description rewritten as one double-quoted line would be unreadable in
    review. Only a plain ``|`` header (a comment after it stays) and text that a literal
    block holds exactly qualify; the result is read back to be sure, and None means:
    write it quoted instead.
    """
    start, end = span
    header_end = text.find("\n", start)
    if header_end < 0 or not _LITERAL_HEADER.fullmatch(text[start:header_end]):
        return None
    if not fits_literal(value):
        return None
    body = text[header_end + 1 : node.end_mark.index].splitlines()
    first = next((line for line in body if line.strip()), None)
    if first is not None:
        indent = first[: len(first) - len(first.lstrip(" "))]
    else:  # an empty block: indent two more than the line that holds the key
        own = text[text.rfind("\n", 0, start) + 1 : start]
        indent = own[: len(own) - len(own.lstrip(" -"))].replace("-", " ") + "  "
    lines = value[:-1].split("\n")
    block = "".join("\n" + (indent + line if line else "") for line in lines)
    edited = text[:header_end] + block + text[end:]
    try:
        again = _walk(_compose(edited), path)
    except EditError:
        return None
    return edited if isinstance(again, yaml.ScalarNode) and again.value == value else None


def fits_literal(value: str) -> bool:
    """Whether a clipped literal block without indentation indicator holds ``value``.

    That is: exactly one final line break, a first line that does not start with a
    space, no trailing whitespace on any line, and nothing that needs an escape.
    """
    if not value.endswith("\n") or value.endswith("\n\n") or value[0] in " \n":
        return False
    return all(
        line == line.rstrip() and all(c in "\\\"" or _escape(c) == c for c in line)
        for line in value[:-1].split("\n")
    )


def remove_key(text: str, path: KeyPath) -> str:
    """Remove the entry at ``path`` from its block mapping: the lines of its key and value.

    The inverse of adding a key with :func:`set_value`; comments on other lines stay.
    """
    root = _compose(text)
    if not path or not isinstance(path[-1], str):
        raise EditError(f"{_show(path)} does not name a mapping key")
    parent = _walk(root, path[:-1])
    if not isinstance(parent, yaml.MappingNode) or parent.flow_style:
        raise EditError(f"{_show(path[:-1])} is not a block mapping")
    found = _lookup(parent, path[-1], path)
    if found is None:
        raise EditError(f"{_show(path)} does not exist")
    key, node = found
    if len(parent.value) == 1:
        raise EditError(f"{_show(path)} is the only key of its mapping; a block mapping "
                        "cannot be left empty")
    start = text.rfind("\n", 0, key.start_mark.index) + 1
    if text[start : key.start_mark.index].strip(" -"):
        raise EditError(f"{_show(path)} does not start its own line")
    if text[start : key.start_mark.index].strip(" ") == "-":
        raise EditError(f"{_show(path)} starts a list item; remove the item instead")
    return text[:start] + text[_line_end(text, _content_end(text, node)) :]


def key_result_index(text: str, kr_id: str) -> int:
    """The position of the key result with id ``kr_id`` in the goal's ``key_results``.

    Paths address lists by index, people address key results by id.
    """
    root = _compose(text)
    krs = _walk(root, ("key_results",))
    if not isinstance(krs, yaml.SequenceNode):
        raise EditError("key_results is not a list")
    for index, item in enumerate(krs.value):
        if isinstance(item, yaml.MappingNode):
            found = _lookup(item, "id", ("key_results", index, "id"))
            if found is not None and isinstance(found[1], yaml.ScalarNode) and (
                found[1].value == kr_id
            ):
                return index
    raise EditError(f"no key result has the id `{kr_id}`")


def _compose(text: str) -> yaml.Node:
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise EditError(f"not valid YAML: {exc}") from exc
    if root is None:
        raise EditError("the file holds no YAML document")
    return root


def _walk(node: yaml.Node, path: KeyPath) -> yaml.Node:
    for depth, step in enumerate(path):
        here = path[: depth + 1]
        if isinstance(node, yaml.MappingNode) and isinstance(step, str):
            found = _lookup(node, step, here)
            if found is None:
                raise EditError(f"{_show(here)} does not exist")
            key, node = found
            _check_not_alias(node, key.end_mark.index, here)
        else:
            node = _child(node, step, here)
    return node


def _lookup(
    mapping: yaml.MappingNode, key: str, path: KeyPath
) -> tuple[yaml.Node, yaml.Node] | None:
    matches = [
        (k, v) for k, v in mapping.value if isinstance(k, yaml.ScalarNode) and k.value == key
    ]
    if len(matches) > 1:
        raise EditError(f"{_show(path)} is a duplicate key; fix the file first")
    if not matches and any(k.value == "<<" for k, _ in mapping.value):
        raise EditError(f"{_show(path)} may come from a merge key (<<); edit it by hand")
    return matches[0] if matches else None


def _child(node: yaml.Node, step: str | int, path: KeyPath) -> yaml.Node:
    if not isinstance(node, yaml.SequenceNode) or not isinstance(step, int):
        raise EditError(f"{_show(path)} does not exist: its parent is a {_kind(node)}")
    if not 0 <= step < len(node.value):
        raise EditError(f"{_show(path)} does not exist: the list has {len(node.value)} item(s)")
    item: yaml.Node = node.value[step]
    floor = node.value[step - 1].end_mark.index if step else node.start_mark.index
    _check_not_alias(item, floor, path)
    return item


def _check_not_alias(node: yaml.Node, floor: int, path: KeyPath) -> None:
    """Refuse a value that is an alias (``*name``): editing it would edit its anchor."""
    if node.start_mark.index < floor:
        raise EditError(f"{_show(path)} is an alias (*name); edit its anchor by hand")


def _span(text: str, node: yaml.ScalarNode, path: KeyPath) -> tuple[int, int]:
    start = node.start_mark.index
    if text[start : start + 1] in ("&", "!"):
        raise EditError(f"{_show(path)} carries an anchor or a tag; edit it by hand")
    return start, _content_end(text, node)


def _content_end(text: str, node: yaml.Node) -> int:
    """Where the node's own text ends: not the blank lines and comments that may follow.

    A block scalar's span runs over its trailing line breaks (they belong to it only with
    keep chomping), and a block collection ends where the next token starts, which can be
    lines further down.
    """
    if isinstance(node, yaml.ScalarNode):
        start: int = node.start_mark.index
        end: int = node.end_mark.index
        header = text[start:_line_end(text, start)].split("#")[0]
        if node.style in ("|", ">") and "+" in header:
            return end  # keep chomping (`|+`): the trailing line breaks are the value's
        return start + len(text[start:end].rstrip())
    if getattr(node, "flow_style", False) or not node.value:  # collections only have it
        return int(node.end_mark.index)
    last = node.value[-1]
    return _content_end(text, last[1] if isinstance(node, yaml.MappingNode) else last)


def _line_end(text: str, index: int) -> int:
    """The index just past the line break of the line holding ``index`` (or the end)."""
    newline = text.find("\n", index)
    return len(text) if newline < 0 else newline + 1


def _insert(text: str, mapping: yaml.MappingNode, key: str, value: Scalar,
            after: tuple[str, ...] = ()) -> str:
    entry = f"{format_scalar(key)}: {format_scalar(value)}"
    last_key, last_value = mapping.value[-1] if mapping.value else (None, None)
    if not mapping.flow_style:
        earlier = [(k, v) for k, v in mapping.value
                   if isinstance(k, yaml.ScalarNode) and k.value in after]
        if earlier:
            last_key, last_value = earlier[-1]
    if mapping.flow_style:
        if last_value is None:
            at = mapping.start_mark.index + 1  # just inside the `{`
            return text[:at] + entry + text[at:]
        at = _content_end(text, last_value)
        return text[:at] + ", " + entry + text[at:]
    assert last_key is not None and last_value is not None  # block mappings are never empty
    newline = "\r\n" if "\r\n" in text else "\n"
    indent = " " * int(last_key.start_mark.column)
    at = _line_end(text, _content_end(text, last_value))
    if at == len(text) and not text.endswith("\n"):
        return text + newline + indent + entry
    return text[:at] + indent + entry + newline + text[at:]


def append_item(text: str, path: KeyPath, item: dict[str, Scalar]) -> str:
    """Add ``item`` (a mapping of scalars) at the end of the list at ``path``, in the
    style of the list's last item (a block or a flow mapping, at its indentation), or as
    ``, {...}`` in a flow list. Comments and every other byte stay."""
    node = _walk(_compose(text), path)
    if not isinstance(node, yaml.SequenceNode):
        raise EditError(f"{_show(path)} is a {_kind(node)}, not a list")
    flow = "{" + ", ".join(f"{format_scalar(k)}: {format_scalar(v)}"
                           for k, v in item.items()) + "}"
    if node.flow_style or not node.value:
        if not node.flow_style:
            raise EditError(f"{_show(path)} is an empty list; add the item by hand")
        at = node.end_mark.index - 1  # just before the `]`
        return text[:at] + (", " if node.value else "") + flow + text[at:]
    last = node.value[-1]
    newline = "\r\n" if "\r\n" in text else "\n"
    dash = text.rfind("-", 0, last.start_mark.index)
    indent = " " * (dash - text.rfind("\n", 0, dash) - 1)
    if isinstance(last, yaml.MappingNode) and not last.flow_style:
        inner = " " * int(last.start_mark.column)
        lines = [f"{format_scalar(k)}: {format_scalar(v)}" for k, v in item.items()]
        entry = indent + "-" + inner[len(indent) + 1:] + (newline + inner).join(lines)
    else:
        entry = indent + "- " + flow
    at = _line_end(text, _content_end(text, last))
    if at == len(text) and not text.endswith("\n"):
        return text + newline + entry
    return text[:at] + entry + newline + text[at:]


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "mapping"
    if isinstance(node, yaml.SequenceNode):
        return "list"
    return "single value"


def _show(path: KeyPath) -> str:
    """A path as people write it: ``key_results[0].current``."""
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out or "(document)"


def append_items(text: str, key: str, items: list[dict[str, Scalar]]) -> str:
    """Add mappings at the end of the top-level list ``key`` (``people:``, ``teams:``),
    at the indentation the list already uses; every other line, comments included, stays.

    A missing key, an empty value or a flow list (``people: []``) becomes a block list.
    """
    if not items:
        return text
    root = _compose(text) if text.strip() else None
    newline = "\r\n" if "\r\n" in text else "\n"
    if root is not None and not isinstance(root, yaml.MappingNode):
        raise EditError("the file is not a mapping of keys")
    found = _lookup(root, key, (key,)) if root is not None else None
    node = found[1] if found is not None else None
    if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
        dash = int(node.start_mark.column)
        first = node.value[0]
        inner = int(first.start_mark.column) if isinstance(first, yaml.MappingNode) else dash + 2
        block = _block_items(items, dash, inner, newline)
        at = _line_end(text, _content_end(text, node))
        if at == len(text) and not text.endswith("\n"):
            return text + newline + block
        return text[:at] + block + text[at:]
    block = _block_items(items, 2, 4, newline)
    if found is None:
        lead = "" if not text or text.endswith("\n") else newline
        return f"{text}{lead}{format_scalar(key)}:{newline}{block}"
    key_node, value = found
    if isinstance(value, yaml.SequenceNode) and value.value:  # a flow list with items
        raise EditError(f"`{key}` is a one-line list; write it as a block list first")
    if isinstance(value, yaml.ScalarNode) and value.value:
        raise EditError(f"`{key}` is not a list")
    end = value.end_mark.index if value.end_mark.index > key_node.end_mark.index else (
        key_node.end_mark.index + 1)
    rest = text[end:]
    return text[:key_node.end_mark.index] + ":" + newline + block.rstrip("\r\n") + (
        rest if rest.startswith(("\n", "\r\n")) else newline + rest.lstrip(" "))


def _block_items(items: list[dict[str, Scalar]], dash: int, inner: int, newline: str) -> str:
    lines = []
    for item in items:
        for n, (name, value) in enumerate(item.items()):
            lead = " " * dash + "- " + " " * (inner - dash - 2) if n == 0 else " " * inner
            lines.append(f"{lead}{format_scalar(name)}: {format_scalar(value)}")
    return newline.join(lines) + newline
