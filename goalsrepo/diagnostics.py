"""Problems found in a goals repository, as values, and the registry of their codes.

Every diagnostic carries a stable code (``GR...``). The registry below is the single
list of codes: the docs page ``docs/codes.md`` documents each one, and a test fails when a
code is missing there, so the documentation cannot rot.
"""

from __future__ import annotations

from enum import Enum

import msgspec


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


class Code(msgspec.Struct, frozen=True):
    """A kind of problem: its stable code, severity, a short name and the one-line fix."""

    code: str
    severity: Severity
    name: str
    fix: str


class Diagnostic(msgspec.Struct, frozen=True):
    """One problem at one place. ``file`` is relative to the repository root, with ``/``."""

    file: str | None
    line: int | None
    column: int | None
    severity: Severity
    code: str
    message: str

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file or "", self.line or 0, self.column or 0, self.code)


def _codes(*codes: Code) -> dict[str, Code]:
    return {c.code: c for c in codes}


E, W, N = Severity.ERROR, Severity.WARNING, Severity.NOTE

CODES: dict[str, Code] = _codes(
    # GR0xx: the file itself (bytes and YAML).
    Code("GR001", E, "yaml-syntax", "Fix the YAML syntax at the position shown."),
    Code("GR002", E, "duplicate-key", "Remove one of the two keys; YAML would keep only the last."),
    Code("GR003", E, "tab-indent", "Indent with spaces; YAML does not allow tabs for indentation."),
    Code("GR004", E, "anchor-alias", "Write the value out; anchors and aliases are refused."),
    Code("GR005", E, "yaml-tag", "Remove the tag (`!!...`, `!...`); goal files hold plain data."),
    Code("GR006", E, "file-too-large", "Split the content; a file may hold at most 1 MiB."),
    Code("GR007", E, "too-deep", "Flatten the structure; at most 32 levels of nesting."),
    Code("GR008", E, "empty-file", "Write the file's content, or delete the file."),
    Code("GR009", E, "several-documents", "Keep one YAML document per file (remove `---`)."),
    Code("GR010", E, "not-a-mapping", "The top level must be a mapping of keys to values."),
    Code("GR011", E, "not-utf8", "Save the file as UTF-8."),
    Code("GR012", E, "byte-order-mark", "Save the file as UTF-8 without a byte order mark (BOM)."),
    Code("GR013", E, "yaml-boolean", "Quote the value (`'no'`), or write true/false for a flag."),
    Code("GR014", E, "unreadable", "Make the file readable (permissions, a dangling link)."),
    Code("GR015", E, "bad-date", "Write a real calendar date as YYYY-MM-DD."),
    Code("GR016", E, "non-string-key", "Write keys as plain text."),
    # GR1xx: the contents (schema and meaning).
    Code("GR101", E, "unknown-key", "Remove or correct the key; prefix your own keys with `x-`."),
    Code("GR102", E, "missing-key", "Add the required key."),
    Code("GR103", E, "wrong-type", "Write a value of the type shown (quote text)."),
    Code("GR104", E, "bad-value", "Use one of the values the message lists."),
    Code("GR110", E, "duplicate-goal-id", "Give each goal an id of its own."),
    Code("GR111", E, "duplicate-kr-id", "Give each key result of a goal an id of its own."),
    Code("GR112", E, "duplicate-id", "Give each person, team and period an id of its own."),
    Code("GR113", E, "unsafe-id", "Choose another id; this one is not a safe file name."),
    Code("GR120", E, "unresolved-reference", "Correct the id, or add it to the file it names."),
    Code("GR121", E, "alignment-cycle", "Remove one `aligns_to` link of the cycle."),
    Code("GR122", E, "team-cycle", "Remove one `parent` link of the cycle."),
    Code("GR123", E, "continues-loop",
         "Point `continues` at the goal of an earlier period that this one carries on."),
    Code("GR130", E, "due-before-start", "Set `due` on or after `start`."),
    Code("GR131", E, "target-equals-start", "Set a target different from the start value."),
    Code("GR132", E, "bad-link", "Link with an http, https or mailto URL."),
    Code("GR133", E, "bad-timezone", "Use an IANA time zone name such as Europe/Berlin or UTC."),
    Code("GR134", E, "goals-dir-missing", "Create the goals folder or correct `goals_dir`."),
    # GR14x: sources of key-result values (SPEC §10).
    Code("GR140", E, "unknown-source", "Name a source defined under `sources:` in goalsrepo.yaml."),
    Code("GR141", E, "bad-pointer", "Write a JSON Pointer such as `/data/0/count` (RFC 6901)."),
    Code("GR142", E, "source-key", "Give the source what its kind reads (docs/sync.md)."),
    Code("GR143", W, "literal-secret", "Read secrets from the environment: `${VAR}`, token_env."),
    # GR2xx: the SMART lint (warnings).
    Code("GR201", W, "title-too-short", "Say what will be true when the goal is met (4+ words)."),
    Code("GR202", W, "title-vague", "Replace filler words with the specific outcome."),
    Code("GR203", W, "no-key-results", "Add a key result, or align goals to this one."),
    Code("GR204", W, "kr-without-unit", "Add a `unit` to the numeric key result."),
    Code("GR205", W, "too-many-key-results", "Keep the few key results that matter most."),
    Code("GR206", W, "owner-overloaded", "Hand some goals on, or drop the least important."),
    Code("GR207", W, "not-aligned", "Align the goal to a parent with `aligns_to`."),
    Code("GR208", W, "no-deadline", "Give the goal a `period` or a `due` date."),
    # GR3xx: the history lint (needs the git history).
    Code("GR301", W, "stale", "Check in: commit the key results' current values."),
    Code("GR302", W, "past-due", "Set the status to achieved or missed, or move the date."),
    Code("GR303", W, "achieved-below-target", "Update the key results, or the status."),
    # GR4xx: settings that leave a feature off.
    Code("GR401", W, "unknown-forge", "Name the forge: `forge: github|gitlab|gitea|bitbucket`."),
    # GR8xx: files read by `import` (a spreadsheet or another tool's export).
    Code("GR801", E, "import-unreadable",
         "Correct the cell shown in the export (or map its column elsewhere), then import again."),
    # GR9xx: notes about the run itself.
    Code("GR901", N, "no-git-history", "Run inside a git repository to get history-based checks."),
    Code("GR902", N, "shallow-clone", "Fetch the full history (`fetch-depth: 0` in Actions)."),
)


def make(
    code: str,
    message: str,
    file: str | None = None,
    line: int | None = None,
    column: int | None = None,
) -> Diagnostic:
    """Build a diagnostic whose severity comes from the registry, so it cannot drift."""
    return Diagnostic(file, line, column, CODES[code].severity, code, message)
