"""Every link of the built sites works from any folder (SPEC §5): a link checker over the
whole tree, with html.parser and no browser.

Relative links must name a file inside the site folder, and a fragment an id of the page it
points into. Absolute http(s) and mailto links are allowed only where they come from the
goals' own data (``links``, Markdown descriptions, commit links to ``repo_url``, and a goal
page's Edit, History and Check in links to its own file on the forge); the
site's own assets are never absolute, except on the 404 page of a site built with
``--base-url``, which a server shows at any depth and so links its assets to the base URL.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from browser import (
    SITE_NAMES,
    LinkedPage,
    Site,
    goal_data,
    need_git,
    parse,
    repo_url,
    site_named,
)
from gitrepo import Repo, day, run_cli

COMMIT = re.compile(r"/commit/[0-9a-f]{7,40}")
# A goal page's links to its own file on GitHub (the demo's forge): the editor, the
# file's history and the check-in issue form.
FILE_LINK = re.compile(r"/(?:edit|commits)/main/(?P<path>goals/[^?#]+\.yaml)")
CHECKIN_FORM = re.compile(r"/issues/new\?template=checkin\.yml&title=[^&]+"
                          r"&goal=(?P<goal>[a-z0-9-]+)&values=[^&#]*")
DATA_URL = re.compile(r"(?:https?|mailto):[^\s<>()\[\]`\"']+", re.IGNORECASE)


def data_urls(site: Site) -> set[str]:
    """The URLs the goal files themselves hold: links and Markdown descriptions."""
    found: set[str] = set()
    for goal in goal_data(site):
        for link in goal.get("links") or []:
            found.add(link["url"].strip())
        found.update(DATA_URL.findall(goal.get("description") or ""))
    return found


def check(site: Site) -> list[str]:
    """Every broken or forbidden link of the site, as 'page: problem' lines."""
    folder = site.folder.resolve()
    pages: dict[Path, LinkedPage] = {p.resolve(): parse(p) for p in site.pages()}
    allowed = data_urls(site)
    allowed_unquoted = {unquote(u) for u in allowed}
    forge = (repo_url(site) or "").rstrip("/")
    problems: list[str] = []

    def own_file(where: str, rest: str) -> bool:
        """A commit link, or a goal page's link to its own file on the forge."""
        if COMMIT.fullmatch(rest):
            return True
        goal = where.removeprefix("goals/").removesuffix(".html")
        file = FILE_LINK.fullmatch(rest)
        if file:
            path = site.repo / unquote(file["path"])
            return path.is_file() and f"id: {goal}\n" in path.read_text("utf-8")
        form = CHECKIN_FORM.fullmatch(rest)
        return form is not None and form["goal"] == goal

    def target_of(page: Path, url: str) -> tuple[Path, str] | str:
        """The file and fragment a URL points to, or why it is refused."""
        parts = urlsplit(url)
        if parts.scheme or parts.netloc:
            return "not a relative URL"
        if parts.path.startswith("/"):
            return "a path from the server root (breaks on file:// and under a sub-path)"
        target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
        if not target.is_relative_to(folder):
            return f"leaves the site folder ({target})"
        if not target.is_file():
            return f"no such file ({target.relative_to(folder).as_posix()})"
        return target, unquote(parts.fragment)

    def check_fragment(where: str, url: str, target: Path, fragment: str) -> None:
        if not fragment or target.suffix != ".html":
            return
        ids = pages[target].ids if target in pages else parse(target).ids
        if fragment not in ids:
            problems.append(f"{where}: {url!r} points to #{fragment}, which is no id there")

    for page, parsed in pages.items():
        where = page.relative_to(folder).as_posix()
        for tag, attr, raw in parsed.links:
            urls = [u.strip().split(" ")[0] for u in raw.split(",")] if attr == "srcset" \
                else [raw.strip()]
            for url in urls:
                if not url:
                    problems.append(f"{where}: <{tag} {attr}> is empty")
                    continue
                scheme = urlsplit(url).scheme.lower()
                if scheme in ("http", "https", "mailto") or url.startswith("//"):
                    base = site.base_url
                    if base and url.startswith(base + "/"):
                        if tag != "a" and where != "404.html":
                            problems.append(f"{where}: <{tag} {attr}={url!r}>: an asset by "
                                            "absolute URL (only the 404 page may)")
                        found = target_of(folder / "index.html", url[len(base) + 1:])
                        if isinstance(found, str):
                            problems.append(f"{where}: {url!r}: {found}")
                        continue
                    if tag != "a" or attr != "href":
                        problems.append(f"{where}: <{tag} {attr}={url!r}>: the site's own "
                                        "files are never loaded from elsewhere")
                    elif not (url in allowed or unquote(url) in allowed_unquoted
                              or (forge and url.startswith(forge)
                                  and own_file(where, url[len(forge):]))):
                        problems.append(f"{where}: {url!r}: an absolute link that no goal "
                                        "file holds")
                    continue
                if scheme:
                    problems.append(f"{where}: <{tag} {attr}={url!r}>: scheme {scheme}: is "
                                    "never linked")
                    continue
                found = target_of(page, url)
                if isinstance(found, str):
                    problems.append(f"{where}: <{tag} {attr}={url!r}>: {found}")
                else:
                    check_fragment(where, url, *found)
    for css in folder.rglob("*.css"):
        for ref in re.findall(r"url\(\s*['\"]?([^'\")]+)|@import\s+['\"]([^'\"]+)",
                              css.read_text(encoding="utf-8")):
            url = next(r for r in ref if r)
            if url.startswith("data:"):
                continue
            found = target_of(css.resolve(), url)
            if isinstance(found, str):
                problems.append(f"{css.relative_to(folder).as_posix()}: {url!r}: {found}")
    return problems


@pytest.fixture(scope="module", params=SITE_NAMES)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Site:
    return site_named(request.param, tmp_path_factory)


def test_every_link_resolves_inside_the_site(site: Site) -> None:
    assert site.pages(), "the build wrote no pages"
    problems = check(site)
    assert not problems, "\n".join(problems)


def test_every_page_is_linked_from_the_site(site: Site) -> None:
    """No page is an island: each is reachable by some link (404.html excepted)."""
    folder = site.folder.resolve()
    linked: set[Path] = {folder / "index.html", folder / "404.html"}
    for page in site.pages():
        for _, _, url in parse(page).links:
            parts = urlsplit(url)
            if not parts.scheme and not parts.netloc and parts.path:
                linked.add((page.resolve().parent / unquote(parts.path)).resolve())
    islands = [site.relpath(p) for p in site.pages() if p.resolve() not in linked]
    assert not islands, f"pages no link leads to: {islands}"


def _tree(tmp_path: Path, pages: dict[str, str]) -> Site:
    for relpath, body in pages.items():
        path = tmp_path / "site" / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    (tmp_path / "repo" / "goals").mkdir(parents=True)
    (tmp_path / "repo" / "goals" / "g.yaml").write_text(
        "id: g\nlinks:\n  - url: https://example.org/ok\n", encoding="utf-8")
    return Site("tree", tmp_path / "site", tmp_path / "repo")


def test_the_checker_finds_what_it_must(tmp_path: Path) -> None:
    """The checker itself: each kind of broken link is reported, good ones are not."""
    site = _tree(tmp_path, {
        "index.html": """<a href="goals/a.html#top">ok</a> <a href="#here" id="here">ok</a>
            <a href="https://example.org/ok">ok</a> <a href="search.html?q=x">ok</a>
            <a href="missing.html">1</a> <a href="../outside.html">2</a>
            <a href="javascript:alert(1)">3</a> <a href="goals/a.html#nowhere">4</a>
            <link rel="stylesheet" href="https://cdn.example/s.css">
            <script src="/assets/x.js"></script> <a href="https://evil.example/">7</a>
            <img src="data:image/png;base64,AAAA">""",
        "search.html": "<p>search</p>",
        "goals/a.html": '<h1 id="top">a</h1><a href="../index.html">back</a>',
    })
    (tmp_path / "outside.html").write_text("x", encoding="utf-8")
    problems = check(site)
    expected = ["missing.html", "leaves the site folder", "scheme javascript:",
                "#nowhere", "cdn.example", "server root", "evil.example", "scheme data:"]
    for fragment in expected:
        assert any(fragment in p for p in problems), (fragment, problems)
    assert len(problems) == len(expected), problems


def test_ids_named_like_the_list_pages_keep_their_own_pages(tmp_path: Path) -> None:
    """A person, team and period with the id ``index`` (a valid id) must not collide with
    people/index.html, teams/index.html and periods/index.html: validate refuses the id,
    or the build gives each its own page and every link still resolves."""
    need_git()
    repo = Repo(tmp_path / "goals")
    repo.write_yaml("goalsrepo.yaml", {"title": "Index", "periods": [
        {"id": "index", "start": "2026-10-01", "end": "2026-12-31"}]})
    repo.write_yaml("people.yaml", {"people": [
        {"id": "index", "name": "Ian Dex", "email": "alice@example.com", "team": "index"}]})
    repo.write_yaml("teams.yaml", {"teams": [
        {"id": "index", "name": "The index team", "lead": "index"}]})
    repo.write_yaml("goals/index.yaml", {
        "id": "index", "title": "Keep every page of the site reachable", "owner": "index",
        "team": "index", "period": "index", "key_results": [
            {"id": "pages", "title": "Pages", "unit": "pages", "start": 0, "target": 10,
             "current": 2}]})
    repo.commit("Goals", date=day("2026-10-01"))
    if run_cli("validate", "-C", str(repo.root)).exit_code != 0:
        return  # refusing the id is a fine answer
    result = run_cli("build", "-C", str(repo.root), "-o", str(tmp_path / "site"))
    assert result.exit_code == 0, result.output
    site = Site("index", tmp_path / "site", repo.root)
    problems = check(site)
    assert not problems, "\n".join(problems)
    for folder, name, listing in (("people", "Ian Dex", "People"),
                                  ("teams", "The index team", "Teams"),
                                  ("periods", "index", "Periods")):
        # The list pages sit beside the folders, so no id can take their place.
        listed = re.findall(r"<h1>(.*?)</h1>", (site.folder / f"{folder}.html").read_text())
        assert listed == [listing], f"{folder}.html: {listed}"
        headings = {p.name: re.findall(r"<h1>(.*?)</h1>", p.read_text(encoding="utf-8"))
                    for p in (site.folder / folder).glob("*.html")}
        assert headings == {"index.html": [name]}, f"{folder}: {headings}"
