"""Read goal files safely: the security boundary of goalsrepo.

Anyone who can open a pull request writes these bytes, so the loader trusts nothing:
it caps size and nesting, refuses tags, anchors and aliases, reports duplicate keys and
YAML 1.1 booleans, keeps dates as text, and turns every failure into a diagnostic with
file, line and column instead of an exception.

Speed matters too (``validate`` runs on every commit, SPEC §7): libyaml composes the node
tree in C, with a resolver that does nothing, and :func:`_construct` turns nodes into plain
data in one pass. Positions are not stored; :meth:`Document.locate` composes the file again
on demand, which only happens for files that have something to report.

History reads every old version (100,000 of them at 10,000 goals) without positions:
those in the block part of YAML that goal files are written in are read line by line
(:func:`_read_block`), the others built from libyaml's nodes without paths
(:func:`_plain_data`). Both give up on anything the loader would report, and the full
read reports it.
"""

from __future__ import annotations

import gc
import math
import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from goalsrepo.diagnostics import Diagnostic, make

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 32

PathT = tuple[str | int, ...]
# 0-based (value line, value column, key line, key column); for list items key == value.
Position = tuple[int, int, int, int]

try:
    from yaml.cyaml import CParser as _BaseParser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - PyYAML's wheels carry libyaml
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _BaseParser(Reader, Scanner, Parser, Composer):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)

_IMPLICIT = "?"
_STR_TAG = "tag:yaml.org,2002:str"
_ALLOWED_TAGS = frozenset({_IMPLICIT, _STR_TAG, "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})


class _Parser(_BaseParser):
    """libyaml's composer with a no-op resolver: :func:`_construct` resolves scalars itself.

    PyYAML's resolver runs a chain of regular expressions in Python for every scalar and
    costs more than the C parse; resolving by first character in one place is faster and
    lets the loader see exactly which plain scalars YAML 1.1 would turn into booleans.
    """

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        return _IMPLICIT

    def descend_resolver(self, *args: Any) -> None:
        pass

    def ascend_resolver(self, *args: Any) -> None:
        pass


def compose(text: str) -> Node | None:
    """Compose ``text`` into a node tree (or None for an empty document)."""
    parser = _Parser(text)
    try:
        return parser.get_single_node()
    finally:
        parser.dispose()


_INT = re.compile(r"[-+]?(?:0|[1-9][0-9_]*)\Z")
_FLOAT = re.compile(r"[-+]?(?:[0-9][0-9_]*)?\.?[0-9_]*(?:[eE][-+]?[0-9]+)?\Z")
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
# YAML 1.1 reads these as booleans, YAML 1.2 (and yaml-language-server) as text.
_YAML11_BOOLS = {
    **dict.fromkeys(("yes", "Yes", "YES", "on", "On", "ON"), True),
    **dict.fromkeys(("no", "No", "NO", "off", "Off", "OFF"), False),
}
_NUMBER_START = frozenset("0123456789+-.")


def plain_scalar(value: str) -> Any:
    """Resolve a plain scalar the way YAML 1.2's core schema does, dates kept as text."""
    if value in _NULLS:
        return None
    first = value[0]
    if first in _NUMBER_START:
        # A number Python cannot hold (over 4,300 digits, or beyond a float's range) stays
        # text, which the schema then reports, instead of raising or becoming infinity.
        try:
            if _INT.match(value):
                return int(value.replace("_", ""))
            if any(c.isdigit() for c in value) and _FLOAT.match(value):
                number = float(value.replace("_", ""))
                return number if math.isfinite(number) else value
        except ValueError:
            pass
        return value
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return value


class _Refused(Exception):
    """A construct the loader refuses; carries the diagnostic code and the node."""

    def __init__(self, code: str, message: str, node: Node) -> None:
        super().__init__(message)
        self.code = code
        self.node = node


@dataclass
class _Construction:
    """What building plain data from a node tree found besides the data."""

    problems: list[tuple[str, str, Node]] = field(default_factory=list)
    flagged: set[PathT] = field(default_factory=set)
    positions: dict[PathT, Position] | None = field(default_factory=dict)
    seen: set[int] | None = None  # node ids, tracked only when the text holds an anchor


def _construct(node: Node, path: PathT, depth: int, ctx: _Construction) -> Any:
    """Plain data from a node tree, checking every node the schema cannot see."""
    if depth > MAX_DEPTH:
        raise _Refused("GR007", f"nesting deeper than {MAX_DEPTH} levels", node)
    if ctx.seen is not None:
        if id(node) in ctx.seen:
            raise _Refused("GR004", "aliases (`*name`) are not allowed", node)
        ctx.seen.add(id(node))
    if node.tag not in _ALLOWED_TAGS:
        raise _Refused("GR005", f"tags such as `{_short_tag(node.tag)}` are not allowed", node)
    cls = type(node)
    if isinstance(node, ScalarNode):
        return _scalar(node, path, ctx)
    positions = ctx.positions
    if cls is MappingNode:
        data: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if type(key_node) is not ScalarNode or key_node.tag not in _ALLOWED_TAGS:
                raise _Refused("GR016", "keys must be plain text", key_node)
            key = key_node.value
            if key == "<<" and not key_node.style:
                raise _Refused("GR004", "merge keys (`<<`) are not allowed", key_node)
            if key in data:
                first = next(k for k, _ in node.value if k.value == key).start_mark.line + 1
                ctx.problems.append(
                    ("GR002", f"duplicate key `{key}` (first at line {first})", key_node)
                )
            child = (*path, key)
            if positions is not None:
                vmark, kmark = value_node.start_mark, key_node.start_mark
                positions[child] = (vmark.line, vmark.column, kmark.line, kmark.column)
            if type(value_node) is ScalarNode and value_node.tag == _IMPLICIT and ctx.seen is None:
                data[key] = _scalar(value_node, child, ctx)  # the common case, inlined
            else:
                data[key] = _construct(value_node, child, depth + 1, ctx)
        return data
    if cls is SequenceNode:
        items = []
        for i, item in enumerate(node.value):
            child = (*path, i)
            if positions is not None:
                mark = item.start_mark
                positions[child] = (mark.line, mark.column, mark.line, mark.column)
            items.append(_construct(item, child, depth + 1, ctx))
        return items
    raise _Refused("GR001", "unexpected YAML node", node)  # pragma: no cover


def _scalar(node: ScalarNode, path: PathT, ctx: _Construction) -> Any:
    value: str = node.value
    if node.style or node.tag == _STR_TAG:  # quoted or block: text (libyaml: "" for plain)
        return value
    if value in _YAML11_BOOLS:
        meant = str(_YAML11_BOOLS[value]).lower()
        ctx.problems.append((
            "GR013",
            f"`{value}` is read as the boolean {meant} by YAML 1.1 but as text by YAML 1.2: "
            f"quote it ('{value}') if you mean text, or write {meant}",
            node,
        ))
        ctx.flagged.add(path)
        return _YAML11_BOOLS[value]
    return plain_scalar(value)  # dates stay text; the schema checks they are real


class _Unusual(Exception):
    """Text the fast paths of history leave to the full read: anything it would report, or
    (for :func:`_read_block`) anything outside the block subset."""


# Plain scalars repeat across a history's versions (numbers, ids, statuses): each text is
# classified once, as the type that reads it (`str`, `int`, `float`) or a function giving
# its constant. A hit makes the value afresh from the node's own text, as a miss does, so
# no object is shared that was not before (marshal, which files the history, writes
# objects held twice as references: the cache's bytes depend on it). Bounded in size.
_READERS: dict[str, Callable[[str], Any]] = {}
_READERS_MAX = 1 << 16


def _plain_data(node: Node, depth: int) -> Any:
    """The data of a node tree with nothing to report, or :class:`_Unusual`.

    The data :func:`_construct` gives, without positions or paths: for the old versions
    history reads (most of ``status``'s time). A tag, an alias, a merge or duplicate key, a
    YAML 1.1 boolean or too deep a nesting raises :class:`_Unusual`, and the caller
    constructs again with :func:`_construct`, which reports them.
    """
    if depth > MAX_DEPTH or node.tag != _IMPLICIT:
        raise _Unusual
    cls = type(node)
    if cls is MappingNode:
        data: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if type(key_node) is not ScalarNode or key_node.tag != _IMPLICIT:
                raise _Unusual
            key = key_node.value
            if key in data or key == "<<":
                raise _Unusual
            if type(value_node) is ScalarNode and value_node.tag == _IMPLICIT:
                value = value_node.value
                if not value_node.style:
                    reader = _READERS.get(value)
                    value = reader(value) if reader is not None else _read_plain(value)
                data[key] = value
            else:
                data[key] = _plain_data(value_node, depth + 1)
        return data
    if cls is SequenceNode:
        return [_plain_data(item, depth + 1) for item in node.value]
    assert isinstance(node, ScalarNode)
    text: str = node.value
    if node.style:
        return text
    reader = _READERS.get(text)
    return reader(text) if reader is not None else _read_plain(text)


def _read_plain(value: str) -> Any:
    """Resolve a plain scalar met for the first time, and learn how to read it again."""
    if value in _YAML11_BOOLS:
        raise _Unusual
    resolved = plain_scalar(value)
    kind = type(resolved)
    if kind is str or ((kind is int or kind is float) and "_" not in value):
        reader: Callable[[str], Any] = kind
    elif resolved is None or kind is bool:
        reader = _CONSTANTS[resolved]
    else:  # a number written with underscores: rare
        return resolved
    if len(_READERS) >= _READERS_MAX:
        _READERS.clear()
    _READERS[(value + " ")[:-1]] = reader  # a copy: the node's text is the value's
    return resolved


_CONSTANTS: dict[Any, Callable[[str], Any]] = {
    None: lambda _text: None, True: lambda _text: True, False: lambda _text: False,
}


# --- the block subset: history's old versions without libyaml ---------------------------
#
# Goal files are written in a small part of YAML: block mappings of plain keys, block
# sequences, one-line plain, quoted and flow-sequence scalars, literal blocks. Read line by
# line, that part costs about half of composing libyaml's nodes and constructing from them.
# Anything outside it, however valid, goes to libyaml (``_read_block`` raises _Unusual), so
# only texts that libyaml reads without a word, to the same data, are read here; the tests
# compare the two on generated and fuzzed texts.

# Characters YAML reads otherwise than as they stand (control characters, NEL, the
# Unicode line and paragraph separators, surrogates, a BOM, the non-characters U+FFFE and
# U+FFFF) and tabs: any of them leaves the subset. Listed, not as the complement of what
# stays: a negated class of the wide printable ranges took every process 6 ms to compile.
_OUTSIDE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")
# A plain key (libyaml reads at most 1,024 characters of a simple key), a colon, the rest.
_KEY_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_-]{0,200}):(?: +(.*))?\Z")
_DOUBLE = re.compile(r'"([^"\\]*)"(?: *| +#.*)\Z')
_SINGLE = re.compile(r"'((?:[^']|'')*)'(?: *| +#.*)\Z")
_FLOW = re.compile(r"\[([^\[\]{}#'\"]*)\](?: *| +#.*)\Z")
_FLOW_ITEM = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_.@/+-]*\Z")
# What a plain scalar cannot start with (YAML's indicators), but "-" before a digit.
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_BLOCK_DEPTH = 8


def _read_block(text: str) -> tuple[dict[str, Any], int]:
    """The data of a text in the block subset, and the line of its first key (0-based)."""
    if (not text.endswith("\n") or _OUTSIDE.search(text) is not None
            or text.startswith(("---", "...")) or "\n---" in text or "\n..." in text):
        raise _Unusual
    reader = _BlockReader(text.split("\n")[:-1])
    first, indent = reader.next_content(0)
    if indent != 0:
        raise _Unusual
    data, _end, _indent = reader.mapping(first, 0, 1)
    return data, first


class _BlockReader:
    """Reads the lines of one text; each method returns what it read with the index and
    indentation of the next line that is neither blank nor a comment (-1 at the end)."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def next_content(self, i: int) -> tuple[int, int]:
        lines = self.lines
        while i < len(lines):
            line = lines[i]
            stripped = line.lstrip(" ")
            if stripped and stripped[0] != "#":
                return i, len(line) - len(stripped)
            i += 1
        return i, -1

    def mapping(self, i: int, indent: int, depth: int) -> tuple[dict[str, Any], int, int]:
        """The block mapping whose first key stands at column ``indent`` of line ``i``."""
        if depth > _BLOCK_DEPTH:
            raise _Unusual
        data: dict[str, Any] = {}
        lines = self.lines
        while True:
            found = _KEY_LINE.match(lines[i], indent)
            if found is None:
                raise _Unusual
            key, rest = found.groups()
            if key in data:
                raise _Unusual
            if not rest or rest[0] == "#":  # the value is on the lines below, or null
                j, below = self.next_content(i + 1)
                if below > indent:
                    value, i, next_indent = self.nested(j, below, depth + 1)
                elif below == indent and lines[j].startswith("- ", indent):
                    value, i, next_indent = self.sequence(j, indent, depth + 1)
                else:
                    value, i, next_indent = None, j, below
            elif rest == "|" or rest == "|-":
                value, i, next_indent = self.literal(i + 1, indent, rest == "|")
            else:
                if rest[0] in _INDICATORS:
                    value = self.scalar(rest)
                else:  # plain, the common case (inlined, as is the next line's indentation)
                    cut = rest.find(" #")
                    text = (rest if cut < 0 else rest[:cut]).rstrip(" ")
                    if ": " in text or text.endswith(":"):
                        raise _Unusual
                    reader = _READERS.get(text)
                    value = reader(text) if reader is not None else _read_plain(text)
                i += 1
                line = lines[i] if i < len(lines) else ""
                stripped = line.lstrip(" ")
                if stripped and stripped[0] != "#":
                    next_indent = len(line) - len(stripped)
                else:
                    i, next_indent = self.next_content(i)
                if next_indent > indent:  # a plain scalar going on, or an error
                    raise _Unusual
            data[key] = value
            if next_indent != indent:
                if next_indent > indent:
                    raise _Unusual
                return data, i, next_indent

    def nested(self, i: int, indent: int, depth: int) -> tuple[Any, int, int]:
        if self.lines[i].startswith("- ", indent):
            return self.sequence(i, indent, depth)
        return self.mapping(i, indent, depth)

    def sequence(self, i: int, indent: int, depth: int) -> tuple[list[Any], int, int]:
        """The block sequence whose first ``- `` stands at column ``indent`` of line ``i``."""
        if depth > _BLOCK_DEPTH:
            raise _Unusual
        items: list[Any] = []
        lines = self.lines
        while True:
            rest = lines[i][indent + 2:]
            if not rest or rest[0] == " " or rest[0] == "#":
                raise _Unusual
            if _KEY_LINE.match(rest) is not None:  # a mapping, its keys at indent + 2
                item, i, next_indent = self.mapping(i, indent + 2, depth + 1)
            else:
                item = self.scalar(rest)
                i, next_indent = self.next_content(i + 1)
            items.append(item)
            if next_indent != indent or not lines[i].startswith("- ", indent):
                if next_indent > indent:
                    raise _Unusual
                return items, i, next_indent

    def literal(self, i: int, indent: int, clip: bool) -> tuple[str, int, int]:
        """A literal block scalar (``|``, or ``|-`` to strip the last line break) of a key at
        column ``indent``, from line ``i``: its first line sets the indentation."""
        lines = self.lines
        if i >= len(lines):
            raise _Unusual
        first = lines[i]
        inner = len(first) - len(first.lstrip(" "))
        if inner <= indent or inner == len(first):
            raise _Unusual
        parts: list[str] = []
        kept = 0  # the parts up to the last line with content
        while i < len(lines):
            line = lines[i]
            stripped = line.lstrip(" ")
            if stripped and len(line) - len(stripped) < inner:
                break
            if stripped or len(line) > inner:  # spaces past the indentation are text
                parts.append(line[inner:])
                kept = len(parts)
            else:
                parts.append("")  # an empty line: a line break, kept if text follows
            i += 1
        body = "\n".join(parts[:kept])
        i, next_indent = self.next_content(i)
        if next_indent > indent:
            raise _Unusual
        return (body + "\n" if clip else body), i, next_indent

    @staticmethod
    def scalar(rest: str) -> Any:
        """The value of a one-line scalar: plain, quoted or a flow sequence of plain words."""
        first = rest[0]
        if first == '"':
            found = _DOUBLE.match(rest)
            if found is None:
                raise _Unusual
            return found.group(1)
        if first == "'":
            found = _SINGLE.match(rest)
            if found is None:
                raise _Unusual
            return found.group(1).replace("''", "'")
        if first == "[":
            found = _FLOW.match(rest)
            if found is None:
                raise _Unusual
            inner = found.group(1)
            if not inner.strip(" "):
                return []
            items = []
            for item in inner.split(","):
                item = item.strip(" ")
                if _FLOW_ITEM.match(item) is None:
                    raise _Unusual
                reader = _READERS.get(item)
                items.append(reader(item) if reader is not None else _read_plain(item))
            return items
        if first in _INDICATORS and (first != "-" or rest[1:2] not in _DIGITS):
            raise _Unusual
        cut = rest.find(" #")
        text = (rest if cut < 0 else rest[:cut]).rstrip(" ")
        if ": " in text or text.endswith(":"):
            raise _Unusual
        reader = _READERS.get(text)
        return reader(text) if reader is not None else _read_plain(text)


_DIGITS = frozenset("0123456789.")


def _short_tag(tag: str) -> str:
    return "!!" + tag[18:] if tag.startswith("tag:yaml.org,2002:") else tag


_TAB_INDENT = re.compile(r"^[ ]*\t", re.M)
# A line that starts deeper than MAX_DEPTH columns of indentation and sequence or key
# markers: the first line, or one after a line break. (One search for a line break, not
# a list of every line's prefix, nor ``^`` with re.M, tried at every character: history
# parses 100,000 blobs.)
_DEEP_PREFIX = re.compile(rf"[ \-?:]{{{MAX_DEPTH + 1}}}")
_DEEP_LINE = re.compile(rf"\n[ \-?:]{{{MAX_DEPTH + 1}}}")


def _deep_or_anchored(text: str) -> bool:
    """Whether the text may nest too deep or hold an anchor: then scan events first.

    libyaml's composer recurses in C and crashes the interpreter on very deep input, so
    depth must be bounded before composing. Both bounds here over-estimate, so a normal
    file skips the event scan.
    """
    if "&" in text:
        return True
    if text.count("[") + text.count("{") > MAX_DEPTH:
        return True
    return _DEEP_PREFIX.match(text) is not None or _DEEP_LINE.search(text) is not None


def _scan_events(text: str) -> tuple[str, str, Any] | None:
    """Walk libyaml's event stream (iterative, safe at any depth) for depth and anchors.

    libyaml 0.2.6 and later refuse more than 1,000 levels while scanning ahead, before
    the event at our limit arrives: the pure-Python parser, iterative too, then finds
    where the nesting first goes too deep."""
    if hasattr(yaml, "CSafeLoader"):
        try:
            return _walk_events(text, yaml.CSafeLoader)
        except yaml.MarkedYAMLError as error:
            if error.problem != "exceeded maximum nesting depth":
                raise
    return _walk_events(text, yaml.SafeLoader)


def _walk_events(text: str, loader: Any) -> tuple[str, str, Any] | None:
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if getattr(event, "anchor", None) is not None:
            return "GR004", "anchors (`&name`) and aliases are not allowed", event.start_mark
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return "GR007", f"nesting deeper than {MAX_DEPTH} levels", event.start_mark
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


@dataclass
class Document:
    """One YAML file: the plain data it holds, and where each value stands.

    ``data`` is None when the file could not be read or parsed; ``diagnostics`` then says why.
    ``flagged`` holds the paths that already have a loader diagnostic, so the schema check
    does not report the same value twice. ``positions`` maps every key path to where its
    value (and key) start, recorded while parsing so no diagnostic has to parse again.
    """

    path: str
    data: dict[str, Any] | None
    diagnostics: list[Diagnostic]
    flagged: frozenset[PathT] = frozenset()
    positions: dict[PathT, Position] = field(default_factory=dict, repr=False)
    root_position: tuple[int, int] = (0, 0)

    def locate(self, path: PathT, *, key: bool = False) -> tuple[int | None, int | None]:
        """Line and column (1-based) of the value at ``path``, or of its key with ``key``.

        A path that does not exist (a missing key) points at the nearest mapping above it.
        """
        if self.data is None:
            return None, None
        for end in range(len(path), 0, -1):
            found = self.positions.get(path[:end])
            if found is not None:
                if key and end == len(path):
                    return found[2] + 1, found[3] + 1
                return found[0] + 1, found[1] + 1
        return self.root_position[0] + 1, self.root_position[1] + 1


def _at(path: str, code: str, message: str, mark: Any) -> Diagnostic:
    if mark is None:
        return make(code, message, path, None, None)
    return make(code, message, path, mark.line + 1, mark.column + 1)


def parse(text: str, path: str, *, positions: bool = True) -> Document:
    """Parse one file's text into a :class:`Document`; never raises for bad input.

    ``positions=False`` skips recording where values stand, for old versions read from
    history, which are never reported on.
    """

    def fail(code: str, message: str, mark: Any = None, line: int = 1, col: int = 1) -> Document:
        diag = _at(path, code, message, mark) if mark else make(code, message, path, line, col)
        return Document(path, None, [diag])

    if _blank(text):
        return fail("GR008", "the file is empty")
    tab = "\t" in text and _TAB_INDENT.search(text)
    if tab:
        line = text.count("\n", 0, tab.start()) + 1
        column = tab.end() - tab.start()
        return fail("GR003", "tab character used for indentation", line=line, col=column)
    if not positions:
        try:
            data, first = _read_block(text)
            return Document(path, data, [], root_position=(first, 0))
        except _Unusual:
            pass
    try:
        if _deep_or_anchored(text):
            refused = _scan_events(text)
            if refused:
                return fail(refused[0], refused[1], refused[2])
        root = compose(text)
    except yaml.MarkedYAMLError as exc:
        return _yaml_error(path, text, exc)
    except yaml.reader.ReaderError as exc:
        # libyaml reads the text as UTF-8 and gives a byte offset (and the code point as
        # an int); PyYAML's own reader gives a character offset and the character.
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        offset = exc.position
        if not isinstance(exc.character, str):
            offset = len(text.encode("utf-8")[:offset].decode("utf-8", "ignore"))
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        return fail("GR001", f"control character U+{ord(char):04X} is not allowed in YAML",
                    line=line, col=column)
    if root is None:
        return fail("GR008", "the file is empty")
    if not isinstance(root, MappingNode):
        kind = "a list" if isinstance(root, SequenceNode) else "a single value"
        message = f"the top level is {kind}; it must be a mapping of keys"
        return fail("GR010", message, root.start_mark)
    start = root.start_mark
    if not positions and "*" not in text:
        try:
            return Document(path, _plain_data(root, 1), [], root_position=(start.line,
                                                                            start.column))
        except _Unusual:
            pass
    ctx = _Construction(positions={} if positions else None,
                        seen=set() if "*" in text else None)
    try:
        data = _construct(root, (), 1, ctx)
    except _Refused as exc:
        return fail(exc.code, str(exc), exc.node.start_mark)
    diagnostics = [_at(path, code, msg, node.start_mark) for code, msg, node in ctx.problems]
    return Document(path, data, diagnostics, frozenset(ctx.flagged),
                    ctx.positions or {}, (start.line, start.column))


def _blank(text: str) -> bool:
    """Whether every line is blank or a comment.

    A first line with text that is not a comment settles it without splitting the rest.
    """
    first = text.partition("\n")[0]
    if first.strip() and not first.lstrip().startswith("#"):
        return False
    return not text.strip() or all(
        not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()
    )


def _yaml_error(path: str, text: str, exc: yaml.MarkedYAMLError) -> Document:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or str(exc)
    if "expected a single document" in str(exc.context or ""):
        code, message = "GR009", "several YAML documents in one file (a second `---`)"
    elif exc.context and exc.context != problem:
        code, message = "GR001", f"YAML syntax error: {problem} ({exc.context})"
    else:
        code, message = "GR001", f"YAML syntax error: {problem}"
    if "undefined alias" in problem:
        code, message = "GR004", "aliases (`*name`) are not allowed"
    return Document(path, None, [_at(path, code, message, mark)])


def read(root: Path, relpath: str) -> Document:
    """Read and parse ``root/relpath``, refusing what is too large, not UTF-8 or elsewhere."""
    full = root / relpath
    try:
        if full.is_symlink() and not _inside(full.resolve(), root.resolve()):
            return _unreadable(relpath, "the file is a link to outside the repository")
        size = full.stat().st_size
        if size > MAX_BYTES:
            return Document(relpath, None, [
                make("GR006", f"the file has {size:,} bytes; at most {MAX_BYTES:,} are read",
                     relpath, None, None)
            ])
        with open(full, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        return _unreadable(relpath, f"cannot read the file: {exc.strerror or exc}")
    return decode_and_parse(raw, relpath)


def decode_and_parse(raw: bytes, relpath: str, *, positions: bool = True) -> Document:
    """Check the size, decode bytes strictly as UTF-8 (no BOM) and parse them."""
    if len(raw) > MAX_BYTES:
        return Document(relpath, None, [
            make("GR006", f"the file has more than {MAX_BYTES:,} bytes", relpath, None, None)
        ])
    if raw.startswith(b"\xef\xbb\xbf"):
        return Document(relpath, None, [
            make("GR012", "the file starts with a byte order mark (BOM)", relpath, 1, 1)
        ])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        # Columns count characters, as in every other diagnostic; the line's bytes before
        # the bad one decoded fine.
        column = len(raw[raw.rfind(b"\n", 0, exc.start) + 1 : exc.start].decode("utf-8")) + 1
        return Document(relpath, None, [
            make("GR011", f"the file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
                 relpath, line, column)
        ])
    return parse(text, relpath, positions=positions)


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _unreadable(relpath: str, message: str) -> Document:
    return Document(relpath, None, [make("GR014", message, relpath, None, None)])


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while parsing many files.

    Parsing makes hundreds of thousands of small objects that all stay alive, so each
    collection rescans a growing heap for cycles that are not there; at 10,000 files that
    tripled the run time. Reference counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


PARALLEL_MIN_FILES = 2000


def read_all(root: Path, relpaths: Sequence[str]) -> list[Document]:
    """Read many files, in order; on a multi-core POSIX machine forked workers share the work.

    Parsing is CPU-bound Python, so a second process nearly halves ``validate`` at 10,000
    files (SPEC §7). Workers are forked (they inherit the imported modules at no cost) and
    only for large repositories, where the fork and the pickled results pay for themselves.
    """
    workers = min(os.cpu_count() or 1, 4)
    if len(relpaths) < PARALLEL_MIN_FILES or workers < 2 or not hasattr(os, "fork"):
        return [read(root, p) for p in relpaths]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    size = -(-len(relpaths) // workers)
    chunks = [list(relpaths[i : i + size]) for i in range(0, len(relpaths), size)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(len(chunks) - 1, mp_context=context) as pool:
        futures = [pool.submit(_read_chunk, root, chunk) for chunk in chunks[1:]]
        docs = _read_chunk(root, chunks[0])
        for future in futures:
            docs.extend(future.result())
    return docs


def _read_chunk(root: Path, relpaths: list[str]) -> list[Document]:
    return [read(root, p) for p in relpaths]


def find_goal_files(root: Path, goals_dir: str,
                    folders: dict[str, int] | None = None) -> list[str]:
    """Every ``*.yaml``/``*.yml`` below the goals folder, as sorted ``/`` paths from root.

    Hidden files and folders (``.git``, editor swap folders) are skipped. A goals folder
    that leads out of the repository (a link, or ``..`` in ``goals_dir``) yields nothing:
    a pull request must not make CI read files elsewhere on the machine. ``folders``, when
    given, receives each folder walked with its modification time (for the file cache).
    """
    base = root / goals_dir
    if not _inside(base.resolve(), root.resolve()):
        return []
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        rel = Path(dirpath).relative_to(root).as_posix()
        if folders is not None:
            folders[rel] = os.stat(dirpath).st_mtime_ns
        found.extend(
            f"{rel}/{name}"
            for name in filenames
            if name.endswith((".yaml", ".yml")) and not name.startswith(".")
        )
    found.sort()
    return found
