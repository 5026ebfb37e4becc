"""Links into the forge: each forge's URL forms (written out by hand from the forges'
documented URLs), unsafe and odd ``repo_url`` values, percent-encoding, and the links a
built goal page carries, read in Chromium for every forge."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from gitrepo import Repo, day, goal, new_repo, numeric, run_cli

from goalsrepo.integrations.forge import Forge, base_url, infer

PATH = "goals/Équipe plateforme/faster deploys.yaml"


@pytest.mark.parametrize(("repo_url", "kind", "edit", "history", "commit"), [
    ("https://github.com/acme/goals", None,
     "https://github.com/acme/goals/edit/main/goals/%C3%89quipe%20plateforme/faster%20deploys.yaml",
     "https://github.com/acme/goals/commits/main/goals/%C3%89quipe%20plateforme/faster%20deploys.yaml",
     "https://github.com/acme/goals/commit/abc123"),
    ("https://gitlab.com/acme/okr/goals.git", None,
     "https://gitlab.com/acme/okr/goals/-/edit/main/goals/%C3%89quipe%20plateforme/faster%20deploys.yaml",
     "https://gitlab.com/acme/okr/goals/-/commits/main/goals/%C3%89quipe%20plateforme/faster%20deploys.yaml",
     "https://gitlab.com/acme/okr/goals/-/commit/abc123"),
    ("https://codeberg.org/acme/goals/", None,
     "https://codeberg.org/acme/goals/_edit/main/goals/%C3%89quipe%20plateforme/faster%20deploys.yaml",
     "https://codeberg.org/acme/goals/commits/branch/main/goals/%C3%89quipe%20plateforme/faster%20deploys.yaml",
     "https://codeberg.org/acme/goals/commit/abc123"),
    ("https://bitbucket.org/acme/goals.git/", None,
     "https://bitbucket.org/acme/goals/src/main/goals/%C3%89quipe%20plateforme/faster%20deploys.yaml?mode=edit",
     "https://bitbucket.org/acme/goals/history-node/main/goals/%C3%89quipe%20plateforme/faster%20deploys.yaml",
     "https://bitbucket.org/acme/goals/commits/abc123"),
    ("https://git.acme.example:8443/okr/goals", "gitlab",
     "https://git.acme.example:8443/okr/goals/-/edit/main/goals/%C3%89quipe%20plateforme/faster%20deploys.yaml",
     "https://git.acme.example:8443/okr/goals/-/commits/main/goals/%C3%89quipe%20plateforme/faster%20deploys.yaml",
     "https://git.acme.example:8443/okr/goals/-/commit/abc123"),
])
def test_each_forges_url_forms(repo_url: str, kind: str | None, edit: str, history: str,
                               commit: str) -> None:
    found = Forge.of(repo_url, kind)
    assert found is not None
    assert (found.edit(PATH), found.history(PATH), found.commit("abc123")) == (
        edit, history, commit)


def test_new_file_pages_and_what_they_prefill() -> None:
    content = "id: a-b\ntitle: \"Q&A: #1 = 100%\"\n"
    github = Forge.of("https://github.com/acme/goals", None, "trunk")
    assert github is not None and github.prefills_new_file
    url = github.new_file("goals/sales/2026-Q4/", "a-b.yaml", content)
    parts = urlsplit(url)
    assert parts.path == "/acme/goals/new/trunk/goals/sales/2026-Q4"
    assert parse_qs(parts.query) == {"filename": ["a-b.yaml"], "value": [content]}
    gitlab = Forge.of("https://gitlab.com/acme/goals", None)
    assert gitlab is not None
    parts = urlsplit(gitlab.new_file("goals/x", "a.yaml", content))
    assert parts.path == "/acme/goals/-/new/main/goals/x"
    assert parse_qs(parts.query) == {"file_name": ["a.yaml"], "content": [content]}
    gitea = Forge.of("https://codeberg.org/acme/goals", None)
    assert gitea is not None
    parts = urlsplit(gitea.new_file("goals/x", "a.yaml", content))
    assert parts.path == "/acme/goals/_new/main/goals/x"
    assert parse_qs(parts.query) == {"filename": ["a.yaml"], "value": [content]}
    bitbucket = Forge.of("https://bitbucket.org/acme/goals", None)
    assert bitbucket is not None and not bitbucket.prefills_new_file
    assert bitbucket.new_file("goals/x", "a.yaml", content) == \
        "https://bitbucket.org/acme/goals/src/main/goals/x"


def test_the_check_in_link_opens_the_issue_form_on_github_only() -> None:
    github = Forge.of("https://github.com/acme/goals", None)
    assert github is not None
    parts = urlsplit(github.checkin("faster-deploys", PATH, ["deploy-time: 22", "1: not-done"]))
    assert parts.path == "/acme/goals/issues/new"
    assert parse_qs(parts.query) == {
        "template": ["checkin.yml"], "title": ["Check-in: faster-deploys"],
        "goal": ["faster-deploys"], "values": ["deploy-time: 22\n1: not-done"]}
    gitlab = Forge.of("https://gitlab.com/acme/goals", None)
    assert gitlab is not None and gitlab.checkin("g", PATH, []) == gitlab.edit(PATH)


@pytest.mark.parametrize("repo_url", [
    "javascript:alert(1)//github.com/a/b", "https://user:token@github.com/acme/goals",
    "https://token@github.com/acme/goals", "ftp://github.com/acme/goals", "github.com/acme/goals",
    "https://github.com/acme/goals?x=1", "https://github.com/acme/goals#top",
    "https://github.com:99999/acme", "https:///acme/goals", "", None,
])
def test_no_link_from_an_unsafe_repo_url(repo_url: str | None) -> None:
    assert base_url(repo_url) is None
    assert Forge.of(repo_url, "github") is None


def test_an_unknown_host_needs_forge() -> None:
    assert infer("https://github.acme.example/okr/goals") is None
    assert Forge.of("https://github.acme.example/okr/goals", None) is None
    assert infer("https://www.github.com/acme/goals") == "github"
    assert infer("HTTPS://GitHub.com/acme/goals") == "github"
    enterprise = Forge.of("https://github.acme.example/okr/goals", "github", "release/2026")
    assert enterprise is not None
    assert enterprise.edit("goals/a.yaml") == \
        "https://github.acme.example/okr/goals/edit/release/2026/goals/a.yaml"


def _repo(root: Path, config: dict[str, str]) -> Repo:
    repo = new_repo(root)
    data = repo.read_yaml("goalsrepo.yaml")
    data.update(config)
    repo.write_yaml("goalsrepo.yaml", data)
    repo.write_yaml(PATH, goal("faster-deploys", level="organization", period="2026-Q4",
                               key_results=[numeric("deploy-time", 45, 10, 22),
                                            {"id": "runbook", "title": "Runbook",
                                             "done": False}],
                               milestones=[{"title": "Measure", "done": True},
                                           {"title": "Cache: the build", "done": False}]))
    repo.commit("Plan", date=day("2026-10-01"))
    return repo


def test_an_unknown_forge_is_a_warning_with_its_place(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "r", {"repo_url": "https://git.acme.example/okr/goals"})
    result = run_cli("validate", "-C", str(repo.root), "--format", "json")
    found = [d for d in json.loads(result.stdout)["diagnostics"] if d["code"] == "GR401"]
    assert [(d["file"], d["line"], d["severity"]) for d in found] == [
        ("goalsrepo.yaml", found[0]["line"], "warning")]
    assert "cannot tell" in found[0]["message"]
    repo.update("goalsrepo.yaml", forge="gitlab")
    result = run_cli("validate", "-C", str(repo.root), "--format", "json")
    assert not [d for d in json.loads(result.stdout)["diagnostics"] if d["code"] == "GR401"]
    repo.update("goalsrepo.yaml", forge="sourcehut")
    result = run_cli("validate", "-C", str(repo.root))
    assert result.exit_code == 1 and "forge" in result.stdout


FORGES = {
    "github": ("https://github.com/acme/goals.git", {}),
    "gitlab": ("https://gitlab.example/acme/goals/", {"forge": "gitlab",
                                                      "default_branch": "trunk"}),
    "gitea": ("https://codeberg.org/acme/goals", {}),
    "bitbucket": ("https://bitbucket.org/acme/goals", {}),
}


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    out = {}
    for kind, (url, extra) in FORGES.items():
        root = tmp_path_factory.mktemp(kind)
        repo = _repo(root / "repo", {"repo_url": url, **extra})
        result = run_cli("build", "-C", str(repo.root), "-o", str(root / "site"))
        assert result.exit_code == 0, result.output
        out[kind] = root / "site"
    yield out


@pytest.mark.parametrize("kind", list(FORGES))
def test_goal_pages_link_the_forge(kind: str, sites: dict[str, Path],
                                   new_page: Callable[..., object]) -> None:
    page = new_page(permissions=["clipboard-read", "clipboard-write"])
    page.goto((sites[kind] / "goals/faster-deploys.html").as_uri())  # type: ignore[attr-defined]
    links = page.eval_on_selector_all(  # type: ignore[attr-defined]
        ".actions a", "els => els.map(e => [e.textContent, e.getAttribute('href')])")
    hrefs = dict(links)
    assert list(hrefs) == ["Check in", "Edit", "History"]
    file = "goals/%C3%89quipe%20plateforme/faster%20deploys.yaml"
    want = {
        "github": ("https://github.com/acme/goals/edit/main/" + file,
                   "https://github.com/acme/goals/commits/main/" + file),
        "gitlab": ("https://gitlab.example/acme/goals/-/edit/trunk/" + file,
                   "https://gitlab.example/acme/goals/-/commits/trunk/" + file),
        "gitea": ("https://codeberg.org/acme/goals/_edit/main/" + file,
                  "https://codeberg.org/acme/goals/commits/branch/main/" + file),
        "bitbucket": ("https://bitbucket.org/acme/goals/src/main/" + file + "?mode=edit",
                      "https://bitbucket.org/acme/goals/history-node/main/" + file),
    }[kind]
    assert (hrefs["Edit"], hrefs["History"]) == want
    if kind == "github":
        parts = urlsplit(hrefs["Check in"])
        assert parts.path == "/acme/goals/issues/new"
        assert parse_qs(parts.query)["values"] == [
            "deploy-time: 22\nrunbook: not-done\n2: not-done"]
        assert parse_qs(parts.query)["goal"] == ["faster-deploys"]
    else:
        assert hrefs["Check in"] == hrefs["Edit"]
    command = page.input_value("#checkin-command")  # type: ignore[attr-defined]
    assert command == ("goalsrepo checkin faster-deploys deploy-time 22 "
                       "-m 'What moved and why' --commit")
    page.click("button.copy")  # type: ignore[attr-defined]
    # A selector, not wait_for_function: the page's CSP forbids the eval that a polled
    # expression needs, and selectors run in Playwright's own world.
    page.wait_for_selector("#copy-status:text-is('Copied.')")  # type: ignore[attr-defined]
    assert page.evaluate("navigator.clipboard.readText()") == command  # type: ignore[attr-defined]


def test_without_repo_url_no_links_but_the_command(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "r", {"repo_url": "https://user:secret@github.com/acme/goals"})
    result = run_cli("build", "-C", str(repo.root), "-o", str(tmp_path / "site"))
    assert result.exit_code == 0, result.output
    html = (tmp_path / "site/goals/faster-deploys.html").read_text()
    assert 'class="actions"' not in html and "secret" not in html
    assert 'id="checkin-command"' in html


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != ".goalsrepo"}


def test_an_incremental_build_shows_new_links_and_goals_as_a_cold_one(tmp_path: Path) -> None:
    """The goal pages' links follow `forge` and `default_branch`, and the form's data the
    goals: after each change, a build into the previous site equals a build from nothing."""
    repo = _repo(tmp_path / "r", {"repo_url": "https://github.com/acme/goals"})
    site = tmp_path / "site"

    def both(step: str) -> dict[str, bytes]:
        result = run_cli("build", "-C", str(repo.root), "-o", str(site))
        assert result.exit_code == 0, result.output
        cold = tmp_path / f"cold-{step}"
        result = run_cli("build", "-C", str(repo.root), "-o", str(cold))
        assert result.exit_code == 0, result.output
        warm = _tree(site)
        assert warm == _tree(cold), step
        return warm

    both("first")
    repo.update("goalsrepo.yaml", default_branch="trunk")
    repo.commit("Branch", date=day("2026-10-02"))
    assert b"/edit/trunk/goals/" in both("branch")["goals/faster-deploys.html"]
    repo.update("goalsrepo.yaml", repo_url="https://git.acme.example/goals", forge="gitea")
    repo.commit("Move", date=day("2026-10-03"))
    page = both("forge")["goals/faster-deploys.html"]
    assert b"https://git.acme.example/goals/_edit/trunk/goals/" in page
    repo.write_yaml("goals/new.yaml", goal("brand-new-goal", period="2026-Q4",
                                           key_results=[numeric("n", 0, 1)]))
    repo.commit("New", date=day("2026-10-04"))
    assert b'"brand-new-goal"' in both("goal")["assets/propose-data.js"]
