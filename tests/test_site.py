"""``build``: the pages and what they say, the output folder's safety, atomic replacement,
determinism and the incremental rebuild, on real repositories with dated commits.

The browser tests are in test_site_browser.py; these read the built files as text.
"""

from __future__ import annotations

import os
import re
import shutil
from html import unescape
from pathlib import Path

import pytest
from gitrepo import BOB, CAROL, Repo, chain_repo, day, goal, new_repo, numeric, run_cli

from goalsrepo.errors import GoalsrepoError
from goalsrepo.web import output
from goalsrepo.web.pages import MAP_DEPTH, Page, file_name
from goalsrepo.web.site import BuildError, build


def text_of(path: Path) -> str:
    """A page's visible text, roughly: tags dropped, entities decoded, spaces collapsed."""
    return text_of_html(path.read_text(encoding="utf-8"))


def text_of_html(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
    return re.sub(r" ([,.:;])", r"\1", text)


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def history_repo(tmp_path: Path) -> Repo:
    """A quarter of history: a company goal, a team goal aligned to it with check-ins by
    Bob and Carol, a target moved with a reason, a milestone done and a goal achieved."""
    repo = new_repo(tmp_path / "goals", teams=True)
    config = repo.read_yaml("goalsrepo.yaml")
    config["repo_url"] = "https://github.com/acme/goals"
    repo.write_yaml("goalsrepo.yaml", config)
    repo.write_yaml("goals/company.yaml", goal(
        "company", level="organization", period="2026-Q4",
        description="Customers **love** us.\n\n- fast\n- calm",
        key_results=[numeric("nps", 20, 40, 25)]))
    repo.write_yaml("goals/platform/deploys.yaml", goal(
        "deploys", team="platform", period="2026-Q4", aligns_to=["company"],
        contributors=["bob"],
        key_results=[numeric("deploy-time", 45, 10, 45, unit="min"),
                     {"id": "runbook", "title": "Publish the runbook", "done": False}],
        milestones=[{"title": "Measure the pipeline", "done": False}],
        links=[{"title": "Epic", "url": "https://example.org/epic"}]))
    repo.write_yaml("goals/sales/pilots.yaml", goal(
        "pilots", team="sales", period="2026-Q4", aligns_to=["company"], owner="carol",
        key_results=[numeric("signed", 0, 2, 0, unit="deals")]))
    repo.commit("Set the Q4 goals", date=day("2026-10-01"))
    repo.update_kr("goals/platform/deploys.yaml", "deploy-time", current=30)
    repo.commit("checkin(deploys/deploy-time): 45 -> 30", who=BOB, date=day("2026-10-20"))
    repo.update_kr("goals/platform/deploys.yaml", "deploy-time", target=15)
    repo.commit("Move the deploy target to 15\n\nThe build farm arrives in January.",
                date=day("2026-10-25"))
    data = repo.read_yaml("goals/platform/deploys.yaml")
    data["milestones"][0]["done"] = True
    data["key_results"][0]["current"] = 15
    repo.write_yaml("goals/platform/deploys.yaml", data)
    repo.commit("Deploys in 15 minutes", who=CAROL, date=day("2026-11-10"))
    repo.update_kr("goals/sales/pilots.yaml", "signed", current=2)
    repo.update("goals/sales/pilots.yaml", status="achieved")
    repo.commit("Both pilots signed", who=CAROL, date=day("2026-11-12"))
    return repo


def test_build_writes_every_page(history_repo: Repo) -> None:
    result = build(history_repo.root)
    site = history_repo.root / "site"
    assert result.output == site
    for page in ["index.html", "alignment.html", "wins.html", "wins.atom", "drift.html",
                 "search.html", "404.html", "goals/company.html", "goals/deploys.html",
                 "goals/pilots.html", "teams.html", "teams/platform.html",
                 "teams/sales.html", "people.html", "people/alice.html",
                 "people/bob.html", "periods.html", "periods/2026-_q4.html",
                 "assets/style.css", "assets/search.js", "assets/search-index.js"]:
        assert (site / page).is_file(), page
    assert result.pages == len(tree(site)) - 1  # all but the .goalsrepo marker
    assert result.rendered == result.pages


def test_goal_page_shows_history(history_repo: Repo) -> None:
    build(history_repo.root)
    page = history_repo.root / "site/goals/deploys.html"
    text = text_of(page)
    html = page.read_text(encoding="utf-8")
    assert "Goal deploys reaches its target" in text
    assert "Alice Archer" in text and "Bob Baker" in text  # owner and contributor
    # Check-ins, newest first, credited through people.yaml, linked to the forge.
    log = text[text.index("Check-ins"):text.index("Adjustments")]
    assert log.index("2026-11-10 Carol Cruz") < log.index("2026-10-20 Bob Baker")
    assert "deploy-time 45 → 30" in log
    head = history_repo.git("log", "--format=%H", "-n1", "--grep", "45 -> 30").strip()
    assert f'href="https://github.com/acme/goals/commit/{head}"' in html
    # The adjustment, with its reason.
    adjustments = text[text.index("Adjustments"):text.index("SMART checklist")]
    assert "deploy-time target 10 → 15" in adjustments
    assert "The build farm arrives in January." in adjustments
    # Parents, links, milestones, the chart and its text alternative.
    assert 'href="../goals/company.html"' in html
    assert 'href="https://example.org/epic"' in html
    assert "Measure the pipeline" in text
    assert html.count('role="img"') == 1  # the numeric KR; the milestone KR has no chart
    assert "Values over time" in text and "2026-10-20" in text


def test_description_is_markdown_without_raw_html(history_repo: Repo) -> None:
    history_repo.update("goals/company.yaml",
                        description="Customers **love** us <script>alert(1)</script>")
    build(history_repo.root)
    html = (history_repo.root / "site/goals/company.html").read_text(encoding="utf-8")
    assert "<strong>love</strong>" in html
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_wins_team_person_period_and_drift(history_repo: Repo) -> None:
    build(history_repo.root)
    site = history_repo.root / "site"
    wins = text_of(site / "wins.html")
    assert "Goal achieved — Goal pilots reaches its target, by Carol Cruz" in wins
    assert "Key result hit: Measure signed" in wins
    assert "Milestone done: Measure the pipeline" in wins
    # Bob's 45 -> 30 reached nothing; the target then moved to 15 and Carol's 30 -> 15 hit it.
    assert "Key result hit: Measure deploy-time — Goal deploys reaches its target, by Carol" \
        in wins
    assert wins.count("Key result hit: Measure deploy-time") == 1
    drift = text_of(site / "drift.html")
    assert "deploy-time target 10 15" in drift
    assert "The build farm arrives in January." in drift
    assert "pilots" not in drift
    bob = text_of(site / "people/bob.html")
    assert "1 check-in on 1 day" in bob
    assert "Contributes to (1)" in bob
    carol = text_of(site / "people/carol.html")
    assert "Owns (1)" in carol and "2 check-ins on 2 days" in carol
    team = text_of(site / "teams/platform.html")
    assert "Goal deploys reaches its target" in team and "pilots" not in team
    period = text_of(site / "periods/2026-_q4.html")
    assert "3 goals" in period
    dashboard = text_of(site / "index.html")
    assert "As of 2026-11-12" in dashboard


def test_alignment_map_and_orphans(history_repo: Repo) -> None:
    history_repo.write_yaml("goals/lonely.yaml", goal(
        "lonely", period="2026-Q4", key_results=[numeric("k", 0, 1, unit="n")]))
    history_repo.write_yaml("goals/both.yaml", goal(
        "both", period="2026-Q4", aligns_to=["deploys", "pilots"],
        key_results=[numeric("k", 0, 1, unit="n")]))
    build(history_repo.root)
    html = (history_repo.root / "site/alignment.html").read_text(encoding="utf-8")
    assert html.count('href="goals/both.html"') == 2  # under each parent
    orphans = html[html.index("Not aligned"):]
    assert 'href="goals/lonely.html"' in orphans and "goals/both.html" not in orphans


def test_a_deep_chain_maps_to_a_few_levels_and_points_on(tmp_path: Path) -> None:
    """A chain deeper than Python's recursion limit builds; the map nests MAP_DEPTH levels
    (a browser flattens HTML nested past 512 elements), and its deepest goal says that
    the rest is on its page, which lists the next goal."""
    repo = chain_repo(tmp_path / "goals", 1_100)
    result = run_cli("build", "-C", str(repo.root))
    assert result.exit_code == 0, result.output
    html = (repo.root / "site/alignment.html").read_text(encoding="utf-8")
    the_map = html[html.index('id="map"'):html.index('id="orphans-h"')]
    depth = deepest = 0
    for tag in re.findall(r"</?ul\b", the_map):
        depth += 1 if tag == "<ul" else -1
        deepest = max(deepest, depth)
    assert (depth, deepest) == (0, MAP_DEPTH)
    assert re.findall(r'href="goals/(c\d+)\.html"', the_map) == [
        f"c{i}" for i in range(MAP_DEPTH)]
    last = the_map[the_map.index(f'href="goals/c{MAP_DEPTH - 1}.html"'):]
    assert "1 aligned, listed on its page" in text_of_html(last)
    page = (repo.root / f"site/goals/c{MAP_DEPTH - 1}.html").read_text(encoding="utf-8")
    assert f'href="../goals/c{MAP_DEPTH}.html"' in page


def test_validation_errors_write_nothing(history_repo: Repo) -> None:
    build(history_repo.root)
    site = history_repo.root / "site"
    before = tree(site)
    history_repo.write("goals/broken.yaml", "id: broken\ntitle: [unclosed\n")
    with pytest.raises(BuildError) as caught:
        build(history_repo.root)
    assert [d.file for d in caught.value.diagnostics] == ["goals/broken.yaml"]
    assert tree(site) == before
    assert not [p for p in site.parent.iterdir() if p.name.startswith(".site.")]
    result = run_cli("build", "-C", str(history_repo.root))
    assert result.exit_code == 1
    assert "goals/broken.yaml:3:1:" in result.stderr and "Traceback" not in result.stderr
    assert tree(site) == before


@pytest.mark.parametrize("cached", [False, True], ids=["whole-site", "changed-pages"])
def test_failure_while_writing_keeps_the_previous_site(tmp_path: Path, cached: bool) -> None:
    target = tmp_path / "site"
    writer = output.Writer(target, tmp_path / "cache" if cached else None)
    pages = [Page("index.html", b"k1", raw=lambda: b"old")]
    writer.write(pages, lambda p: p.raw())  # type: ignore[misc]

    def failing(page: Page) -> bytes:
        if page.path == "b.html":
            raise OSError(28, "No space left on device")
        return b"new"

    with pytest.raises(OSError):
        writer.write([Page("index.html", b"k2"), Page("b.html", b"k3")], failing)
    assert (target / "index.html").read_bytes() == b"old"
    assert not (target / "b.html").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("where", [".", "goals", "goals/platform", "..", ".git", "file",
                                   "foreign"])
def test_refuses_dangerous_output_folders(history_repo: Repo, where: str) -> None:
    root = history_repo.root
    (root / "file").write_text("x")
    (root / "foreign").mkdir()
    (root / "foreign" / "thesis.tex").write_text("years of work")
    before = tree(root.parent)
    with pytest.raises(output.OutputError):
        build(root, root / where)
    assert tree(root.parent) == before
    result = run_cli("build", "-C", str(root), "-o", str(root / where))
    if where == "file":  # Click refuses it first, as a usage error
        assert result.exit_code == 2 and "is a file" in result.stderr
    else:
        assert result.exit_code == 1 and "refusing" in result.stderr


def test_refuses_a_folder_holding_a_git_repository(history_repo: Repo, tmp_path: Path) -> None:
    other = Repo(tmp_path / "other")
    with pytest.raises(output.OutputError, match="git"):
        build(history_repo.root, other.root)


@pytest.mark.parametrize("bad", ["../x.html", "/etc/passwd", "a/../../b", "", "a//b",
                                 "C:/x", "a\\..\\b", "./a", "a\x00b"])
def test_no_path_leaves_the_output(tmp_path: Path, bad: str) -> None:
    with pytest.raises(GoalsrepoError):
        output.inside(tmp_path, bad)


@pytest.mark.parametrize("cached", [False, True], ids=["whole-site", "changed-pages"])
def test_writer_refuses_a_page_outside_the_site(tmp_path: Path, cached: bool) -> None:
    target = tmp_path / "site"
    writer = output.Writer(target, tmp_path / "cache" if cached else None)
    writer.write([Page("index.html", b"k1", raw=lambda: b"old")], lambda p: p.raw())  # type: ignore[misc]
    with pytest.raises(GoalsrepoError):
        writer.write([Page("index.html", b"k2"), Page("../evil.html", b"k3")],
                     lambda p: b"new")
    assert (target / "index.html").read_bytes() == b"old"
    assert not (tmp_path / "evil.html").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_file_names_are_injective_and_portable() -> None:
    ids = ["2026-Q4", "2026-q4", "a_b", "a__b", "A_b", "v1.2", "ü"]
    names = [file_name(i) for i in ids]
    assert len(set(names)) == len(ids)
    assert len({n.lower() for n in names}) == len(ids)  # distinct on case-folding disks
    assert all(re.fullmatch(r"[a-z0-9._-]+", n) for n in names)


def test_same_commit_builds_the_same_bytes(history_repo: Repo, tmp_path: Path) -> None:
    build(history_repo.root, tmp_path / "one")
    clone = tmp_path / "clone"
    shutil.copytree(history_repo.root, clone)
    shutil.rmtree(clone / ".git" / "goalsrepo", ignore_errors=True)
    build(clone, tmp_path / "two")
    assert tree(tmp_path / "one") == tree(tmp_path / "two")


def test_rebuild_after_a_commit_renders_only_what_changed(history_repo: Repo,
                                                           tmp_path: Path) -> None:
    root = history_repo.root
    first = build(root)
    again = build(root)
    assert again.rendered == 0  # nothing changed: every page is reused
    history_repo.update_kr("goals/sales/pilots.yaml", "signed", current=2)
    history_repo.update_kr("goals/company.yaml", "nps", current=30)
    history_repo.commit("NPS up", who=BOB, date=day("2026-11-12", 15))
    untouched = (root / "site/teams/platform.html").stat().st_ino
    incremental = build(root)
    assert 0 < incremental.rendered < first.pages / 2
    assert (root / "site/teams/platform.html").stat().st_ino == untouched  # linked, not drawn
    # What the incremental build wrote is what a cold build of the same commit writes.
    clone = tmp_path / "clone"
    shutil.copytree(root, clone, ignore=shutil.ignore_patterns("site", "goalsrepo"))
    build(clone, tmp_path / "cold")
    assert tree(root / "site") == tree(tmp_path / "cold")
    assert "nps 25 → 30" in text_of(root / "site/goals/company.html")


def test_rewritten_history_rebuilds_the_logbook(history_repo: Repo) -> None:
    build(history_repo.root)
    history_repo.git("reset", "--hard", "HEAD~2")
    history_repo.update_kr("goals/platform/deploys.yaml", "deploy-time", current=20)
    history_repo.commit("A different line", date=day("2026-11-11"))
    build(history_repo.root)
    text = text_of(history_repo.root / "site/goals/deploys.html")
    assert "deploy-time 30 → 20" in text and "Carol" not in text


def test_corrupt_cache_is_rebuilt(history_repo: Repo) -> None:
    build(history_repo.root)
    cache = history_repo.root / ".git" / "goalsrepo" / "site"
    for path in cache.rglob("*"):
        if path.is_file():
            path.write_bytes(b"\x00garbage")  # the logbook, page keys, compiled templates
    build(history_repo.root)
    assert "deploy-time 45 → 30" in text_of(history_repo.root / "site/goals/deploys.html")


def test_as_of_builds_the_past(history_repo: Repo) -> None:
    result = run_cli("build", "-C", str(history_repo.root), "--as-of", "2026-10-21")
    assert result.exit_code == 0, result.stderr
    text = text_of(history_repo.root / "site/goals/deploys.html")
    assert "As of 2026-10-21" in text and "deploy-time 45 → 30" in text
    assert "target 10 → 15" not in text


def test_base_url_gives_absolute_links_where_formats_need_them(history_repo: Repo) -> None:
    result = run_cli("build", "-C", str(history_repo.root), "--base-url",
                     "https://acme.github.io/goals/")
    assert result.exit_code == 0, result.stderr
    site = history_repo.root / "site"
    assert "<loc>https://acme.github.io/goals/goals/deploys.html</loc>" in \
        (site / "sitemap.xml").read_text()
    assert 'href="https://acme.github.io/goals/assets/style.css"' in \
        (site / "404.html").read_text()
    assert "https://acme.github.io/goals/goals/pilots.html" in (site / "wins.atom").read_text()
    # Other pages stay relative, so the site also works from file:// and a sub-path.
    assert "https://acme.github.io" not in (site / "index.html").read_text()
    bad = run_cli("build", "-C", str(history_repo.root), "--base-url", "javascript:alert(1)")
    assert bad.exit_code == 2


def test_folder_without_git_builds_with_a_note(goals_repo) -> None:  # type: ignore[no-untyped-def]
    root = goals_repo()
    result = run_cli("build", "-C", str(root))
    assert result.exit_code == 0, result.stderr
    assert "GR901" in result.stderr
    assert (root / "site/goals/faster-deploys.html").is_file()


def test_build_without_people_or_teams(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "bare", people=False)
    repo.write_yaml("goals/a.yaml", goal("a", period="2026-Q4", owner="zoe",
                                         key_results=[numeric("k", 0, 10, 5)]))
    repo.commit("a", date=day("2026-10-02"))
    result = run_cli("build", "-C", str(repo.root), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.stderr
    assert "zoe" in text_of(tmp_path / "out/goals/a.html")


def test_output_option_and_message(history_repo: Repo, tmp_path: Path) -> None:
    out = tmp_path / "public"
    result = run_cli("build", "-C", str(history_repo.root), "-o", str(out))
    assert result.exit_code == 0
    assert re.search(r"Built \d+ pages \(\d+ rendered\) in [\d.]+ s \([\d.]+ s reading "
                     r"history\): ", result.stdout)
    assert (out / "index.html").is_file()
    assert not os.path.exists(history_repo.root / "site")


def test_progress_shows_on_a_terminal_only(history_repo: Repo) -> None:
    import pty
    import subprocess
    import sys

    main, terminal = pty.openpty()
    done = subprocess.run([sys.executable, "-m", "goalsrepo", "build", "-C",
                           str(history_repo.root)], stdout=subprocess.PIPE, stderr=terminal,
                          check=False)
    os.close(terminal)
    seen = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the terminal's other end is closed: all is read
            break
        if not chunk:
            break
        seen += chunk
    os.close(main)
    assert done.returncode == 0
    pages = int(re.search(rb"Built (\d+) pages", done.stdout).group(1))  # type: ignore[union-attr]
    assert f"pages: {pages}/{pages}".encode() in seen
    assert re.search(rb"commits: (\d+)/\1", seen)  # the first read of history, too
    history_repo.update_kr("goals/company.yaml", "nps", current=33)
    quiet = run_cli("build", "-C", str(history_repo.root))
    assert quiet.exit_code == 0 and "pages:" not in quiet.stderr  # not a terminal


def test_keys_of_removed_output_folders_are_dropped(history_repo: Repo, tmp_path: Path) -> None:
    cache = history_repo.root / ".git" / "goalsrepo" / "site"
    build(history_repo.root, tmp_path / "first")
    shutil.rmtree(tmp_path / "first")  # as serve removes its folder when it stops
    build(history_repo.root, tmp_path / "second")
    assert len(list(cache.glob("pages-*.marshal"))) == 1
