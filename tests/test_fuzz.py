"""Property tests: whatever bytes a pull request holds, no exception escapes the loader or
``validate``, and ``validate`` exits 0 or 1 with well-formed output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import COMPANY_GOAL, CONFIG_TEXT, PEOPLE_TEXT, TEAM_GOAL, TEAMS_TEXT, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from goalsrepo.cli import cli
from goalsrepo.diagnostics import CODES
from goalsrepo.files.loader import decode_and_parse

KEYS = ["id", "title", "owner", "team", "period", "start", "due", "aligns_to", "status",
        "level", "key_results", "milestones", "links", "url", "done", "keep", "target",
        "current", "weight", "unit", "contributors", "superseded_by", "people", "teams",
        "periods", "name", "end", "goals_dir", "timezone", "lint", "ignore", "health",
        "x-a", "<<", "aligns_too", "parent", "lead", "manager", "partner", "email"]
VALUES = ["a", "alice", "bob", "platform", "company", "2026-Q4", "2026-10-01", "2026-02-30",
          "0000-01-01", "no", "on", "yes", "Off", "true", "false", "~", "null", "0", "-1",
          "0.5", "1e999", "9" * 60, "1_000", ".inf", "0x1F", "below", "above", "active",
          "achieved", "team", "https://example.org", "javascript:alert(1)", "con", "GR207",
          "[company]", "[a, b]", "{}", "[]", "''", '"x\\n"', "|", ">", "Europe/Berlin", "x/../.."]
STRUCTURE = [":", ": ", " ", "-", "- ", "[", "]", "{", "}", ",", "'", '"', "\n", "\n  ",
             "\n    ", "\n  - ", "#", "---\n", "...\n", "? ", "|", "\\", "\r\n", "\r"]
# What the loader refuses or treats specially: anchors, aliases, tags, control characters,
# a BOM, tabs, a directive, other line breaks.
DANGER = ["&a ", "*a", "!!", "!!python/object/apply:os.system ", "!x ", "!!str ", "\t",
          "%YAML 1.1\n", "\x00", "\x07", "\x1b", "\x7f", "\ufeff", "\x85", "\u2028", "é",
          "[" * 40, "- " * 40]
token = st.one_of(st.sampled_from(KEYS), st.sampled_from(VALUES), st.sampled_from(STRUCTURE),
                  st.sampled_from(DANGER))

token_soup = st.lists(token, min_size=1, max_size=40).map("".join)
indents = st.sampled_from(["", "", "  ", "    ", "  - ", "- ", "\t"])
lines = st.lists(st.tuples(indents, st.sampled_from(KEYS), st.sampled_from(VALUES)),
                 max_size=15).map(lambda rows: "".join(f"{i}{k}: {v}\n" for i, k, v in rows))


@st.composite
def mutated_goal(draw: st.DrawFn) -> str:
    """A valid goal file with a few tokens inserted or a slice deleted: near-valid text that
    reaches the schema and semantic checks, not only the parser."""
    text = draw(st.sampled_from([TEAM_GOAL, COMPANY_GOAL, PEOPLE_TEXT, CONFIG_TEXT]))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:at] + draw(token) + text[at:]
        else:
            text = text[:at] + text[at + draw(st.integers(1, 8)):]
    return text


yamlish = st.one_of(token_soup, lines, mutated_goal())
contents = st.one_of(yamlish.map(lambda t: t.encode("utf-8")), st.binary(max_size=200))


def _check_document(raw: bytes) -> None:
    doc = decode_and_parse(raw, "goals/fuzz.yaml")
    assert doc.path == "goals/fuzz.yaml"
    assert (doc.data is None) == any(d.code in _FATAL for d in doc.diagnostics)
    for d in doc.diagnostics:
        assert d.code in CODES
        assert d.line is None or d.line >= 1
        assert d.column is None or d.column >= 1
        assert "\n" not in d.code
    if doc.data is not None:
        assert isinstance(doc.data, dict)
        for path in doc.positions:
            line, column = doc.locate(path)
            assert line is not None and line >= 1 and column is not None and column >= 1


# Loader codes that leave no data to check further (GR002 and GR013 keep the data).
_FATAL = {f"GR{n:03}" for n in range(1, 17)} - {"GR002", "GR013", "GR015"}


@settings(max_examples=400, deadline=None)
@given(yamlish)
def test_loader_never_raises_on_yamlish_text(text: str) -> None:
    _check_document(text.encode("utf-8"))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_loader_never_raises_on_random_bytes(raw: bytes) -> None:
    _check_document(raw)


def _same(a: object, b: object) -> bool:
    """Equal and of the same types all the way down (``1 == 1.0 == True`` is not enough)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        assert isinstance(b, dict)
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        assert isinstance(b, list)
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def assert_fast_path_agrees(raw: bytes) -> None:
    """What history reads (``positions=False``) is what a file read fully gives."""
    full = decode_and_parse(raw, "goals/fuzz.yaml")
    fast = decode_and_parse(raw, "goals/fuzz.yaml", positions=False)
    assert _same(fast.data, full.data), (fast.data, full.data)
    assert fast.diagnostics == full.diagnostics
    assert fast.flagged == full.flagged
    assert fast.root_position == full.root_position


@settings(max_examples=400, deadline=None)
@given(contents)
def test_history_fast_path_agrees_with_the_full_read(raw: bytes) -> None:
    assert_fast_path_agrees(raw)


@pytest.fixture(scope="module")
def fuzz_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz")
    for name, text in (("goalsrepo.yaml", CONFIG_TEXT), ("people.yaml", PEOPLE_TEXT),
                       ("teams.yaml", TEAMS_TEXT), ("goals/company.yaml", COMPANY_GOAL),
                       ("goals/platform/faster-deploys.yaml", TEAM_GOAL)):
        write(root, name, text)
    return root


TARGETS = ["goals/fuzz.yaml", "goals/company.yaml", "people.yaml", "teams.yaml",
           "goalsrepo.yaml"]
ORIGINAL = {"goals/company.yaml": COMPANY_GOAL, "people.yaml": PEOPLE_TEXT,
            "teams.yaml": TEAMS_TEXT, "goalsrepo.yaml": CONFIG_TEXT}


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(target=st.sampled_from(TARGETS), raw=contents, fmt=st.sampled_from(["json", "github"]))
def test_validate_never_raises_and_exits_0_or_1(fuzz_repo: Path, target: str, raw: bytes,
                                                fmt: str) -> None:
    path = fuzz_repo / target
    try:
        path.write_bytes(raw)
        result = CliRunner().invoke(cli, ["validate", "-C", str(fuzz_repo), "--format", fmt],
                                    catch_exceptions=False)
    finally:
        if target in ORIGINAL:
            path.write_text(ORIGINAL[target], "utf-8")
        else:
            path.unlink()
    assert result.exit_code in (0, 1), result.output
    assert result.stderr == ""
    if fmt == "json":
        payload = json.loads(result.stdout)
        assert payload["ok"] is (result.exit_code == 0)
        for d in payload["diagnostics"]:
            assert d["code"] in CODES
            assert d["file"] is None or not d["file"].startswith("/")
    else:
        for line in result.stdout.splitlines()[:-1]:
            assert line.startswith(("::error ", "::warning ", "::notice ")) or ": " in line
