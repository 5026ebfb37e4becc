"""Shared fixtures: goals repositories written into tmp_path, the CLI run in-process, and
one Chromium for every browser test of the session."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, need
from click.testing import CliRunner
from helpers import (
    CONFIG_TEXT,
    DEFAULT_GOALS,
    PEOPLE_TEXT,
    TEAMS_TEXT,
    FileContent,
    RepoFactory,
    Run,
    write,
)

from goalsrepo.cli import cli

try:
    from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
except ImportError:  # the test extra was not installed
    sync_playwright = None  # type: ignore[assignment]


@pytest.fixture
def goals_repo(tmp_path: Path) -> RepoFactory:
    """Make a goals repository in a fresh folder under tmp_path.

    ``goals`` maps paths (from the repository root) to contents; by default the two clean
    goals above. ``config``/``people``/``teams`` default to the clean texts above; pass
    None to leave a file out. ``git=True`` runs a real ``git init``.
    """
    counter = iter(range(1_000))

    def make(
        goals: Mapping[str, FileContent] | None = None,
        *,
        config: FileContent = CONFIG_TEXT,
        people: FileContent = PEOPLE_TEXT,
        teams: FileContent = TEAMS_TEXT,
        git: bool = False,
    ) -> Path:
        root = tmp_path / f"repo{next(counter)}"
        root.mkdir()
        for name, content in (("goalsrepo.yaml", config), ("people.yaml", people),
                              ("teams.yaml", teams)):
            if content is not None:
                write(root, name, content)
        (root / "goals").mkdir()
        for relpath, content in (DEFAULT_GOALS if goals is None else goals).items():
            write(root, relpath, content)
        if git:
            subprocess.run(["git", "init", "--quiet", str(root)], check=True)
        return root

    return make


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Run]:
    """Invoke the real Click command in-process; stdout and stderr kept apart."""

    def invoke(*args: str, env: Mapping[str, str] | None = None, input: str | None = None,
               ) -> Run:
        for name in ("GITHUB_STEP_SUMMARY", "NO_COLOR"):
            monkeypatch.delenv(name, raising=False)
        result = CliRunner().invoke(cli, list(args), env=dict(env or {}), input=input,
                                    catch_exceptions=False)
        return Run(result.exit_code, result.stdout, result.stderr)

    return invoke


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    need(sync_playwright is not None, "playwright (pip install -e '.[test]')")
    need(os.access(CHROMIUM, os.X_OK), f"Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """A page in a fresh browser context (options as for ``new_context``), offline, so no
    request can leave the machine even if the site tried; closed after the test."""
    contexts: list[BrowserContext] = []

    def make(**options: Any) -> Page:
        context = browser.new_context(offline=True, **options)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
