"""Renderers of validation results: text for people, JSON for tools, GitHub annotations.

Reporters are small functions chosen by a flag (the check-jsonschema habit); they take
computed results and return strings, never compute anything themselves.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from goalsrepo.diagnostics import Diagnostic, Severity
from goalsrepo.validate import ValidationResult

JSON_VERSION = 1
GITHUB_ANNOTATION_LIMIT = 10  # GitHub shows at most 10 annotations of each kind per step

_COLORS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.NOTE: "36"}


def diagnostic_line(d: Diagnostic, color: bool = False) -> str:
    """``file:line:column: severity: message [code]`` (the compilers' format)."""
    where = ":".join(str(x) for x in (d.file or "goalsrepo", d.line, d.column) if x is not None)
    severity = d.severity.value
    if color:
        severity = f"\x1b[1;{_COLORS[d.severity]}m{severity}\x1b[0m"
        where = f"\x1b[1m{where}\x1b[0m"
    return f"{where}: {severity}: {d.message} [{d.code}]"


def summary(result: ValidationResult) -> str:
    parts = [_plural(result.errors, "error"), _plural(result.warnings, "warning")]
    return f"{', '.join(parts)} in {_plural(result.files, 'file')}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def render_text(result: ValidationResult, strict: bool = False, color: bool = False) -> str:
    lines = [diagnostic_line(d, color) for d in result.diagnostics]
    verdict = "ok" if result.ok(strict) else "failed"
    lines.append(f"{verdict}: {summary(result)}")
    return "\n".join(lines) + "\n"


def diagnostic_json(d: Diagnostic) -> dict[str, Any]:
    return {
        "file": d.file,
        "line": d.line,
        "column": d.column,
        "severity": d.severity.value,
        "code": d.code,
        "message": d.message,
    }


def render_json(result: ValidationResult, strict: bool = False, color: bool = False) -> str:
    """SPEC §8's ``validate --format json`` shape (a public contract: keep it exact)."""
    payload = {
        "version": JSON_VERSION,
        "ok": result.ok(strict),
        "files": result.files,
        "errors": result.errors,
        "warnings": result.warnings,
        "diagnostics": [diagnostic_json(d) for d in result.diagnostics],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def escape_data(text: str) -> str:
    """Escape a workflow command's message as GitHub's toolkit (``escapeData``) does."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property as GitHub's toolkit (``escapeProperty``) does."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


_GITHUB_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}


def render_github(result: ValidationResult, strict: bool = False, color: bool = False) -> str:
    """GitHub Actions annotations, at most 10 of each kind; the rest as plain log lines."""
    out: list[str] = []
    shown: dict[Severity, int] = {}
    for d in result.diagnostics:
        shown[d.severity] = shown.get(d.severity, 0) + 1
        if shown[d.severity] > GITHUB_ANNOTATION_LIMIT:
            out.append(diagnostic_line(d))
            continue
        props = [f"title={escape_property(f'{d.code}')}"]
        if d.file:
            props.insert(0, f"file={escape_property(d.file)}")
        if d.line is not None:
            props.append(f"line={d.line}")
        if d.column is not None:
            props.append(f"col={d.column}")
        out.append(f"::{_GITHUB_COMMAND[d.severity]} {','.join(props)}::{escape_data(d.message)}")
    verdict = "ok" if result.ok(strict) else "failed"
    out.append(f"{verdict}: {summary(result)}")
    return "\n".join(out) + "\n"


def render_markdown(result: ValidationResult, strict: bool = False) -> str:
    """The full report as Markdown, for ``$GITHUB_STEP_SUMMARY`` and PR comments."""
    icon = "✅" if result.ok(strict) else "❌"
    lines = [f"### {icon} goalsrepo validate: {summary(result)}", ""]
    if result.diagnostics:
        lines += ["| | file | line | code | message |", "|---|---|---|---|---|"]
        for d in result.diagnostics:
            mark = {"error": "❌", "warning": "⚠️", "note": "ℹ️"}[d.severity.value]
            lines.append(
                f"| {mark} | `{_md(d.file or '')}` | {d.line or ''} | {d.code} | {_md(d.message)} |"
            )
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    """Table-cell text: pipes, backticks and HTML cannot break out of the cell."""
    return (
        text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")
        .replace(">", "&gt;").replace("\n", " ").replace("`", "'")
    )


RENDERERS: dict[str, Callable[..., str]] = {
    "text": render_text,
    "json": render_json,
    "github": render_github,
}
