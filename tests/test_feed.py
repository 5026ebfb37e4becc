"""The wins feed (Atom, RFC 4287), the sitemap and the 404 page: the files a site built
with ``--base-url`` hands to programs and servers rather than to a browser on file://.

RFC 4287's rules that matter to a feed reader are checked one by one; hostile text from
the goal files must come out of the XML parser exactly as it went into the goal files.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import adversarial
import pytest
from browser import BASE_URL, SITE_NAMES, Site, hostile_site, need_git, parse, site_named
from gitrepo import Repo, day, run_cli

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")
IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+")


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return hostile_site(tmp_path_factory)


@pytest.fixture(scope="module")
def based(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return hostile_site(tmp_path_factory, BASE_URL)


@pytest.fixture(scope="module", params=SITE_NAMES)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Site:
    return site_named(request.param, tmp_path_factory)


def feed_of(site: Site) -> ET.Element:
    """The parsed feed; a parse error (not well-formed XML) fails the test."""
    root = ET.parse(site.folder / "wins.atom").getroot()
    assert root.tag == f"{ATOM}feed", root.tag
    return root


def only(parent: ET.Element, name: str) -> ET.Element:
    """The one child ``name`` of ``parent`` (RFC 4287: exactly one)."""
    found = parent.findall(f"{ATOM}{name}")
    assert len(found) == 1, f"{len(found)} atom:{name} in atom:{parent.tag[len(ATOM):]}"
    return found[0]


def is_date(text: str | None) -> bool:
    """An RFC 3339 date-time (RFC 4287 §3.3): with T, seconds and a time zone."""
    if text is None or RFC3339.fullmatch(text) is None:
        return False
    datetime.fromisoformat(text.replace("Z", "+00:00"))
    return True


def file_at(site: Site, url: str) -> Path:
    """The file of the site that an absolute URL under its base URL names."""
    assert site.base_url is not None
    assert url.startswith(site.base_url + "/"), f"{url} is not under {site.base_url}"
    path = urlsplit(url[len(site.base_url) + 1:]).path
    return site.folder / unquote(path)


def text_construct(element: ET.Element) -> str:
    """The text of an Atom text construct; hostile text must stay type="text"."""
    assert element.get("type", "text") == "text", element.get("type")
    assert len(element) == 0, "a text construct holds child elements"
    return element.text or ""


def test_the_feed_follows_rfc_4287(site: Site) -> None:
    feed = feed_of(site)
    assert IRI.fullmatch(only(feed, "id").text or ""), only(feed, "id").text
    assert text_construct(only(feed, "title")).strip()
    assert is_date(only(feed, "updated").text), only(feed, "updated").text
    feed_authors = feed.findall(f"{ATOM}author")
    for author in feed_authors:
        assert (only(author, "name").text or "").strip()
    entries = feed.findall(f"{ATOM}entry")
    assert entries, "no wins in the feed"
    ids = []
    for entry in entries:
        ident = only(entry, "id").text or ""
        assert IRI.fullmatch(ident), f"atom:id {ident!r} is not an IRI"
        ids.append(ident)
        assert text_construct(only(entry, "title")).strip()
        assert is_date(only(entry, "updated").text), only(entry, "updated").text
        authors = entry.findall(f"{ATOM}author")
        assert authors or feed_authors, f"entry {ident} has no author, nor has the feed"
        for author in authors:
            assert (only(author, "name").text or "").strip()
        assert len(entry.findall(f"{ATOM}summary")) <= 1
        assert len(entry.findall(f"{ATOM}published")) <= 1
        alternates = [link for link in entry.findall(f"{ATOM}link")
                      if link.get("rel", "alternate") == "alternate"]
        types = [(link.get("type"), link.get("hreflang")) for link in alternates]
        assert len(types) == len(set(types)), "two alternate links of the same type"
    assert len(ids) == len(set(ids)), "two entries share an atom:id"


def test_hostile_text_round_trips(plain: Site, based: Site) -> None:
    for site in (plain, based):
        feed = feed_of(site)
        assert text_construct(only(feed, "title")).startswith(adversarial.SITE_TITLE)
        titles = [text_construct(only(e, "title")) for e in feed.iter(f"{ATOM}entry")]
        achieved = adversarial.TITLES["achieved-goal"]
        assert any(t.endswith(": " + achieved) and t.startswith("Goal achieved")
                   for t in titles), titles
        milestone = [t for t in titles if adversarial.MILESTONE_TITLE in t]
        assert milestone, titles
        assert milestone[0].endswith(": " + adversarial.TITLES["team-quote"])
        names = {n.text for n in feed.iter(f"{ATOM}name")}
        mallory = next(p["name"] for p in adversarial.PEOPLE["people"]
                       if p["id"] == "mallory")
        assert mallory in names, names


def test_with_a_base_url_links_and_ids_are_absolute(based: Site) -> None:
    feed = feed_of(based)
    base = based.base_url
    assert base is not None and base.startswith("https://")
    selfs = [link for link in feed.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert len(selfs) == 1, "a feed with a base URL has one rel=self link"
    assert selfs[0].get("href") == f"{base}/wins.atom"
    assert file_at(based, selfs[0].get("href") or "").is_file()
    for link in feed.iter(f"{ATOM}link"):
        href = link.get("href") or ""
        assert href.startswith(base + "/"), href
        assert file_at(based, href).is_file(), href
    for entry in feed.findall(f"{ATOM}entry"):
        ident = only(entry, "id").text or ""
        assert ident.startswith(base + "/"), ident
        alternates = [link for link in entry.findall(f"{ATOM}link")
                      if link.get("rel", "alternate") == "alternate"]
        assert alternates, f"entry {ident} links to no page"
        page = file_at(based, alternates[0].get("href") or "")
        title = text_construct(only(entry, "title"))
        goal_title = next(t for g, t in adversarial.TITLES.items() if page.stem == g)
        assert title.endswith(": " + goal_title), (title, page)


def test_the_sitemap_lists_pages_under_the_base_url(based: Site, plain: Site) -> None:
    base = based.base_url
    assert base is not None
    root = ET.parse(based.folder / "sitemap.xml").getroot()
    assert root.tag == f"{SITEMAP}urlset"
    locs = [(u.findtext(f"{SITEMAP}loc") or "").strip() for u in root.findall(f"{SITEMAP}url")]
    assert locs and len(locs) == len(set(locs)), locs
    for loc in locs:
        assert loc.startswith(base + "/"), loc
        assert file_at(based, loc).is_file(), loc
    assert f"{base}/index.html" in locs
    for goal in adversarial.goal_ids():
        assert f"{base}/goals/{goal}.html" in locs
    # A sitemap needs absolute URLs: without a base URL there is none to write.
    assert not (plain.folder / "sitemap.xml").exists()


def test_the_404_page_links_to_the_base_url(based: Site) -> None:
    """A server shows 404.html at any depth (/goals/x/y/z), so relative links would break:
    with a base URL every link of the page is absolute."""
    base = based.base_url
    assert base is not None
    page = parse(based.folder / "404.html")
    stylesheets = [url for tag, attr, url in page.links if tag == "link"]
    assert f"{base}/assets/style.css" in stylesheets
    forge = adversarial.REPO_URL + "/commit/"
    for tag, attr, url in page.links:
        if url.startswith("#") or url.startswith(forge):
            continue
        assert url.startswith(base + "/"), f"<{tag} {attr}={url!r}> in 404.html is relative"
        assert file_at(based, url).is_file(), url


# XML 1.0 cannot carry these even as character references; YAML's "\\e", "\\a" and "\\0"
# escapes put them in a title all the same, and validation lets them through.
CONTROL_TITLE = "Finish the \x1b[31mred\x1b[0m migration\x07 with a NUL \x00 and \x0b tab"
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def test_control_characters_do_not_break_the_feed(tmp_path: Path) -> None:
    """A title with control characters is refused by validate, or gives a well-formed
    feed with the title's other text intact."""
    need_git()
    repo = Repo(tmp_path / "goals")
    repo.write_yaml("goalsrepo.yaml", {"title": "Control \x1b[1m", "periods": [
        {"id": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"}]})
    goal = {"id": "ctl", "title": CONTROL_TITLE, "owner": "alice", "period": "2026-Q4",
            "key_results": [{"id": "done", "title": "Done \x07 at last", "done": False}]}
    repo.write_yaml("goals/ctl.yaml", goal)
    repo.commit("Set the goal", date=day("2026-10-01"))
    repo.update("goals/ctl.yaml", status="achieved",
                key_results=[{**goal["key_results"][0], "done": True}])
    repo.commit("Done \x1b[32m", date=day("2026-10-20"))
    assert "\\e[31m" in (repo.root / "goals/ctl.yaml").read_text(encoding="utf-8")
    checked = run_cli("validate", "-C", str(repo.root))
    if checked.exit_code != 0:  # refusing such a title is as good as writing a sound feed
        assert "goals/ctl.yaml" in checked.output, checked.output
        return
    result = run_cli("build", "-C", str(repo.root), "-o", str(tmp_path / "site"),
                     "--base-url", BASE_URL)
    assert result.exit_code == 0, result.output
    site = Site("control", tmp_path / "site", repo.root, BASE_URL)
    feed = feed_of(site)
    titles = [text_construct(only(e, "title")) for e in feed.iter(f"{ATOM}entry")]

    def printable(text: str) -> str:  # dropped or replaced by U+FFFD: either will do
        return XML_INVALID.sub("", text).replace("\ufffd", "")

    assert any(printable(t).endswith(printable(CONTROL_TITLE)) for t in titles), titles
