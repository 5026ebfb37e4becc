"""``serve``: build the site into a private folder, serve it locally, rebuild on every save.

The ``mkdocs serve`` habit: the site is built into a temporary folder (never the user's
``site/``, which may hold a published build), served by the standard library's HTTP server,
and rebuilt when a goal file, ``goalsrepo.yaml``, ``people.yaml``, ``teams.yaml`` or the
checked-out commit changes. Open pages reload by themselves. While the goals have errors,
every page shows them instead of a stale site, and the server keeps running until they are
fixed.

The server is for one person's browser on their own machine: it binds to 127.0.0.1 unless
told otherwise, warns when told otherwise, refuses requests whose ``Host`` names another
site (DNS rebinding), and never lists folders.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import html
import ipaddress
import os
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from datetime import date
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import parse_qs, unquote, urlsplit

from goalsrepo import report, workspace
from goalsrepo.errors import GoalsrepoError
from goalsrepo.files.config import CONFIG_FILE, PEOPLE_FILE, TEAMS_FILE
from goalsrepo.files.loader import find_goal_files
from goalsrepo.files.repository import read_config
from goalsrepo.gitlog.cache import FileCache
from goalsrepo.gitlog.git import GitError
from goalsrepo.web import site

# Everything the server adds lives under one prefix that no built page can use.
PREFIX = "/__goalsrepo__/"
RELOAD_JS = PREFIX + "reload.js"
GENERATION = PREFIX + "generation"
PROBE_JS = PREFIX + "generation.js"
ERROR_CSS = PREFIX + "serve.css"

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})

# The site's own policy (SPEC §5 pages carry it too): no inline style or script anywhere.
CSP = ("default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
       "base-uri 'none'; form-action 'self'")

# The site's Content-Security-Policy has no connect-src, so fetch() is blocked in its
# pages. A same-origin <script> is allowed: once a second the page loads a tiny script
# that answers `location.reload()` when a build happened since the page was served.
_RELOAD_SCRIPT = b"""\
// Live reload for `goalsrepo serve`; never part of a built site.
(function () {
  "use strict";
  var me = document.currentScript;
  var seen = me && me.getAttribute("data-generation");
  if (!seen) { return; }
  function poll() {
    var probe = document.createElement("script");
    probe.src = "/__goalsrepo__/generation.js?seen=" + encodeURIComponent(seen) +
      "&t=" + Date.now();
    probe.onload = probe.onerror = function () {
      probe.remove();
      setTimeout(poll, 1000);
    };
    document.head.appendChild(probe);
  }
  setTimeout(poll, 1000);
})();
"""

_ERROR_STYLE = b"""\
:root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.5; }
body { margin: 0; padding: 2rem 1rem; }
main { max-width: 60rem; margin: 0 auto; }
.banner { padding: 1rem 1.25rem; border-left: 0.4rem solid #b00020;
          background: #fdecee; color: #3b0008; }
.diagnostics { padding: 0; list-style: none; }
.diagnostics li { margin: 0.5rem 0; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
       white-space: pre-wrap; overflow-wrap: anywhere; }
@media (prefers-color-scheme: dark) {
  .banner { background: #3b0a12; color: #ffdadf; border-color: #ff6b81; }
}
"""


def _stdout(message: str) -> None:
    print(message, flush=True)


def _stderr(message: str) -> None:
    print(f"goalsrepo: warning: {message}", file=sys.stderr, flush=True)


def run(root: Path, *, host: str = "127.0.0.1", port: int = 8000, as_of: date | None = None,
        allow_shallow: bool = False, interval: float = 0.5,
        echo: Callable[[str], None] = _stdout, warn: Callable[[str], None] = _stderr,
        ready: Callable[[str], None] | None = None,
        stop: threading.Event | None = None) -> None:
    """Build the site of ``root``, serve it on ``host:port`` and rebuild it on change.

    Returns when ``stop`` is set or on Ctrl-C, after shutting the server and the watcher
    down and removing the temporary build folder. ``port=0`` picks a free port;
    ``ready`` is called with the server's URL once it listens. ``echo`` reports each
    build, good or failed with its diagnostics; ``warn`` gets warnings as bare sentences
    (the caller adds its ``goalsrepo: warning:`` prefix). Raises
    :class:`GoalsrepoError` when the port cannot be bound or the first build is refused
    (a shallow clone without ``allow_shallow``, say); goal files with errors are not a
    reason to stop: their diagnostics are served as the page until fixed.
    """
    # main() switches the cyclic garbage collector off for short-lived commands; a server
    # rebuilds the whole site on every save for hours, and each build leaves reference
    # cycles (Jinja, YAML) that only the collector frees.
    gc.enable()
    stop = stop or threading.Event()
    loopback = _is_loopback(host)
    if not loopback:
        warn(f"serving on {host}: anyone who can reach this machine "
             "on the network can read the goals. Use --host 127.0.0.1 to keep them on "
             "this machine.")
    folder = Path(tempfile.mkdtemp(prefix="goalsrepo-serve-"))
    live = LiveSite(root, folder / "site", as_of=as_of, allow_shallow=allow_shallow,
                    echo=echo, warn=warn, loopback=loopback)
    finished = threading.Event()
    server: _Server | None = None
    threads: list[threading.Thread] = []
    try:
        server = _bind(host, port, live)
        url = _url(host, server.server_address[1])
        seen = live.look()
        live.rebuild(first=True)
        for thread in (
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                             name="goalsrepo-serve", daemon=True),
            threading.Thread(target=live.watch, args=(seen, interval, finished),
                             name="goalsrepo-watch", daemon=True),
        ):
            thread.start()
            threads.append(thread)
        echo(f"Serving {url} (Ctrl-C to stop)")
        if ready is not None:
            ready(url)
        with _sigterm_as_ctrl_c():
            # A timed wait, not wait(): on Windows only a timed wait lets Ctrl-C through.
            while not stop.wait(0.2):
                pass
    except KeyboardInterrupt:
        pass
    finally:
        finished.set()
        if server is not None:
            if threads:  # the first is serve_forever; shutdown() would wait for it for ever
                server.shutdown()
            server.server_close()
        for thread in threads:
            thread.join()
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def _sigterm_as_ctrl_c() -> Iterator[None]:
    """``kill``, ``docker stop`` and systemd end a process with SIGTERM, which would skip
    the clean-up: raise KeyboardInterrupt for it, as Python does for Ctrl-C (a handler
    that set an Event could deadlock on the Event's own lock). Only the main thread may
    set a signal handler."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _url(host: str, port: int) -> str:
    """The URL to open: an unspecified address (0.0.0.0, ::) is reached through loopback."""
    name = host.strip("[]")
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        address = None
    if address is not None and address.is_unspecified:
        name = "127.0.0.1" if address.version == 4 else "::1"
    if ":" in name:
        name = f"[{name}]"
    return f"http://{name}:{port}/"


# EADDRINUSE, and Windows' WSAEADDRINUSE and WSAEACCES (a port another socket holds).
_IN_USE = {errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", errno.EADDRINUSE),
           getattr(errno, "WSAEACCES", errno.EADDRINUSE)}


def _bind(host: str, port: int, live: LiveSite) -> _Server:
    """Listen on ``host:port``, or say plainly why not (no traceback, exit 1)."""
    where = f"{host}:{port}"
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise GoalsrepoError(f"cannot serve on {host}: {exc.strerror}") from None
    family, _, _, _, address = infos[0]
    try:
        return _Server(address, family, live)
    except PermissionError:
        raise GoalsrepoError(
            f"not allowed to listen on {where} (ports below 1024 need privileges): "
            "choose another with --port") from None
    except OSError as exc:
        if exc.errno in _IN_USE:
            raise GoalsrepoError(
                f"port {port} on {host} is in use: stop the other server or choose "
                "another port with --port") from None
        raise GoalsrepoError(f"cannot listen on {where}: {exc.strerror or exc}") from None


class LiveSite:
    """The served site: where its build lives and whether the last build failed.

    The watcher thread writes, the request threads read; one lock keeps the generation
    and the failure together, so a page and its reload token always agree.
    """

    def __init__(self, root: Path, output: Path, *, as_of: date | None, allow_shallow: bool,
                 echo: Callable[[str], None], warn: Callable[[str], None],
                 loopback: bool) -> None:
        self.root = root
        self.output = output
        self.as_of = as_of
        self.allow_shallow = allow_shallow
        self.echo = echo
        self.warn = warn
        self.loopback = loopback
        self._lock = threading.Lock()
        self._generation = 0
        self._failure: tuple[str, ...] | None = None
        self._notes: tuple[str, ...] = ()
        # A restarted server starts counting again: the boot id makes its tokens new.
        self._boot = secrets.token_hex(4)
        self._goals_dir = "goals"
        self._heads: tuple[Path, ...] | None = None

    @property
    def generation(self) -> int:
        """How many builds, good or failed, have finished."""
        with self._lock:
            return self._generation

    def state(self) -> tuple[str, tuple[str, ...] | None]:
        """The reload token of the current build, and its diagnostics if it failed."""
        with self._lock:
            return f"{self._boot}-{self._generation}", self._failure

    def rebuild(self, *, first: bool = False) -> None:
        """Build into the private folder and tell the terminal and the browsers.

        Errors in the goals become the error page. On the first build, any other refusal
        (a shallow clone, say) ends the command; later it is shown like the goals' errors,
        since fixing it may be a matter of a save. An unexpected exception keeps the last
        good site: a bug in one build must not take down the server.
        """
        try:
            result = site.build(self.root, self.output, as_of=self.as_of,
                                allow_shallow=self.allow_shallow)
        except site.BuildError as exc:
            lines = tuple(report.diagnostic_line(d) for d in exc.diagnostics)
            self._failed(lines or (f"goalsrepo: error: {exc}",))
            return
        except GoalsrepoError as exc:
            if first:
                raise
            self._failed((f"goalsrepo: error: {exc}",))
            return
        except Exception as exc:
            if first:
                raise
            message = f"{type(exc).__name__}: {exc}".replace("\n", " ")
            self.warn(f"the build failed unexpectedly ({message}); still serving the last "
                      "good site")
            return
        with self._lock:
            self._generation += 1
            self._failure = None
        verb = "Built" if first else "Rebuilt"
        changed = ("" if result.rendered == result.pages
                   else f" ({result.rendered or 'none'} changed)")
        self.echo(f"{verb} {result.pages} pages in {result.seconds:.1f} s{changed}")
        notes = tuple(report.diagnostic_line(n) for n in result.notes)
        if notes != self._notes:
            for line in notes:
                self.echo(line)
            self._notes = notes

    def _failed(self, lines: tuple[str, ...]) -> None:
        with self._lock:
            self._generation += 1
            self._failure = lines
        count = "1 problem" if len(lines) == 1 else f"{len(lines)} problems"
        self.echo(f"Build failed, {count}; the browser shows them until you fix and save:")
        for line in lines:
            self.echo(line)

    def look(self) -> dict[str, tuple[int, ...]]:
        """The signature of what the next build will read, taken before it starts, so
        that a save during the build is built next. ``goals_dir`` is read again each time:
        goalsrepo.yaml may have moved it."""
        with contextlib.suppress(GoalsrepoError, OSError):
            self._goals_dir = read_config(self.root).goals_dir
        if self._heads is None:
            try:
                common = workspace.open(self.root).git_dir
            except GitError:
                common = None
            self._heads = () if common is None else (
                common / "HEAD", common / "logs" / "HEAD", common / "packed-refs")
        return self.signature()

    def signature(self) -> dict[str, tuple[int, ...]]:
        """The stat signature (:meth:`FileCache.signature`: size, modification and change
        times, inode) of every file a build reads from the work tree, and of the files git
        rewrites when HEAD moves (a commit changes the history shown): HEAD, its reflog,
        the packed refs and the branch HEAD names, whose file a commit rewrites even where
        no reflog is kept. The change time catches a save that set the modification time
        back (``cp -p``, an unpacked archive) to what it was."""
        heads = list(self._heads or ())
        if heads:
            with contextlib.suppress(OSError, UnicodeDecodeError):
                ref = heads[0].read_text("utf-8").strip()
                if ref.startswith("ref: refs/"):
                    heads.append(heads[0].parent / ref[len("ref: "):])
        paths = [self.root / CONFIG_FILE, self.root / PEOPLE_FILE, self.root / TEAMS_FILE,
                 *(self.root / p for p in find_goal_files(self.root, self._goals_dir)),
                 *heads]
        signature: dict[str, tuple[int, ...]] = {}
        for path in paths:
            found = FileCache.signature(str(path))
            if found is not None:
                signature[str(path)] = found
        return signature

    def watch(self, seen: dict[str, tuple[int, ...]], interval: float,
              finished: threading.Event) -> None:
        """Rebuild whenever a watched file differs from ``seen``, until ``finished``.

        Polls stat signatures rather than using inotify/FSEvents: it needs no dependency,
        works the same on every system and file system (network shares, containers), and
        a goals repository holds a modest number of files.
        """
        while not finished.wait(interval):
            now = self.signature()
            if now == seen:
                continue
            # Editors save in steps (truncate then write, or write a copy then rename):
            # build once the files have held still for one interval.
            while not finished.wait(interval):
                settled = self.signature()
                if settled == now:
                    break
                now = settled
            if finished.is_set():
                return
            seen = self.look()
            self.rebuild()

    def error_page(self, token: str, lines: tuple[str, ...]) -> bytes:
        """The page shown for every page while the last build failed. Diagnostics quote
        file names and contents, so every one is escaped."""
        items = "\n".join(f"<li><code>{html.escape(line)}</code></li>" for line in lines)
        count = "1 problem" if len(lines) == 1 else f"{len(lines)} problems"
        return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Build failed · goalsrepo serve</title>
<link rel="stylesheet" href="{ERROR_CSS}">
</head>
<body>
<main>
<p class="banner" role="alert"><strong>The site could not be built.</strong>
The last good build is not shown while the goals have errors: fix the {count} below and
save, and this page reloads by itself.</p>
<h1>{count}</h1>
<ul class="diagnostics">
{items}
</ul>
</main>
{_reload_tag(token)}
</body>
</html>
""".encode()


def _reload_tag(token: str) -> str:
    return f'<script src="{RELOAD_JS}" data-generation="{html.escape(token)}" defer></script>'


def inject(page: bytes, token: str) -> bytes:
    """``page`` with the live-reload script before its last ``</body>`` (or at the end).

    Done per response, so the built files stay exactly what ``build`` writes."""
    tag = _reload_tag(token).encode()
    at = page.lower().rfind(b"</body>")
    return page + tag if at < 0 else page[:at] + tag + page[at:]


def _is_page(route: str) -> bool:
    """Whether a request path names an HTML page (a folder, ``.html`` or no extension)."""
    last = unquote(route).rsplit("/", 1)[-1]
    return not last or last.endswith((".html", ".htm")) or "." not in last


_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".xml": "application/xml",
    ".atom": "application/atom+xml",
    ".txt": "text/plain; charset=utf-8",
}


class _Handler(SimpleHTTPRequestHandler):
    """Serves the current build by path, so each request sees the folder that ``build``
    swapped in last; adds the live-reload routes and the error page."""

    timeout = 60  # an idle connection does not hold a thread for ever

    def __init__(self, *args: Any, live: LiveSite, **kwargs: Any) -> None:
        self.live = live  # before super().__init__, which handles the request at once
        super().__init__(*args, directory=str(live.output), **kwargs)

    def send_head(self) -> BytesIO | BinaryIO | None:
        if not self._host_allowed():
            self.send_error(HTTPStatus.FORBIDDEN, "Unexpected Host header")
            return None
        parts = urlsplit(self.path)
        route = parts.path
        if route.startswith(PREFIX):
            return self._internal(route, parts.query)
        token, failure = self.live.state()
        if failure is not None and _is_page(route):
            return self._send(HTTPStatus.INTERNAL_SERVER_ERROR, "text/html; charset=utf-8",
                              self.live.error_page(token, failure))
        path = self.translate_path(self.path)
        if os.path.isdir(path) and route.endswith("/"):
            path = os.path.join(path, "index.html")
        if path.endswith((".html", ".htm")) and os.path.isfile(path):
            try:
                page = Path(path).read_bytes()
            except OSError:  # swapped away by a build between the two calls
                self.send_error(HTTPStatus.NOT_FOUND, "File not found")
                return None
            return self._send(HTTPStatus.OK, "text/html; charset=utf-8", inject(page, token))
        return super().send_head()

    def _internal(self, route: str, query: str) -> BytesIO | None:
        if route == RELOAD_JS:
            return self._send(HTTPStatus.OK, "text/javascript; charset=utf-8", _RELOAD_SCRIPT)
        if route == PROBE_JS:
            token, _ = self.live.state()
            seen = parse_qs(query).get("seen", [""])[0]
            body = b"" if seen == token else b"location.reload();\n"
            return self._send(HTTPStatus.OK, "text/javascript; charset=utf-8", body)
        if route == GENERATION:
            return self._send(HTTPStatus.OK, "text/plain; charset=utf-8",
                              f"{self.live.generation}\n".encode())
        if route == ERROR_CSS:
            return self._send(HTTPStatus.OK, "text/css; charset=utf-8", _ERROR_STYLE)
        self.send_error(HTTPStatus.NOT_FOUND, "File not found")
        return None

    def _host_allowed(self) -> bool:
        """On loopback, only loopback names: a web page whose domain an attacker points at
        127.0.0.1 (DNS rebinding) must not read the goals through the visitor's browser."""
        host = self.headers.get("Host")
        if not self.live.loopback or host is None:
            return True
        name = urlsplit(f"//{host}").hostname or ""
        return _is_loopback(name)

    def _send(self, status: HTTPStatus, content_type: str, body: bytes) -> BytesIO:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return BytesIO(body)

    def guess_type(self, path: str | os.PathLike[str]) -> str:
        """The site's own types are pinned: the platform's table can be wrong (Windows'
        registry may map .js to text/plain, which browsers refuse under nosniff)."""
        return _TYPES.get(os.path.splitext(path)[1].lower()) or super().guess_type(path)

    def list_directory(self, path: str | os.PathLike[str]) -> BytesIO | None:
        """No folder listings: a folder without index.html is not a page of the site."""
        self.send_error(HTTPStatus.NOT_FOUND, "File not found")
        return None

    def end_headers(self) -> None:
        # Every response is fresh: a rebuilt page must never come from the browser's cache.
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal is for builds and their problems, not for every request."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # On Windows SO_REUSEADDR lets a second server take a port that is in use.
    allow_reuse_address = sys.platform != "win32"

    def __init__(self, address: Any, family: socket.AddressFamily, live: LiveSite) -> None:
        self.address_family = family
        self.live = live
        super().__init__(address, partial(_Handler, live=live))

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line, not socketserver's traceback; a browser that leaves mid-answer (as
        every reload does) is not an error at all."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        self.live.warn(f"answering a request failed ({exc!r})")
