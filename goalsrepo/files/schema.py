"""The JSON Schemas of the four file kinds, and schema errors a user can act on.

The schemas ship inside the package (``goalsrepo.schemas``) and are read with
``importlib.resources``. Validation has two paths: jsonschema-rs, compiled once, answers
"is this valid?" for every document in microseconds; only a document it rejects is
explained by jsonschema, the reference implementation, whose errors carry the paths and
keywords turned into messages here. A test checks that both agree.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from goalsrepo.diagnostics import Diagnostic, make
from goalsrepo.files.loader import Document, PathT

KINDS = ("config", "people", "teams", "goal")


@cache
def load(kind: str) -> dict[str, Any]:
    """The schema of one file kind (Draft 2020-12)."""
    if kind not in KINDS:
        raise KeyError(kind)
    text = resources.files("goalsrepo.schemas").joinpath(f"{kind}.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def as_draft7(schema: dict[str, Any]) -> dict[str, Any]:
    """The same schema for tools that speak Draft 7 (yaml-language-server, older editors).

    The schemas keep to the common subset of both drafts; only ``$defs`` is renamed.
    """
    text = json.dumps(schema).replace('"$defs"', '"definitions"')
    text = text.replace("#/$defs/", "#/definitions/")
    out = json.loads(text)
    out["$schema"] = "http://json-schema.org/draft-07/schema#"
    return out  # type: ignore[no-any-return]


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def _is_date(value: str) -> bool:
    """The ``date`` format as the reference checks it (YYYY-MM-DD, a day Python can hold).

    jsonschema-rs alone accepts RFC 3339 dates Python cannot hold (year 0000), which then
    crashed the model; with this definition both validators agree on every date.
    """
    if not _DATE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


@cache
def _fast(kind: str) -> Any:
    import jsonschema_rs

    return jsonschema_rs.validator_for(load(kind), validate_formats=True,
                                       formats={"date": _is_date})


# ECMA-262's \s (the regex dialect of JSON Schema, and of jsonschema-rs): Python's \s also
# matches U+001C-U+001F and U+0085, and misses U+FEFF.
_ECMA_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"


@cache
def _ecma_regex(pattern: str) -> re.Pattern[str]:
    r"""``pattern`` compiled for Python with ECMA-262 meanings of ``$``, ``\s`` and ``\d``.

    Python's ``$`` also matches before a final newline, so ``id: "faster-deploys\n"``
    passed the reference while jsonschema-rs rejected it, and a rejection the reference
    could not explain let the file through.
    """
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            escape = pattern[i + 1]
            i += 2
            if escape == "s":
                out.append(_ECMA_SPACE if in_class else f"[{_ECMA_SPACE}]")
            elif escape == "S" and not in_class:
                out.append(f"[^{_ECMA_SPACE}]")
            elif escape == "d":
                out.append("0-9" if in_class else "[0-9]")
            else:
                out.append(char + escape)
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        elif char == "$" and not in_class:
            char = r"\Z"
        out.append(char)
        i += 1
    return re.compile("".join(out))


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    import jsonschema

    if validator.is_type(instance, "string") and not _ecma_regex(pattern).search(instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


@cache
def _reference(kind: str) -> Any:
    import jsonschema

    base = jsonschema.Draft202012Validator
    cls = jsonschema.validators.extend(base, {"pattern": _pattern})
    return cls(load(kind), format_checker=base.FORMAT_CHECKER)


def is_valid(kind: str, data: Any) -> bool:
    """The compiled validator's verdict (the fast path)."""
    return bool(_fast(kind).is_valid(data))


def check(doc: Document, kind: str) -> list[Diagnostic]:
    """Schema diagnostics for a parsed document, positioned at the offending key or value."""
    if doc.data is None or is_valid(kind, doc.data):
        return []
    seen: set[tuple[PathT, str]] = set()
    out: list[Diagnostic] = []
    errors = list(_reference(kind).iter_errors(doc.data))
    if not errors:  # the validators disagree: never let a rejected document through
        for error in _fast(kind).iter_errors(doc.data):
            line, column = doc.locate(tuple(error.instance_path))
            out.append(make("GR104", error.message, doc.path, line, column))
        return out
    for error in errors:
        for path, as_key, code, message in _explain(error):
            if any(path[: len(f)] == f for f in doc.flagged):
                continue  # the loader already reported this value (a YAML 1.1 boolean)
            if (path, message) in seen:
                continue
            seen.add((path, message))
            line, column = doc.locate(path, key=as_key)
            out.append(make(code, message, doc.path, line, column))
    return out


def _name(path: PathT) -> str:
    """``key_results[1].target`` for a path, as a user reads it in the file."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_TYPE_NAMES = {
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping of keys",
}


def _type_of(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "a mapping"


def _explain(error: Any) -> Iterator[tuple[PathT, bool, str, str]]:
    """Turn one jsonschema error into (path, point-at-key, code, message) tuples."""
    path: PathT = tuple(error.absolute_path)
    keyword = error.validator
    instance = error.instance
    schema = error.schema
    where = _name(path) or "the top level"
    inside = f" in `{_name(path)}`" if path else ""
    if keyword == "additionalProperties":
        known = list(schema.get("properties", {}))
        patterns = list(schema.get("patternProperties", {}))
        for key in instance:
            if key in known or any(re.search(p, key) for p in patterns):
                continue
            hint = difflib.get_close_matches(key, known, n=1)
            tip = f"; did you mean `{hint[0]}`?" if hint else "; extension keys start with `x-`"
            yield (*path, key), True, "GR101", f"unknown key `{key}`{inside}{tip}"
    elif keyword == "required":
        for key in error.validator_value:
            if key not in instance:
                yield path, True, "GR102", f"missing required key `{key}`{inside}"
    elif keyword == "type":
        wanted = error.validator_value
        wanted_name = _TYPE_NAMES.get(wanted, wanted) if isinstance(wanted, str) else wanted
        got = _type_of(instance)
        tip = ""
        if wanted == "string" and not isinstance(instance, (list, dict)) and instance is not None:
            tip = f": quote it (\"{_yaml_text(instance)}\")"
        yield path, False, "GR103", f"`{where}` must be {wanted_name}, not {got}{tip}"
    elif keyword == "enum":
        choices = ", ".join(str(c) for c in error.validator_value)
        hint = difflib.get_close_matches(str(instance), [str(c) for c in error.validator_value], 1)
        tip = f"; did you mean `{hint[0]}`?" if hint else ""
        yield path, False, "GR104", f"`{where}` must be one of {choices}, not `{instance}`{tip}"
    elif keyword == "format" and error.validator_value == "date":
        message = f"`{where}` is `{instance}`, which is not a real date (YYYY-MM-DD)"
        yield path, False, "GR015", message
    elif keyword == "pattern":
        rule = schema.get("description", f"must match {error.validator_value}")
        code = "GR132" if path and path[-1] == "url" else "GR104"
        yield path, False, code, f"`{where}` is `{_clip(instance)}`, not valid: {rule}"
    elif keyword == "not":
        rule = schema.get("description", "not allowed here")
        yield path, True, "GR101", f"`{where}` is not allowed here: {rule}"
    elif keyword == "minLength" and error.validator_value == 1:
        yield path, False, "GR104", f"`{where}` must not be empty"
    elif keyword == "uniqueItems":
        dupes = sorted({str(x) for x in instance if instance.count(x) > 1})
        yield path, False, "GR104", f"`{where}` lists {', '.join(dupes)} more than once"
    elif keyword in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        bound = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}
        yield path, False, "GR104", (
            f"`{where}` must be {bound[keyword]} {error.validator_value}, not {instance}"
        )
    else:
        yield path, False, "GR104", f"`{where}`: {error.message}"


def _yaml_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _clip(value: Any, width: int = 60) -> str:
    text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def printable(kind: str, draft: int = 2020) -> dict[str, Any]:
    """The schema as ``goalsrepo schema KIND`` prints it."""
    return as_draft7(load(kind)) if draft == 7 else load(kind)
