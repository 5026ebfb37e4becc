"""The built site in a real headless Chromium, opened from file:// (SPEC §5).

Two sites: the example (``init --demo``) and the hostile repository of :mod:`adversarial`.
Every page of both opens without a script error, a failed or outside request, or a dialog;
hostile text shows as text and no script but the site's own is on any page; the pages are
light and dark, keyboard-usable, narrow-screen-safe, searchable offline, and charts have a
text alternative. Every kind of page of the example and of a large generated site passes
axe-core. One Chromium per session (the system's, never a downloaded one), a fresh
context per test.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import adversarial
import pytest
from browser import Site, demo_site, goal_data, hostile_site, large_site, need

try:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import (
        Browser,
        ConsoleMessage,
        Page,
        Request,
        sync_playwright,
    )
except ImportError:  # the test extra was not installed
    sync_playwright = None  # type: ignore[assignment]

NARROW = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return demo_site(tmp_path_factory)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return hostile_site(tmp_path_factory)


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return large_site(tmp_path_factory)


@pytest.fixture(params=["demo", "hostile"])
def site(request: pytest.FixtureRequest) -> Site:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


class Watch:
    """Everything a page does that it should not: script errors and warnings, failed
    requests, requests to anything but file://, dialogs (each dismissed at once)."""

    def __init__(self, page: Page) -> None:
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("requestfailed", self._failed)
        page.on("request", self._request)
        page.on("dialog", self._dialog)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.problems.append(f"console {message.type}: {message.text}")

    def _failed(self, request: Request) -> None:
        self.problems.append(f"request failed: {request.url} ({request.failure})")

    def _request(self, request: Request) -> None:
        if not request.url.startswith("file://"):
            self.problems.append(f"request to {request.url}")

    def _dialog(self, dialog: Any) -> None:
        self.problems.append(f"a {dialog.type} dialog opened: {dialog.message!r}")
        dialog.dismiss()

    def take(self) -> list[str]:
        found, self.problems = self.problems, []
        return found


# Run in each page: what the data must never have put there.
SAFETY = """(assets) => {
  const out = [];
  for (const e of document.querySelectorAll('*')) {
    for (const a of e.attributes) {
      if (a.name.toLowerCase().startsWith('on')) out.push(`<${e.localName} ${a.name}>`);
    }
  }
  for (const e of document.querySelectorAll('[href], [src], [action], [formaction]')) {
    for (const name of ['href', 'src', 'action', 'formaction']) {
      const value = e.getAttribute(name);
      if (value === null) continue;
      let scheme;
      try { scheme = new URL(value, document.baseURI).protocol; } catch (_) { continue; }
      if (['javascript:', 'data:', 'vbscript:'].includes(scheme))
        out.push(`script link <${e.localName} ${name}=${value}>`);
    }
  }
  for (const s of document.querySelectorAll('script')) {
    if (!s.src) out.push('an inline script: ' + s.textContent.slice(0, 80));
    else if (!s.src.startsWith(assets)) out.push('a script from elsewhere: ' + s.src);
  }
  for (const e of document.querySelectorAll('iframe, frame, object, embed, base, img, image'))
    out.push(`<${e.localName}> from ${e.getAttribute('src') || e.getAttribute('href') || '?'}`);
  const csp = [...document.querySelectorAll('meta[http-equiv]')]
    .filter(m => m.httpEquiv.toLowerCase() === 'content-security-policy');
  if (csp.length !== 1) out.push(`${csp.length} Content-Security-Policy meta tags`);
  else if (!/(default|script)-src /.test(csp[0].content)
           || /unsafe-(inline|eval)/.test(csp[0].content))
    out.push('a weak Content-Security-Policy: ' + csp[0].content);
  return out;
}"""


# Run in each page: the structure assistive technology relies on.
STRUCTURE = """() => {
  const out = [];
  if (!document.documentElement.lang) out.push('no lang on <html>');
  if (!document.title.trim()) out.push('an empty <title>');
  const h1 = document.querySelectorAll('h1').length;
  if (h1 !== 1) out.push(`${h1} <h1> elements`);
  if (document.querySelectorAll('main').length !== 1) out.push('not one <main>');
  const ids = new Map();
  for (const e of document.querySelectorAll('[id]')) ids.set(e.id, (ids.get(e.id) || 0) + 1);
  for (const [id, n] of ids) if (n > 1) out.push(`id ${id} is used ${n} times`);
  for (const e of document.querySelectorAll('[aria-labelledby]'))
    for (const id of e.getAttribute('aria-labelledby').split(/\\s+/))
      if (!document.getElementById(id)) out.push(`aria-labelledby names no element: ${id}`);
  for (const i of document.querySelectorAll('input, select, textarea'))
    if (i.type !== 'hidden' && !i.labels.length && !i.getAttribute('aria-label'))
      out.push(`an unlabelled <${i.localName} id=${i.id}>`);
  for (const a of document.querySelectorAll('a[href]'))
    if (!a.textContent.trim() && !a.getAttribute('aria-label'))
      out.push(`a link with no text, to ${a.getAttribute('href')}`);
  for (const e of document.querySelectorAll('svg[role=img], [role=progressbar]'))
    if (!e.getAttribute('aria-labelledby') && !e.getAttribute('aria-label'))
      out.push(`an unnamed <${e.localName} role=${e.getAttribute('role')}>`);
  return out;
}"""


@dataclass(frozen=True)
class Walk:
    """What opening every page of a site showed: problems, pages wider than NARROW, and
    gaps in the structure assistive technology relies on."""

    problems: list[str]
    too_wide: list[str]
    structure: list[str]


@pytest.fixture(scope="module")
def walk(browser: Browser) -> Callable[[Site], Walk]:
    """Open every page of a site once, from file://, at a phone's width; what it showed.
    One walk serves the tests that look at every page, so each page loads once."""
    done: dict[str, Walk] = {}

    def run(site: Site) -> Walk:
        if site.name in done:
            return done[site.name]
        context = browser.new_context(offline=True, viewport=NARROW)
        try:
            page = context.new_page()
            watch = Watch(page)
            assets = site.url("assets/")
            problems, too_wide, structure = [], [], []
            for path in site.pages():
                where = site.relpath(path)
                page.goto(path.as_uri(), wait_until="load")
                found = watch.take() + page.evaluate(SAFETY, assets)
                problems += [f"{where}: {p}" for p in found]
                width = page.evaluate("document.documentElement.scrollWidth")
                if width > NARROW["width"] + 1:
                    too_wide.append(f"{where}: {width}px")
                structure += [f"{where}: {p}" for p in page.evaluate(STRUCTURE)]
        finally:
            context.close()
        done[site.name] = Walk(problems, too_wide, structure)
        return done[site.name]

    return run


def test_every_page_opens_cleanly_from_file(site: Site, walk: Callable[[Site], Walk]) -> None:
    """No script error or warning, no failed or outside request, no dialog; no script but
    the site's own, no event-handler attribute, no script link; the CSP on every page."""
    assert len(site.pages()) > 10, site.pages()
    problems = walk(site).problems
    assert not problems, "\n".join(problems)


def test_no_page_overflows_a_narrow_screen(site: Site, walk: Callable[[Site], Walk]) -> None:
    too_wide = walk(site).too_wide
    assert not too_wide, f"wider than {NARROW['width']}px: {too_wide}"


def test_every_page_has_an_accessible_structure(site: Site,
                                                walk: Callable[[Site], Walk]) -> None:
    """lang, a title, one h1 and one main, unique ids, labelled inputs, named links,
    charts and progress bars."""
    structure = walk(site).structure
    assert not structure, "\n".join(structure)


# Run in each page: the tables that fit only by scrolling sideways.
SCROLLING = """() => [...document.querySelectorAll('.table-scroll')]
  .filter(e => e.scrollWidth > e.clientWidth + 1)
  .map(e => (e.querySelector('caption') || e).textContent.trim().slice(0, 60))"""


def test_every_table_fits_a_desktop_screen(demo: Site, new_page: Callable[..., Page]) -> None:
    """On a laptop's screen no table hides a column behind a sideways scroll: the
    dashboard's team table once cut its health column off at 1280 pixels."""
    page = new_page(viewport=DESKTOP)
    cut = []
    for path in demo.pages():
        page.goto(path.as_uri(), wait_until="load")
        cut += [f"{demo.relpath(path)}: {c}" for c in page.evaluate(SCROLLING)]
    assert len(demo.pages()) > 10
    assert not cut, cut


def text_of(page: Page, selector: str = "body") -> str:
    return page.inner_text(selector)


def test_hostile_text_shows_literally(hostile: Site, new_page: Callable[..., Page]) -> None:
    page = new_page()
    watch = Watch(page)
    a = adversarial
    page.goto(hostile.url())
    assert text_of(page, ".brand") == a.SITE_TITLE
    assert page.title() == f"Dashboard · {a.SITE_TITLE}"
    dashboard = text_of(page)
    assert a.TITLES["org-root"] in dashboard           # needs attention
    assert a.TITLES["achieved-goal"] in dashboard      # a recent win

    for goal_id, title in a.TITLES.items():
        page.goto(hostile.url(f"goals/{goal_id}.html"))
        assert text_of(page, "h1") == title, goal_id
        assert page.title() == f"{title} · {a.SITE_TITLE}", goal_id

    page.goto(hostile.url("goals/team-quote.html"))
    body = text_of(page)
    for expected in (a.KR_TITLE, a.KR_UNIT, a.MILESTONE_TITLE, a.MILESTONE_DONE,
                     a.CHECKIN_MESSAGE, a.STRANGER_NAME, "Eve " + a.QUOTES + " O'Brien",
                     a.TITLES["org-root"]):
        assert expected in body, expected
    reasons = page.locator(".adjustments .reason").all_inner_texts()
    assert [r.strip() for r in reasons] == [a.ADJUST_MESSAGE], reasons
    page.goto(hostile.url("goals/org-root.html"))
    assert page.get_by_role("link", name=a.LINK_TITLE).get_attribute("href") == a.LINK_URL

    # The multi-parent goal is listed under both of its parents.
    for parent in ("org-root", "org-two"):
        page.goto(hostile.url(f"goals/{parent}.html"))
        assert a.TITLES["multi-parent"] in text_of(page), parent
    page.goto(hostile.url("goals/old-goal.html"))
    assert page.get_by_role("link", name=a.TITLES["new-goal"]).count() >= 1

    for team in a.TEAMS["teams"]:
        page.goto(hostile.url(f"teams/{_file_name(team['id'])}.html"))
        assert text_of(page, "h1") == team["name"]
        assert team["mission"].strip() in text_of(page)
    for person in a.PEOPLE["people"]:
        page.goto(hostile.url(f"people/{_file_name(person['id'])}.html"))
        assert text_of(page, "h1") == person["name"]
        assert person.get("role", "") in text_of(page)
    page.goto(hostile.url("periods/2026-_q4.html"))
    assert text_of(page, "h1") == a.PERIOD_NAME

    page.goto(hostile.url("drift.html"))
    assert a.ADJUST_MESSAGE in text_of(page)
    assert a.STRANGER_NAME in text_of(page)
    page.goto(hostile.url("alignment.html"))
    body = text_of(page)
    assert body.count(a.TITLES["multi-parent"]) >= 2, "not shown under both parents"
    orphans = page.locator("#orphans-h ~ * a").all_inner_texts()
    assert a.TITLES["orphan-goal"] in orphans
    page.goto(hostile.url("wins.html"))
    assert a.TITLES["achieved-goal"] in text_of(page)
    assert watch.take() == []


def test_descriptions_are_defused(hostile: Site, new_page: Callable[..., Page]) -> None:
    """Raw HTML in Markdown shows as text; script, data and relative URLs link nowhere;
    an image from elsewhere becomes a link to it, and nothing loads."""
    page = new_page()
    watch = Watch(page)
    a = adversarial
    page.goto(hostile.url("goals/org-root.html"))
    body = text_of(page)
    for expected in ("Why <b>this</b> matters: <script>alert(1)</script>", a.IMG, a.QUOTES,
                     a.TEMPLATES, "code <b>not bold</b>", "[click me](javascript:alert(1))",
                     "<javascript:alert(1)>", a.LONG_WORD):
        assert expected in body, expected
    links = page.locator(".description a")
    shown = list(zip(links.all_inner_texts(),
                     links.evaluate_all("as => as.map(a => a.getAttribute('href'))"),
                     strict=True))
    assert all(text.strip() for text, _ in shown), f"a link with no text: {shown}"
    hrefs = {href for _, href in shown}
    # The empty link may stay text or become a link that shows its URL.
    assert hrefs - {"https://example.org/empty"} == {
        "https://example.org/plan?a=1&b=2#top", "https://tracker.example/pixel.png"}, shown
    assert page.locator(".description img").count() == 0

    page.goto(hostile.url("goals/team-quote.html"))
    assert page.locator(".description h3").all_inner_texts() == [f"Heading {a.SCRIPT}"]
    assert "[js](javascript:alert(1))" in text_of(page, ".description")
    assert page.locator(".description a").count() == 0
    assert watch.take() == []


# Run in a page: whether the text of ``element`` reads left to right on screen, its
# first characters left of its last.
LEFT_TO_RIGHT = """(element) => {
  const text = [...element.childNodes].find(n => n.nodeType === Node.TEXT_NODE
                                                && n.textContent.trim().length > 3);
  const at = (start, end) => {
    const range = document.createRange();
    range.setStart(text, start);
    range.setEnd(text, end);
    return range.getBoundingClientRect().left;
  };
  const trimmed = text.textContent.trimEnd().length;
  return at(0, 1) < at(trimmed - 1, trimmed);
}"""


def test_an_open_override_stays_inside_its_text(hostile: Site,
                                                new_page: Callable[..., Page]) -> None:
    """A title that opens a right-to-left override and never closes it must not turn the
    text after it around (the goal's id, its owner's name), which could spoof it."""
    page = new_page()
    title = adversarial.TITLES["rtl-leak"]
    page.goto(hostile.url(f"teams/{_file_name('blue_Team')}.html"))
    row = page.locator("tr", has=page.get_by_role("link", name=title.strip(), exact=True))
    assert row.count() == 1
    ident = row.locator(".id")
    assert ident.inner_text() == "rtl-leak"
    assert ident.evaluate(LEFT_TO_RIGHT), "the goal's id shows reversed after the title"


def _file_name(ident: str) -> str:
    from goalsrepo.web.pages import file_name

    return file_name(ident)


def luminance(css: str) -> float:
    """The relative luminance (WCAG) of a computed ``rgb()``/``rgba()`` colour."""
    r, g, b = (int(v) / 255 for v in re.findall(r"[\d.]+", css)[:3])

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


# Run in a page: text whose contrast with its background is below WCAG AA (4.5:1, or
# 3:1 for large text); the background is the nearest opaque one up the tree.
CONTRAST = r"""() => {
  const parse = c => {
    const m = c.match(/[\d.]+/g).map(Number);
    return {r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1};
  };
  const lum = ({r, g, b}) => {
    const f = v => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = e => {
    for (; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.a > 0) return c;
    }
    return parse(getComputedStyle(document.documentElement).backgroundColor);
  };
  const out = [], seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const e = n.parentElement;
    if (!n.textContent.trim() || seen.has(e)) continue;
    seen.add(e);
    const box = e.getBoundingClientRect();
    if (!box.width || !box.height || e.closest('.visually-hidden, .skip, svg')) continue;
    const s = getComputedStyle(e);
    const l1 = lum(parse(s.color)), l2 = lum(background(e));
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(s.fontSize), bold = parseInt(s.fontWeight, 10) >= 700;
    if (ratio < ((size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5))
      out.push(`<${e.localName} class="${e.className}"> ${ratio.toFixed(2)}:1 ` +
               `(${n.textContent.trim().slice(0, 40)})`);
  }
  return out;
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_light_and_dark(scheme: str, site: Site, new_page: Callable[..., Page]) -> None:
    """The colour scheme follows the system's, and text keeps AA contrast in both."""
    page = new_page(color_scheme=scheme)
    goal = next(iter(sorted((site.folder / "goals").glob("*.html"))))
    low = []
    for path in (site.folder / "index.html", goal, site.folder / "alignment.html"):
        page.goto(path.as_uri())
        low += [f"{site.relpath(path)}: {p}" for p in page.evaluate(CONTRAST)]
        colours = page.evaluate("""() => {
          const s = getComputedStyle(document.body);
          return [s.backgroundColor, s.color];
        }""")
        background, text = (luminance(c) for c in colours)
        if scheme == "dark":
            assert background < 0.05 and text > 0.6, (path.name, colours)
        else:
            assert background > 0.8 and text < 0.1, (path.name, colours)
    assert not low, "\n".join(low)


FOCUS = """() => {
  const e = document.activeElement;
  const s = getComputedStyle(e);
  const box = e.getBoundingClientRect();
  return {tag: e.localName, cls: e.className, href: e.getAttribute('href'),
          style: s.outlineStyle, width: parseFloat(s.outlineWidth),
          visible: box.width > 0 && box.height > 0 && box.right > 0 && box.bottom > 0
                   && box.left < innerWidth && box.top < innerHeight};
}"""


def test_keyboard_focus_is_visible(demo: Site, new_page: Callable[..., Page]) -> None:
    page = new_page()
    page.goto(demo.url())
    page.keyboard.press("Tab")
    first = page.evaluate(FOCUS)
    assert first["tag"] == "a" and first["href"] == "#main", f"first Tab stop: {first}"
    seen = [first]
    for _ in range(5):
        page.keyboard.press("Tab")
        seen.append(page.evaluate(FOCUS))
    for focused in seen:
        assert focused["style"] != "none" and focused["width"] > 0, focused
        assert focused["visible"], f"focused but off screen: {focused}"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(FOCUS)["href"] == "#main"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


def _goal(site: Site, goal_id: str) -> dict[str, Any]:
    return next(g for g in goal_data(site) if g["id"] == goal_id)


def test_search_works_from_file(demo: Site, new_page: Callable[..., Page]) -> None:
    page = new_page()
    watch = Watch(page)
    goal = _goal(demo, "faster-deploys")
    words = goal["title"].split()
    query = " ".join(words[1:3])
    page.goto(demo.url("search.html") + "?q=" + quote(query))
    result = page.locator("#search-results a", has_text=goal["title"])
    result.wait_for()
    assert result.get_attribute("href") == "goals/faster-deploys.html"
    result.click()
    page.wait_for_url("**/goals/faster-deploys.html")
    assert text_of(page, "h1") == goal["title"]

    page.goto(demo.url("search.html"))
    results = page.locator("#search-results li")
    assert results.count() == 0
    page.locator("#q").press_sequentially(words[1][:4].lower())
    page.wait_for_function("document.querySelectorAll('#search-results li').length > 0")
    broad = results.count()
    page.locator("#q").fill(query)
    page.wait_for_function(f"document.querySelectorAll('#search-results li').length < {broad}"
                           f" || {broad} === 1")
    assert page.locator("#search-results a", has_text=goal["title"]).count() == 1
    page.locator("#q").fill("no goal is called this, surely")
    page.wait_for_function("document.querySelectorAll('#search-results li').length === 0")

    # The search box in every page's header, from a page one folder down.
    page.goto(demo.url("goals/faster-deploys.html"))
    page.locator("#site-search").fill(query)
    page.locator("#site-search").press("Enter")
    page.wait_for_url("**/search.html?q=*")
    page.locator("#search-results a", has_text=goal["title"]).wait_for()
    assert page.locator("#q").input_value() == query
    assert watch.take() == []


def test_the_alignment_map_expands_and_collapses(demo: Site,
                                                 new_page: Callable[..., Page]) -> None:
    page = new_page()
    watch = Watch(page)
    page.goto(demo.url("alignment.html"))
    details = page.locator("#map details")
    assert details.count() > 1
    page.get_by_role("link", name="Collapse all").click()
    assert details.evaluate_all("ds => ds.filter(d => d.open).length") == 0
    page.get_by_role("link", name="Expand all").click()
    assert details.evaluate_all("ds => ds.every(d => d.open)")
    assert watch.take() == []


def test_the_alignment_map_works_from_the_keyboard(large: Site,
                                                   new_page: Callable[..., Page]) -> None:
    """A large map starts folded; Tab goes from a goal's link to its toggle, Enter and
    Space open and close it, a closed branch keeps its goals out of the Tab order, and
    Enter on a goal's link opens the goal."""
    page = new_page(viewport=DESKTOP)
    watch = Watch(page)
    page.goto(large.url("alignment.html"))
    node = page.locator("#map > ul > li:has(> details)").first
    branch = node.locator(":scope > details")
    toggle = branch.locator(":scope > summary")
    child = branch.locator(":scope > ul > li > .tree-line > a").first
    following = node.locator("xpath=following-sibling::li[1]/div[@class='tree-line']/a")
    title = node.locator(":scope > .tree-line > a").inner_text()
    assert page.locator("#map details[open]").count() == 0, "a large map starts folded"
    assert title in (toggle.text_content() or ""), "the toggle is not named for its goal"

    def focused() -> str:
        return page.evaluate("document.activeElement.outerHTML")  # type: ignore[no-any-return]

    def is_open() -> bool:
        return branch.evaluate("d => d.open")  # type: ignore[no-any-return]

    node.locator(":scope > .tree-line > a").focus()
    page.keyboard.press("Tab")
    assert toggle.evaluate("t => t === document.activeElement"), focused()
    page.keyboard.press("Tab")  # closed: the branch's goals are skipped
    assert following.evaluate("a => a === document.activeElement"), focused()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    assert is_open() and child.is_visible()
    page.keyboard.press("Enter")
    assert not is_open() and not child.is_visible()
    page.keyboard.press("Space")
    assert is_open()
    page.keyboard.press("Tab")  # open: the first goal of the branch is next
    assert child.evaluate("a => a === document.activeElement"), focused()
    name, href = child.inner_text(), child.get_attribute("href")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/{href}")
    assert text_of(page, "h1") == name
    page.go_back()
    page.get_by_role("link", name="Expand all").press("Enter")
    assert page.locator("#map details:not([open])").count() == 0
    assert watch.take() == []


# What axe must not find: the impacts that keep someone from using the page.
BLOCKING = ("serious", "critical")
# Every rule of axe-core runs (WCAG 2.x A and AA, best practices). Its preload fetches the
# stylesheets again for the CSSOM, a request the site's CSP forbids (connect-src is
# 'none'), so it is off: the CSP stays as a reader's browser enforces it, and axe is
# evaluated in the page by the browser's debugging protocol, which the CSP does not stop.
AXE_OPTIONS = {"resultTypes": ["violations"], "preload": False}


def axe_violations(page: Page, where: str) -> list[str]:
    """axe-core's violations of a serious or critical impact on the page as it is now."""
    found = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    return [f"{where}: {v['id']} ({v['impact']}) {v['help']}: "
            + "; ".join(n["html"][:120] for n in v["nodes"][:3])
            for v in found if v["impact"] in BLOCKING]


def page_types(site: Site) -> list[str]:
    """One page of each kind, and of those that differ most, two: the first period (ended,
    so a review) and the last (open), the first goal and one with aligned goals."""
    def pages(folder: str) -> list[str]:
        return [site.relpath(p) for p in sorted((site.folder / folder).glob("*.html"))]

    goals, periods = pages("goals"), pages("periods")
    parent = sorted({p for g in goal_data(site) for p in g.get("aligns_to", [])})[0]
    return ["index.html", "alignment.html", *dict.fromkeys([goals[0], f"goals/{parent}.html"]),
            pages("people")[0], pages("teams")[0], *dict.fromkeys([periods[0], periods[-1]]),
            "people.html", "teams.html", "periods.html", "wins.html", "drift.html",
            "search.html", "404.html"]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("which", ["demo", "large"])
def test_every_kind_of_page_passes_axe(which: str, scheme: str, request: pytest.FixtureRequest,
                                       new_page: Callable[..., Page]) -> None:
    """No serious or critical violation on any kind of page, with the alignment map as it
    opens and expanded, and search showing results; and axe leaves no console error."""
    site: Site = request.getfixturevalue(which)
    page = new_page(color_scheme=scheme, viewport=DESKTOP)
    watch = Watch(page)
    word = next(goal_data(site))["title"].split()[0]
    found = []
    for relpath in page_types(site):
        if relpath == "search.html":
            page.goto(site.url(relpath) + "?q=" + quote(word))
            page.locator("#search-results li").first.wait_for()
        else:
            page.goto(site.url(relpath))
        found += axe_violations(page, relpath)
        if relpath == "alignment.html":
            page.get_by_role("link", name="Expand all").click()
            found += axe_violations(page, "alignment.html, expanded")
    assert not found, "\n".join(found)
    assert watch.take() == []


def test_axe_catches_a_control_inside_a_control(tmp_path: Path,
                                                new_page: Callable[..., Page]) -> None:
    """The harness itself: the alignment map's old mistake, a link inside a <summary>,
    is found, under the site's CSP."""
    bad = tmp_path / "bad.html"
    bad.write_text("""<!DOCTYPE html><html lang="en"><head><title>bad</title>
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'"></head>
        <body><main><h1>Map</h1><details><summary><a href="g.html">A goal</a> 40%</summary>
        <p>Aligned goals</p></details></main></body></html>""", encoding="utf-8")
    page = new_page()
    page.goto(bad.as_uri())
    found = axe_violations(page, "bad.html")
    assert any("nested-interactive (serious)" in f for f in found), found


def test_search_shows_hostile_titles_as_text(hostile: Site,
                                             new_page: Callable[..., Page]) -> None:
    page = new_page()
    watch = Watch(page)
    a = adversarial
    page.goto(hostile.url("search.html") + "?q=" + quote("<script>alert(1)</script> every"))
    found = page.locator("#search-results a")
    found.first.wait_for()
    assert found.all_inner_texts() == [a.TITLES["org-root"]]
    # Zero-width characters are folded away: "zerowidth" finds "zero\u200bwidth".
    page.locator("#q").fill("zerowidth")
    page.wait_for_function("document.querySelectorAll('#search-results a').length === 1")
    assert found.all_inner_texts() == [a.TITLES["multi-parent"]]
    page.locator("#q").fill('"\'><svg onload=alert(1)>')
    page.wait_for_function("document.querySelectorAll('#search-results a').length >= 1")
    assert a.TITLES["team-quote"] in found.all_inner_texts()
    assert page.evaluate(SAFETY, hostile.url("assets/")) == []
    assert watch.take() == []


@pytest.mark.parametrize(("which", "goal_id"), [("demo", "faster-deploys"),
                                                ("hostile", "team-quote")])
def test_charts_have_a_text_alternative(which: str, goal_id: str,
                                        request: pytest.FixtureRequest,
                                        new_page: Callable[..., Page]) -> None:
    site: Site = request.getfixturevalue(which)
    page = new_page()
    page.goto(site.url(f"goals/{goal_id}.html"))
    assert page.locator(".log li").count() > 0, "the goal has no check-ins"
    charts = page.locator("svg[role=img]")
    assert charts.count() >= 1
    for index in range(charts.count()):
        chart = charts.nth(index)
        title = chart.locator("title").first.text_content() or ""
        desc = chart.locator("desc").first.text_content() or ""
        assert title.strip() and desc.strip(), index
        labelled = (chart.get_attribute("aria-labelledby") or "").split()
        for ident in labelled:
            assert page.locator(f"[id='{ident}']").count() == 1, ident
    numeric = [kr for kr in _goal(site, goal_id)["key_results"] if "done" not in kr]
    first = numeric[0]
    named = page.get_by_role("img", name=first["title"])
    assert named.count() >= 1, f"no chart is named {first['title']!r}"
    table = page.locator("table.values").first
    rows = table.locator("tbody tr")
    assert rows.count() >= 2
    cells = rows.first.locator("td").all_text_contents()  # in a closed <details>
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", cells[0]), cells
    if which == "hostile":
        assert "45 <b>min</b>" in cells[1]
        assert "<b>min</b>" in (named.first.locator("desc").text_content() or "")


def test_the_checks_catch_a_hostile_page(tmp_path: Path,
                                         new_page: Callable[..., Page]) -> None:
    """The harness itself: a page that does what the site must not is caught each way."""
    (tmp_path / "assets").mkdir()
    bad = tmp_path / "bad.html"
    bad.write_text("""<!DOCTYPE html><title>bad</title>
        <link rel="stylesheet" href="https://cdn.example/x.css">
        <script>alert(1)</script><img src="x" onerror="console.error('ran')">
        <a href=" JavaScript:alert(1)">x</a><script src="missing.js"></script>
        <p style="color: #aaa; background: #fff">faint</p>""",
                   encoding="utf-8")
    page = new_page()
    watch = Watch(page)
    page.goto(bad.as_uri(), wait_until="load")
    found = watch.take() + page.evaluate(SAFETY, (tmp_path / "assets").as_uri() + "/")
    expected = ["request to https://cdn.example/x.css", "dialog opened", "console error: ran",
                "request failed: file://", "<img onerror>", "script link <a",
                "an inline script", "a script from elsewhere", "<img> from x",
                "0 Content-Security-Policy"]
    for fragment in expected:
        assert any(fragment in f for f in found), (fragment, found)
    structure = page.evaluate(STRUCTURE)
    for fragment in ("0 <h1>", "not one <main>", "no lang"):
        assert any(fragment in f for f in structure), (fragment, structure)
    assert [c for c in page.evaluate(CONTRAST) if "(faint)" in c], "low contrast not found"


def test_a_missing_browser_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rule of :func:`browser.need`: skip on a laptop, fail under CI=true."""
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        need(False, "a tool")
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        need(False, "a tool")



@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site of the scripted quarter of tests/quarter.py, closed and rolled over: its
    2026-Q4 page is the review."""
    from gitrepo import run_cli
    from quarter import close_and_roll_over, quarter_repo

    repo = close_and_roll_over(quarter_repo(tmp_path_factory.mktemp("reviewed") / "repo"))
    out = tmp_path_factory.mktemp("reviewed-site")
    assert run_cli("build", "-C", str(repo.root), "-o", str(out)).exit_code == 0
    return out


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_period_review_draws_named_charts_and_tables(reviewed: Path, scheme: str,
                                                       new_page: Callable[..., Page]) -> None:
    page = new_page(color_scheme=scheme)
    page.goto((reviewed / "periods/2026-_q4.html").as_uri())
    chart = page.get_by_role("img", name="Scores of the goals of 2026-Q4")
    assert chart.count() == 1
    bars = chart.locator("rect.chart-bar")
    assert bars.count() == 4  # scores 0.5, 0.7, 0.8 and 1.0, one goal each
    table = page.get_by_role("table", name="Average score by team")
    assert table.locator("th[scope=col]").count() == 4
    assert table.locator("th[scope=row]").all_inner_texts() == ["Platform", "Sales", "No team"]
    fill = bars.first.evaluate("e => getComputedStyle(e).fill")
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert fill != background
    page.get_by_text("Every goal's score (table)").click()
    assert page.get_by_role("table", name="Scores, best first").is_visible()
    successor = new_page(color_scheme=scheme)
    successor.goto((reviewed / "goals/faster-deploys-2027-q1.html").as_uri())
    chain = successor.get_by_role("navigation", name="Across periods")
    assert chain.inner_text().startswith("Continues faster-deploys (2026-Q4, score 0.7)")
    chain.get_by_role("link", name="faster-deploys").first.click()
    assert successor.url.endswith("/goals/faster-deploys.html")
