"""Texts and helpers shared by the tests (fixtures are in conftest.py).

Expected lines and columns in the tests are counted by hand from the texts written here,
so most goal files in tests are given as text, not dicts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml

from goalsrepo.diagnostics import Diagnostic
from goalsrepo.validate import validate

CONFIG_TEXT = """\
title: Acme goals
periods:
  - id: 2026-Q4
    start: 2026-10-01
    end: 2026-12-31
"""

PEOPLE_TEXT = """\
people:
  - id: alice
    name: Alice Example
    email: alice@example.org
    team: platform
  - id: bob
    name: Bob Example
    email: bob@example.org
    team: platform
"""

TEAMS_TEXT = """\
teams:
  - id: platform
    name: Platform
    lead: alice
"""

# An organisation goal that passes the schema, the semantic checks and the SMART lint.
COMPANY_GOAL = """\
id: company
title: Delight every customer who signs up this quarter
level: organization
owner: alice
period: 2026-Q4
key_results:
  - id: nps
    title: Net promoter score
    unit: points
    start: 20
    target: 40
"""

# A team goal aligned to it, with every KR kind, a milestone and a link; also clean.
TEAM_GOAL = """\
id: faster-deploys
title: Ship any change to production within one hour
level: team
owner: alice
team: platform
contributors: [bob]
period: 2026-Q4
aligns_to: [company]
key_results:
  - id: deploy-time
    title: Median deploy time
    unit: min
    start: 45
    target: 10
    current: 22
  - id: runbook
    title: Publish the deploy runbook
    done: false
  - id: error-rate
    title: Keep the change failure rate at or below 5%
    unit: "%"
    keep: below
    target: 5
    current: 3.2
milestones:
  - title: Measure today's pipeline
    due: 2026-10-15
    done: true
links:
  - title: Jira epic PLAT-12
    url: https://example.atlassian.net/browse/PLAT-12
"""

FileContent = str | bytes | Mapping[str, Any] | None


DEFAULT_GOALS = {"goals/company.yaml": COMPANY_GOAL,
                  "goals/platform/2026-Q4/faster-deploys.yaml": TEAM_GOAL}



def write(root: Path, relpath: str, content: FileContent) -> Path:
    """Write one file: text as is, bytes raw, a mapping as YAML (key order kept)."""
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_bytes(content.encode("utf-8"))
    else:
        path.write_text(yaml.safe_dump(dict(content or {}), sort_keys=False), "utf-8")
    return path


class RepoFactory(Protocol):
    def __call__(
        self,
        goals: Mapping[str, FileContent] | None = ...,
        *,
        config: FileContent = ...,
        people: FileContent = ...,
        teams: FileContent = ...,
        git: bool = ...,
    ) -> Path: ...



def found(root: Path, *paths: str) -> list[tuple[str | None, int | None, int | None, str]]:
    """``(file, line, column, code)`` of every diagnostic of ``validate``, notes left out."""
    return [(d.file, d.line, d.column, d.code)
            for d in validate(root, paths).diagnostics if d.code != "GR901"]


def diagnostics(root: Path, *paths: str) -> list[Diagnostic]:
    return [d for d in validate(root, paths).diagnostics if d.code != "GR901"]


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str


def git_env() -> dict[str, str]:
    """Pinned identities and dates for real git commits made by tests."""
    return {
        **os.environ,
        "GIT_AUTHOR_NAME": "Test Author", "GIT_AUTHOR_EMAIL": "author@example.org",
        "GIT_COMMITTER_NAME": "Test Author", "GIT_COMMITTER_EMAIL": "author@example.org",
        "GIT_AUTHOR_DATE": "2026-11-01T12:00:00+00:00",
        "GIT_COMMITTER_DATE": "2026-11-01T12:00:00+00:00",
    }
