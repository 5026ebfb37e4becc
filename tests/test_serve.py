"""``serve``: a real server on a free port, over a real git repository, fetched over HTTP.

Each test runs :func:`goalsrepo.web.serve.run` in a thread and edits the repository's files as
a person would; waits poll with a generous timeout and assert no timings.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import pytest
from gitrepo import Repo, day, goal, new_repo, numeric

from goalsrepo.errors import GoalsrepoError
from goalsrepo.web.serve import run

TIMEOUT = 20.0
GOAL = "goals/faster.yaml"
TITLE = "Ship any change to production within one hour"
SITE_TITLE = "Test goals"  # gitrepo.CONFIG
PAGE = "/goals/faster.html"  # the goal's own page


@dataclass
class Response:
    status: int
    body: str
    headers: dict[str, str]


@dataclass
class Served:
    url: str
    echoed: list[str] = field(default_factory=list)
    warned: list[str] = field(default_factory=list)

    def get(self, path: str = "/", headers: dict[str, str] | None = None) -> Response:
        return get(self.url, path, headers)


def get(url: str, path: str = "/", headers: dict[str, str] | None = None) -> Response:
    """GET ``path`` exactly as written (http.client sends ``..`` and ``%2e`` untouched,
    and no proxy from the environment gets in the way)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        answer = conn.getresponse()
        body = answer.read().decode("utf-8", "replace")
        return Response(answer.status, body, {k.lower(): v for k, v in answer.getheaders()})
    finally:
        conn.close()


def eventually(check: Callable[[], Any], what: str) -> Any:
    """``check()``'s first truthy value, polled until TIMEOUT (then the test fails)."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder where temporary folders go, so a test can see serve's come and go."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    r = new_repo(tmp_path / "repo", teams=True)
    r.write_yaml(GOAL, goal("faster", title=TITLE, level="organization", period="2026-Q4",
                            key_results=[numeric("deploy-time", 45, 10, 22)]))
    r.commit("Plan the quarter", date=day("2026-10-02"))
    return r


@contextmanager
def serving(repo: Repo, **options: Any) -> Iterator[Served]:
    """``run()`` in a thread on a free port; stopped, and checked to have ended, on exit."""
    stop = threading.Event()
    ready = threading.Event()
    served = Served(url="")
    failure: list[BaseException] = []

    def on_ready(url: str) -> None:
        served.url = url
        ready.set()

    def target() -> None:
        try:
            run(repo.root, port=0, interval=0.1, echo=served.echoed.append,
                warn=served.warned.append, ready=on_ready, stop=stop, **options)
        except BaseException as exc:
            failure.append(exc)
            ready.set()

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    assert ready.wait(TIMEOUT), "the server did not start"
    if failure:
        raise failure[0]
    try:
        yield served
    finally:
        stop.set()
        thread.join(TIMEOUT)
        assert not thread.is_alive(), "run() did not return after stop was set"
        assert not failure, failure
        # The private build folder went with it (tempdir is the test's, see `scratch`).
        assert not list(Path(tempfile.gettempdir()).glob("goalsrepo-serve-*"))


def build_folder(scratch: Path) -> Path:
    (folder,) = scratch.iterdir()
    return folder / "site"


def test_serves_the_built_site_with_live_reload(repo: Repo, scratch: Path) -> None:
    with serving(repo) as served:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", served.url)
        assert served.echoed[-1] == f"Serving {served.url} (Ctrl-C to stop)"
        assert any(line.startswith("Built ") for line in served.echoed)
        page = served.get("/")
        assert page.status == 200
        assert SITE_TITLE in page.body
        assert page.headers["cache-control"] == "no-store"
        tag = re.search(r'<script src="/__goalsrepo__/reload\.js" data-generation="([^"]+)" '
                        r"defer></script>\s*</body>", page.body)
        assert tag, "the live-reload script is not injected before </body>"
        # Injected into the answer only: the built files stay what `build` wrote.
        built = (build_folder(scratch) / "index.html").read_text("utf-8")
        assert "__goalsrepo__" not in built
        script = served.get("/__goalsrepo__/reload.js")
        assert script.status == 200
        assert script.headers["content-type"].startswith("text/javascript")
        assert "/__goalsrepo__/generation.js" in script.body
        assert served.get("/__goalsrepo__/generation").body.strip() == "1"
        token = tag.group(1)
        assert served.get(f"/__goalsrepo__/generation.js?seen={token}").body == ""
        stale = served.get("/__goalsrepo__/generation.js?seen=old-0")
        assert stale.body.strip() == "location.reload();"


def test_a_saved_change_is_rebuilt_and_shown(repo: Repo, scratch: Path) -> None:
    with serving(repo) as served:
        assert TITLE in served.get(PAGE).body
        repo.update(GOAL, title="Ship any change to production within ten minutes")
        eventually(lambda: "within ten minutes" in served.get(PAGE).body, "the new title")
        assert int(served.get("/__goalsrepo__/generation").body) >= 2
        assert any(line.startswith("Rebuilt ") for line in served.echoed)


@pytest.mark.parametrize("reflog", [True, False])
def test_a_new_commit_is_rebuilt(repo: Repo, scratch: Path, reflog: bool) -> None:
    """Without a reflog (``core.logAllRefUpdates`` off and none yet), a commit rewrites
    only the branch's ref file."""
    if not reflog:
        repo.git("config", "core.logAllRefUpdates", "false")
        shutil.rmtree(repo.root / ".git" / "logs")
    with serving(repo) as served:
        before = int(served.get("/__goalsrepo__/generation").body)
        repo.git("commit", "--quiet", "--allow-empty", "-m", "Review",
                 date=day("2026-11-02"))
        eventually(lambda: int(served.get("/__goalsrepo__/generation").body) > before,
                   "a rebuild after the commit")


def test_a_broken_file_shows_the_error_page_until_fixed(repo: Repo, scratch: Path) -> None:
    with serving(repo) as served:
        good = (repo.root / GOAL).read_text("utf-8")
        repo.write(GOAL, good + "<b>bold</b>: 1\nkey_results: [\n")
        broken = eventually(lambda: (r := served.get(PAGE)).status == 500 and r,
                            "the error page")
        # A failed build counts too: the open pages reload and show the errors.
        assert int(served.get("/__goalsrepo__/generation").body) >= 2
        assert re.search(r"goals/faster\.yaml:\d+:\d+: error: ", broken.body)
        assert "The site could not be built" in broken.body
        assert_safe_page(broken.body)
        assert served.get("/").status == 500  # every page, not only the one that broke
        assert any("goals/faster.yaml:" in line for line in served.echoed)

        # A key that is markup is shown as text, never as markup.
        repo.write(GOAL, good + "<b>bold</b>: 1\n")
        escaped = eventually(lambda: "&lt;b&gt;bold&lt;/b&gt;" in (r := served.get(PAGE)).body
                             and r, "the unknown-key error")
        assert "<b>bold</b>" not in escaped.body
        assert served.get("/__goalsrepo__/serve.css").status == 200

        repo.write(GOAL, good)
        fixed = eventually(lambda: (r := served.get(PAGE)).status == 200 and r,
                           "the site after the fix")
        assert TITLE in fixed.body
        assert "could not be built" not in fixed.body


def test_a_repository_broken_from_the_start_is_served_as_its_errors(
        repo: Repo, scratch: Path) -> None:
    repo.write(GOAL, "id: faster\ntitle: [unclosed\n")
    with serving(repo) as served:
        assert served.get("/").status == 500
        assert "goals/faster.yaml:" in served.get("/").body
        repo.write_yaml(GOAL, goal("faster", title=TITLE, level="organization",
                                   period="2026-Q4",
                                   key_results=[numeric("deploy-time", 45, 10, 22)]))
        eventually(lambda: served.get("/").status == 200, "the site after the fix")


def test_the_error_page_keeps_the_sites_policy(repo: Repo, scratch: Path) -> None:
    repo.write(GOAL, "id: faster\ntitle: [unclosed\n")
    with serving(repo) as served:
        assert_safe_page(served.get("/").body)


def assert_safe_page(body: str) -> None:
    """The Content-Security-Policy of the site, and nothing it would block."""
    assert ('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "style-src 'self'; script-src 'self'; img-src 'self' data:; base-uri 'none'; "
            "form-action 'self'\">") in body
    assert "<style" not in body and "style=" not in body
    for script in re.findall(r"<script[^>]*>", body):
        assert "src=" in script, f"inline script: {script}"


@pytest.mark.parametrize("path", [
    "/../../../../../../etc/passwd",
    "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/../goalsrepo.yaml",
    "/%2e%2e/",
])
def test_requests_cannot_leave_the_build_folder(repo: Repo, scratch: Path, path: str) -> None:
    (scratch / "secret.txt").write_text("top secret", "utf-8")
    with serving(repo) as served:
        answer = served.get(path)
        assert answer.status in (200, 301, 400, 404)
        assert "root:" not in answer.body and "top secret" not in answer.body
        assert "periods:" not in answer.body
        if answer.status == 200:  # `..` dropped: the site's own front page
            assert SITE_TITLE in answer.body


def test_folders_are_not_listed(repo: Repo, scratch: Path) -> None:
    with serving(repo) as served:
        (build_folder(scratch) / "empty").mkdir()
        assert served.get("/empty/").status == 404


def test_another_sites_host_name_is_refused(repo: Repo, scratch: Path) -> None:
    """DNS rebinding: a page of evil.example, resolved to 127.0.0.1, reads nothing."""
    with serving(repo) as served:
        assert served.get("/", {"Host": "evil.example"}).status == 403
        port = urlsplit(served.url).port
        assert served.get("/", {"Host": f"localhost:{port}"}).status == 200


def test_a_host_open_to_the_network_is_warned_about(repo: Repo, scratch: Path) -> None:
    with serving(repo, host="0.0.0.0") as served:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", served.url)
        assert served.get("/").status == 200
        (warning,) = [w for w in served.warned if "0.0.0.0" in w]
        assert "network" in warning and "--host 127.0.0.1" in warning


def test_a_port_in_use_is_a_clear_error(repo: Repo, scratch: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(GoalsrepoError, match=f"port {port} on 127.0.0.1 is in use"):
            run(repo.root, port=port, echo=lambda _: None, warn=lambda _: None)
    assert list(scratch.iterdir()) == []


def test_stop_before_anything_happens(repo: Repo, scratch: Path) -> None:
    stop = threading.Event()
    stop.set()
    echoed: list[str] = []
    run(repo.root, port=0, echo=echoed.append, warn=echoed.append, stop=stop)
    assert list(scratch.iterdir()) == []


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT and SIGTERM are POSIX signals")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_the_command_serves_until_interrupted(repo: Repo, tmp_path: Path, signum: int) -> None:
    """Ctrl-C, or the SIGTERM of `kill` and `docker stop`: exit 0, nothing left behind."""
    scratch = tmp_path / "child-tmp"
    scratch.mkdir()
    lines: list[str] = []
    with (tmp_path / "stderr").open("w+", encoding="utf-8") as stderr, subprocess.Popen(
        [sys.executable, "-m", "goalsrepo", "serve", "-C", str(repo.root), "--port", "0"],
        stdout=subprocess.PIPE, stderr=stderr, text=True,
        env={**os.environ, "TMPDIR": str(scratch), "NO_COLOR": "1"},
    ) as child:
        try:
            assert child.stdout is not None
            reader = threading.Thread(target=read_lines, args=(child.stdout, lines),
                                      daemon=True)
            reader.start()
            serving = eventually(
                lambda: next((m for line in lines
                              if (m := re.fullmatch(r"Serving (http://\S+) \(Ctrl-C to stop\)",
                                                    line))), None),
                "the Serving line")
            assert SITE_TITLE in get(serving.group(1)).body
            child.send_signal(signum)
            child.wait(TIMEOUT)
            reader.join(TIMEOUT)
        finally:
            if child.poll() is None:
                child.kill()
        stderr.seek(0)
        errors = stderr.read()
    assert child.returncode == 0, errors
    assert lines[-1] == "Stopped."
    assert "Traceback" not in errors
    assert list(scratch.iterdir()) == []


def read_lines(stream: IO[str], lines: list[str]) -> None:
    for line in stream:
        lines.append(line.rstrip("\n"))


def test_a_save_that_keeps_size_and_modification_time_is_rebuilt(repo: Repo,
                                                                  scratch: Path) -> None:
    """A second save of the same size whose modification time is set back to the first
    one's, as ``cp -p`` or an unpacked archive leaves it (issue 12)."""
    path = repo.root / GOAL
    with serving(repo) as served:
        stamp = path.stat()
        before = int(served.get("/__goalsrepo__/generation").body)
        text = path.read_text("utf-8")
        changed = text.replace(TITLE, TITLE.replace("one hour", "two hour"), 1)
        assert len(changed) == len(text) and changed != text
        path.write_text(changed, "utf-8")
        os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
        assert path.stat().st_size == stamp.st_size
        eventually(lambda: int(served.get("/__goalsrepo__/generation").body) > before,
                   "a rebuild after the save")
        eventually(lambda: "two hour" in served.get(PAGE).body, "the new title")
