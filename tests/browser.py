"""The built sites the browser, link and feed tests look at, and the tools they need.

Each site is built once per test session, through the real CLI, and shared: the example
(``init --demo``: a real repository with back-dated history), the hostile repository of
:mod:`adversarial`, without and with ``--base-url``, and a large one from the benchmark's
generator. A missing tool (git, Chromium,
Playwright) skips the tests on a developer's machine but fails them in CI, where the
environment promises them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from adversarial import build_repository
from gitrepo import run_cli

CHROMIUM = "/usr/bin/chromium"
# The system's Chromium, quiet: no sandbox (CI runs as root), no GPU, no calls home.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
BASE_URL = "https://example.org/goals"


def need(available: bool, what: str) -> None:
    """Skip when ``what`` is missing, except in CI (``CI=true``), where it is a failure."""
    if available:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing, and CI=true promises it", pytrace=False)
    pytest.skip(f"{what} is missing")


def need_git() -> None:
    need(shutil.which("git") is not None, "git")


@dataclass(frozen=True)
class Site:
    """A built site: its folder, the repository it came from, and its base URL if any."""

    name: str
    folder: Path
    repo: Path
    base_url: str | None = None

    def pages(self) -> list[Path]:
        return sorted(self.folder.rglob("*.html"))

    def url(self, relpath: str = "index.html") -> str:
        return (self.folder / relpath).as_uri()

    def relpath(self, page: Path) -> str:
        return page.relative_to(self.folder).as_posix()


_built: dict[str, Site] = {}
_repos: dict[str, Path] = {}


def _build(repo: Path, output: Path, *extra: str) -> None:
    result = run_cli("build", "-C", str(repo), "-o", str(output), *extra)
    assert result.exit_code == 0, result.output


def demo_site(factory: pytest.TempPathFactory) -> Site:
    """The example repository (``init --demo``) built into a site, once per session."""
    if "demo" not in _built:
        need_git()
        repo = factory.mktemp("demo") / "goals"
        result = run_cli("init", str(repo), "--demo")
        assert result.exit_code == 0, result.output
        _build(repo, repo.parent / "site")
        _built["demo"] = Site("demo", repo.parent / "site", repo)
    return _built["demo"]


GENERATOR = Path(__file__).resolve().parent.parent / "benchmarks" / "generate.py"
# Enough goals that the alignment map has more rows than widgets.OPEN_MAP_ROWS and starts
# folded; a site of some 600 pages, built in seconds.
LARGE_GOALS = 450


def large_site(factory: pytest.TempPathFactory) -> Site:
    """A repository of the benchmark's generator (size S's year of history, with
    :data:`LARGE_GOALS` goals) built into a site, once per session."""
    if "large" not in _built:
        need_git()
        repo = factory.mktemp("large") / "goals"
        made = subprocess.run([sys.executable, str(GENERATOR), "--size", "S", "--goals",
                               str(LARGE_GOALS), "--out", str(repo)],
                              capture_output=True, text=True, check=False)
        assert made.returncode == 0, made.stderr
        _build(repo, repo.parent / "site")
        _built["large"] = Site("large", repo.parent / "site", repo)
    return _built["large"]


SITE_NAMES = ["demo", "hostile", "hostile-base-url"]


def site_named(name: str, factory: pytest.TempPathFactory) -> Site:
    """One of :data:`SITE_NAMES`, built once per session."""
    if name == "demo":
        return demo_site(factory)
    return hostile_site(factory, BASE_URL if name == "hostile-base-url" else None)


def hostile_site(factory: pytest.TempPathFactory, base_url: str | None = None) -> Site:
    """The hostile repository of :mod:`adversarial` built into a site, once per session
    for each base URL; both builds read the one repository, into two folders."""
    name = "hostile-base-url" if base_url else "hostile"
    if name not in _built:
        need_git()
        if "hostile repository" not in _repos:
            _repos["hostile repository"] = factory.mktemp("hostile") / "goals"
            build_repository(_repos["hostile repository"])
        repo = _repos["hostile repository"]
        output = repo.parent / ("site-base-url" if base_url else "site")
        _build(repo, output, *(("--base-url", base_url) if base_url else ()))
        _built[name] = Site(name, output, repo, base_url)
    return _built[name]


def goal_data(site: Site) -> Iterator[dict[str, Any]]:
    """The goal files of a site's repository, parsed."""
    for path in sorted((site.repo / "goals").rglob("*.yaml")):
        yield yaml.safe_load(path.read_text(encoding="utf-8"))


def repo_url(site: Site) -> str | None:
    config = site.repo / "goalsrepo.yaml"
    if not config.is_file():
        return None
    data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    return data.get("repo_url")


# The attributes that hold a URL, and the tags they do it on.
URL_ATTRIBUTES = {
    "href": {"a", "link", "area", "base", "use", "image"},
    "xlink:href": {"a", "use", "image"},
    "src": {"script", "img", "iframe", "frame", "source", "audio", "video", "embed",
            "input", "track"},
    "action": {"form"},
    "formaction": {"button", "input"},
    "poster": {"video"},
    "data": {"object"},
    "srcset": {"img", "source"},
    "cite": {"blockquote", "q", "del", "ins"},
}


class LinkedPage(HTMLParser):
    """The URLs a page links to, as (tag, attribute, value), and the ids it holds."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str, str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (name == "name" and tag == "a"):
                self.ids.add(value)
            tags = URL_ATTRIBUTES.get(name)
            if tags is not None and tag in tags:
                self.links.append((tag, name, value))

    handle_startendtag = handle_starttag


def parse(path: Path) -> LinkedPage:
    """The links and ids of the HTML file at ``path``."""
    page = LinkedPage()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page
