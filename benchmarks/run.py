"""Time whole-process commands on the generated repositories.

    python benchmarks/run.py [--size S,M,L] [--only validate,floor] [--runs 5] [--json FILE]

Every figure is a whole process (or, for the git floor, two processes), started afresh for
each run, as a user or CI would run it. Reports the median, min and max wall time over the
runs, the peak memory (max RSS of the child, from ``os.wait4``), the exit codes seen, and the
ratio of a command's median to the median of the floor it is compared with, so that a run
on a busy machine still says how close goalsrepo is to what any tool must pay. A command
compared with the git content floor or the incremental floor takes turns with it, a floor
run before each of its own, and its ratio is over the median of those paired floor runs:
this machine's speed drifts by a third within an hour, floor and command not together, so
a floor timed minutes before made the same code 5x one hour and 9x the next:

- the **git content floor** (``floor``): the first-parent log of goals/ and every blob it
  names, read by git alone;
- the **incremental floor** (``incremental-floor``): what any tool must do to notice one
  commit: a Python process that imports click, jinja2 and yaml, stats every file under
  goals/ and runs ``git diff-tree -r HEAD`` once;
- the **Jinja2 floor** (``jinja-floor``): one template rendering as many pages as the site
  has, of the same average size, each with a Markdown description through markdown-it.
  Builds are compared with it in pages per second (higher is better), not in seconds.

To benchmark another command, write a function that takes the repository and returns a
zero-argument callable timing one run (see :func:`validate`), and add a :class:`Bench` to
``BENCHES``.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
REPOS = HERE / "repos"
GOAL_SCHEMA = PROJECT / "schemas" / "goal.json"
RAW_BLOBS = re.compile(rb":[0-7]{6} [0-7]{6} ([0-9a-f]{40}) ([0-9a-f]{40}) ")
NULL_ID = b"0" * 40


class Unavailable(Exception):
    """The command cannot run here; the message says how to make it available."""


@dataclass(frozen=True)
class Sample:
    """One timed run: wall seconds, peak RSS of the child in KiB, and its exit code."""

    seconds: float
    max_rss_kib: int
    exit_code: int
    output_tail: str = ""


Run = Callable[[], Sample]


@dataclass(frozen=True)
class Bench:
    """A benchmarked command: ``prepare(repo)`` returns a callable that times one run."""

    name: str
    what: str
    prepare: Callable[[Path], Run]
    ok_codes: frozenset[int] = frozenset({0})
    compare_to: str | None = None


@dataclass
class Result:
    size: str
    bench: str
    what: str
    samples: list[Sample] = field(default_factory=list)
    unavailable: str | None = None
    ratio: float | None = None
    compare_to: str | None = None
    floor_samples: list[Sample] = field(default_factory=list)  # paired: one before each run

    @property
    def note(self) -> str:
        return build_note(self) if self.bench.startswith(("build", "jinja")) else ""

    @property
    def seconds(self) -> list[float]:
        return [s.seconds for s in self.samples]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def max_rss_mib(self) -> float:
        return max(s.max_rss_kib for s in self.samples) / 1024

    @property
    def exit_codes(self) -> list[int]:
        return sorted({s.exit_code for s in self.samples})


# --- running a process ---------------------------------------------------------------


def run_process(argv: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> Sample:
    """Run argv to completion with its output in a temporary file, timing it."""
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=out)
        code, rss = _wait(proc)
        seconds = time.perf_counter() - started
        out.seek(0)
        tail = out.read()[-2000:].decode(errors="replace")
    return Sample(seconds, rss, code, tail)


def _wait(proc: subprocess.Popen[bytes]) -> tuple[int, int]:
    """Wait for the child with ``os.wait4`` (its own rusage); return exit code and max RSS."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait again
    return proc.returncode, usage.ru_maxrss


def goal_files(repo: Path) -> list[str]:
    return sorted(str(p.relative_to(repo)) for p in (repo / "goals").rglob("*.yaml"))


# --- the commands --------------------------------------------------------------------


def goalsrepo_command() -> tuple[list[str], dict[str, str] | None]:
    """``goalsrepo`` from PATH, else ``python -m goalsrepo`` from this source tree."""
    exe = shutil.which("goalsrepo")
    if exe:
        return [exe], None
    if (PROJECT / "goalsrepo" / "cli.py").is_file():
        path = os.pathsep.join(filter(None, (str(PROJECT), os.environ.get("PYTHONPATH"))))
        return [sys.executable, "-m", "goalsrepo"], {**os.environ, "PYTHONPATH": path}
    raise Unavailable(
        "goalsrepo is not on PATH and goalsrepo/cli.py does not exist yet "
        "(install the project with: pip install -e .)"
    )


def compile_bytecode() -> None:
    """Compile goalsrepo's modules, as installing a package does. An editable install
    compiles nothing, and where ``PYTHONDONTWRITEBYTECODE`` is set (as on the machines
    these figures come from) every run would compile them again: 30-40 ms of each
    process, which no installed copy pays."""
    import compileall

    compileall.compile_dir(PROJECT / "goalsrepo", quiet=1)


def validate(repo: Path) -> Run:
    argv, env = goalsrepo_command()
    return lambda: run_process([*argv, "validate", "-C", str(repo)], repo, env)


def check_jsonschema(repo: Path) -> Run:
    exe = shutil.which("check-jsonschema")
    if exe is None:
        raise Unavailable("check-jsonschema is not installed (pip install check-jsonschema)")
    argv = [exe, "--schemafile", str(GOAL_SCHEMA), *goal_files(repo)]
    return lambda: run_process(argv, repo)


def git_floor(repo: Path) -> Run:
    return lambda: _git_floor(repo)


def _git_floor(repo: Path) -> Sample:
    """Read the first-parent history of goals/ and every blob it names, as cheaply as git can.

    The two processes run one after the other: ``git log`` into memory, then one
    ``git cat-file --batch`` fed every distinct blob id, its output thrown away.
    """
    started = time.perf_counter()
    log = subprocess.Popen(
        ["git", "log", "--first-parent", "--raw", "-z", "--no-abbrev", "--", "goals"],
        cwd=repo,
        stdout=subprocess.PIPE,
    )
    assert log.stdout is not None
    raw = log.stdout.read()
    log_code, log_rss = _wait(log)
    blobs = dict.fromkeys(b for pair in RAW_BLOBS.findall(raw) for b in pair if b != NULL_ID)
    cat = subprocess.Popen(
        ["git", "cat-file", "--batch"], cwd=repo, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL
    )
    assert cat.stdin is not None
    cat.stdin.write(b"".join(b + b"\n" for b in blobs))
    cat.stdin.close()
    cat_code, cat_rss = _wait(cat)
    seconds = time.perf_counter() - started
    return Sample(seconds, max(log_rss, cat_rss), log_code or cat_code)


def history_cold(repo: Path) -> Run:
    """Whole-process ``goalsrepo history`` with no cache: reads every goal's history."""
    argv, env = goalsrepo_command()
    goal = _some_goal(repo)

    def run() -> Sample:
        shutil.rmtree(repo / ".git" / "goalsrepo", ignore_errors=True)
        return run_process([*argv, "history", goal, "-C", str(repo)], repo, env)

    return run


def history_git(repo: Path) -> Run:
    """The git-reading part of history alone: goalsrepo's log and blob reads, no parsing."""
    script = (
        "import sys; from pathlib import Path; from goalsrepo import git, history\n"
        "root = Path(sys.argv[1])\n"
        "records = list(history.parse_log(git.first_parent_log(root, 'goals/')))[::-1]\n"
        "blobs = history.Replay().wanted(e for r in records for e in r[6])\n"
        "sum(len(raw or b'') for _, raw in git.read_blobs(root, blobs))\n"
    )
    return lambda: run_process([sys.executable, "-c", script, str(repo)], repo)


def status_cold(repo: Path) -> Run:
    """Whole-process ``goalsrepo status`` with no cache: every file parsed, all history read."""
    argv, env = goalsrepo_command()

    def run() -> Sample:
        shutil.rmtree(repo / ".git" / "goalsrepo", ignore_errors=True)
        return run_process([*argv, "status", "-C", str(repo)], repo, env)

    return run


def incremental_floor(repo: Path) -> Run:
    script = HERE / "floor_incremental.py"
    return lambda: run_process([sys.executable, str(script), str(repo)], repo)


def jinja_floor(repo: Path) -> Run:
    """As many pages as the cold site of ``repo`` has, of the same average size (the site
    is built once, untimed, to learn both)."""
    clone, _, _ = _built_clone(repo)
    site = clone.parent / "site"
    sizes = [p.stat().st_size for p in site.rglob("*.html")]
    pages, size = len(sizes), sum(sizes) // max(1, len(sizes))
    out = clone.parent / "floor-site"

    script = HERE / "floor_jinja.py"

    def run() -> Sample:
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        return run_process([sys.executable, str(script), str(pages), str(size), str(out)],
                           clone)

    return run


def status_after_commit(repo: Path) -> Run:
    """``goalsrepo status`` right after one new check-in commit on a cached repository.

    Works in a local clone (hard-linked objects), so the generated repository is untouched;
    each run commits one more check-in (not timed), then times the whole status process.
    """
    argv, env = goalsrepo_command()
    clone = _clone(repo)
    subprocess.run([*argv, "status", "-C", str(clone)], cwd=clone, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    goal_file = _checkin_file(clone)
    counter = iter(range(1, 1_000_000))

    def run() -> Sample:
        n = next(counter)
        _check_in(goal_file, n)
        date = f"2027-01-01T12:{n % 60:02d}:00+00:00"
        commit_env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date,
                      "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
                      "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}
        subprocess.run(["git", "commit", "--quiet", "-am", f"checkin {n}"], cwd=clone,
                       env=commit_env, check=True)
        return run_process([*argv, "status", "-C", str(clone)], clone, env)

    return run


CHECKIN = re.compile(r"start: (-?[0-9.]+)\n +target: (-?[0-9.]+)\n +current: (-?[0-9.]+)")


def _checkin_file(repo: Path, period: str | None = None) -> Path:
    """The first active goal (in path order) with a numeric key result that has a value;
    with ``period``, the first such goal of that period."""
    for path in sorted((repo / "goals").rglob("*.yaml")):
        text = path.read_text()
        if "\nstatus: active" in text and CHECKIN.search(text) and (
                period is None or f"\nperiod: {period}\n" in text):
            return path
    raise Unavailable("no active goal with a numeric key result to check in")


def _current_period(repo: Path, day: str) -> str:
    """The shortest period of goalsrepo.yaml that holds ``day`` (an ISO date)."""
    import yaml

    config = yaml.safe_load((repo / "goalsrepo.yaml").read_text())
    holding = [p for p in config.get("periods", [])
               if str(p["start"]) <= day <= str(p["end"])]  # PyYAML reads dates as dates
    if not holding:
        raise Unavailable(f"no period holds {day}")
    return str(min(holding, key=lambda p: p["end"] - p["start"])["id"])


def _check_in(path: Path, n: int) -> None:
    """A check-in as people make them: the first numeric key result moves to another
    tenth of the way to its target, so the goal's progress changes each time (and with it
    its team's, period's and people's pages, the dashboard and the alignment map). The file
    is rewritten in place, as an editor saves it."""
    text = path.read_text()
    found = CHECKIN.search(text)
    assert found is not None, path
    start, target = float(found.group(1)), float(found.group(2))
    # The next tenth that differs from the value in the file, so there is a commit to make.
    value = next(v for k in range(n, n + 10)
                 if f"{(v := start + (target - start) * (k % 9 + 1) / 10):g}" != found.group(3))
    path.write_text(f"{text[:found.start(3)]}{value:g}{text[found.end(3):]}")


def _clone(repo: Path) -> Path:
    """A local clone (hard-linked objects), so the generated repository stays untouched."""
    clone = Path(tempfile.mkdtemp(prefix="goalsrepo-bench-")) / "repo"
    subprocess.run(["git", "clone", "--quiet", "--local", str(repo), str(clone)], check=True)
    # The file cache trusts no file changed within the last second (as git's index does):
    # let the fresh checkout settle, as a user's work tree has.
    time.sleep(1.5)
    return clone


def _built_clone(repo: Path) -> tuple[Path, dict[str, str] | None, list[str]]:
    """A clone of ``repo`` whose site (``site/`` beside it) was built once, untimed; its
    environment, and the command that builds the site again."""
    argv, env = goalsrepo_command()
    clone = _clone(repo)
    build = [*argv, "build", "-C", str(clone), "-o", str(clone.parent / "site")]
    subprocess.run(build, cwd=clone, env=env, check=True, stdout=subprocess.DEVNULL)
    return clone, env, build


def build_cold(repo: Path) -> Run:
    """``goalsrepo build`` of the whole site, with the history cache warm (``status`` ran)
    but no site cache and no previous site: every page is rendered."""
    argv, env = goalsrepo_command()
    clone = _clone(repo)
    subprocess.run([*argv, "status", "-C", str(clone)], cwd=clone, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    out = clone.parent / "site"

    def run() -> Sample:
        shutil.rmtree(clone / ".git" / "goalsrepo" / "site", ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
        return run_process([*argv, "build", "-C", str(clone), "-o", str(out)], clone, env)

    return run


def build_after_commit(repo: Path, *, current: bool = False) -> Run:
    """``goalsrepo build`` right after one new check-in commit, the same day as HEAD, on a
    built and cached repository: only the pages the check-in changed are rendered. The
    goal checked in on is the first active one, in an ended quarter at L, whose page is
    its 5 MB review; with ``current``, the first of the period HEAD's day is in."""
    clone, env, build = _built_clone(repo)
    head_date = subprocess.run(["git", "log", "-1", "--format=%aI"], cwd=clone, check=True,
                               capture_output=True, text=True).stdout.strip()
    goal_file = _checkin_file(clone, _current_period(clone, head_date[:10]) if current
                              else None)
    counter = iter(range(1, 1_000_000))

    def run() -> Sample:
        n = next(counter)
        _check_in(goal_file, n)
        commit_env = {**os.environ, "GIT_AUTHOR_DATE": head_date,
                      "GIT_COMMITTER_DATE": head_date, "GIT_AUTHOR_NAME": "Bench",
                      "GIT_AUTHOR_EMAIL": "bench@example.com", "GIT_COMMITTER_NAME": "Bench",
                      "GIT_COMMITTER_EMAIL": "bench@example.com"}
        subprocess.run(["git", "commit", "--quiet", "-am", f"checkin {n}"], cwd=clone,
                       env=commit_env, check=True)
        return run_process(build, clone, env)

    return run


def build_unchanged(repo: Path) -> Run:
    """``goalsrepo build`` with no new commit since the last build: no page is rendered.
    What the pipeline costs before it renders anything (load every goal, plan every
    page), against which ``build-after-commit`` reads."""
    clone, env, build = _built_clone(repo)
    return lambda: run_process(build, clone, env)


SYNC_KRS = 2000
SYNC_QUERIES = 50
_SYNC_CLONES: dict[Path, tuple[Path, dict[str, str]]] = {}


def _sync_clone(repo: Path) -> tuple[Path, dict[str, str]]:
    """A clone of ``repo`` whose first numeric key result, in 2,000 goal files, names a Jira
    source with one of 50 queries, committed; the source is a server on 127.0.0.1 in this
    process that answers Jira Cloud's approximate count. Made once, shared by the sync
    benches so that ``sync`` and ``status`` time the same repository."""
    if repo in _SYNC_CLONES:
        return _SYNC_CLONES[repo]
    port = _jira_stub()
    clone = _clone(repo)
    with open(clone / "goalsrepo.yaml", "a", encoding="utf-8") as fh:
        fh.write("sync:\n  author: {name: goalsrepo sync, email: sync@example.com}\n"
                 f"sources:\n  jira: {{kind: jira, url: 'http://127.0.0.1:{port}', "
                 "user_env: JIRA_USER, token_env: JIRA_TOKEN}\n")
    named = 0
    for path in sorted((clone / "goals").rglob("*.yaml")):
        if named == SYNC_KRS:
            break
        text = path.read_text()
        found = CHECKIN.search(text)
        if found is None:
            continue
        line_start = text.rfind("\n", 0, found.start(3)) + 1
        indent = text[line_start:found.start(3)].split("current:")[0]
        end = text.index("\n", found.end(3)) + 1
        query = f"project = P{named % SYNC_QUERIES}"
        path.write_text(f'{text[:end]}{indent}source: {{from: jira, query: "{query}"}}\n'
                        f"{text[end:]}")
        named += 1
    if named < SYNC_KRS:
        raise Unavailable(f"only {named} goals with a numeric key result; need {SYNC_KRS}")
    bench_env = {**os.environ, "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "b@example.com",
                 "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "b@example.com",
                 "GIT_AUTHOR_DATE": "2027-01-04T07:00:00+00:00",
                 "GIT_COMMITTER_DATE": "2027-01-04T07:00:00+00:00"}
    subprocess.run(["git", "commit", "--quiet", "-am", "Name the sources"], cwd=clone,
                   env=bench_env, check=True)
    argv, env = goalsrepo_command()
    env = {**(env or os.environ), "JIRA_USER": "bench@example.com", "JIRA_TOKEN": "token"}
    time.sleep(1.5)  # let the file cache trust the files just written
    subprocess.run([*argv, "status", "-C", str(clone)], cwd=clone, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    _SYNC_CLONES[repo] = (clone, env)
    return clone, env


def _jira_stub() -> int:
    """Jira Cloud's ``POST /rest/api/3/search/approximate-count`` on 127.0.0.1: a count
    for each JQL (its project number plus 1,000), so every key result moves."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Jira(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            count = 1000 + int(body["jql"].rsplit("P", 1)[1])
            payload = json.dumps({"count": count}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Jira)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return int(server.server_address[1])


def status_sources(repo: Path) -> Run:
    """``goalsrepo status`` of the repository ``sync`` works on, caches warm."""
    clone, env = _sync_clone(repo)
    argv, _ = goalsrepo_command()
    return lambda: run_process([*argv, "status", "-C", str(clone)], clone, env)


def sync_sources(repo: Path) -> Run:
    """``goalsrepo sync`` of 2,000 key results naming 50 Jira queries (50 requests) on a
    local server; every value moves, so 2,000 files are written. Each run starts from the
    committed values (``git checkout``, not timed)."""
    clone, env = _sync_clone(repo)
    argv, _ = goalsrepo_command()

    def run() -> Sample:
        subprocess.run(["git", "checkout", "--quiet", "--", "goals"], cwd=clone, check=True)
        return run_process([*argv, "sync", "-C", str(clone)], clone, env)

    return run


BUILT = re.compile(r"Built (\d+) pages \((\d+) rendered\) in [\d.]+ s \(([\d.]+) s reading")


def pages_per_second(result: Result) -> tuple[float, float] | None:
    """Pages rendered (median) and pages per second of the whole process, less reading
    history (median), from the ``Built ...`` line of each run."""
    rates = []
    for sample in result.samples:
        found = BUILT.search(sample.output_tail)
        if found:
            rendered, history = int(found.group(2)), float(found.group(3))
            rates.append((rendered, rendered / max(sample.seconds - history, 1e-9)))
    if not rates:
        return None
    return statistics.median(r for r, _ in rates), statistics.median(p for _, p in rates)


def build_note(result: Result) -> str:
    rate = pages_per_second(result)
    return "" if rate is None else f"{rate[0]:.0f} pages rendered, {rate[1]:.0f} pages/s"


def _some_goal(repo: Path) -> str:
    first = next((repo / "goals").rglob("*.yaml"))
    match = re.search(r"^id: (\S+)", first.read_text(), re.M)
    assert match, first
    return match.group(1)


BENCHES = (
    Bench(
        "validate",
        "goalsrepo validate -C REPO",
        validate,
        ok_codes=frozenset({0, 1}),
        compare_to="check-jsonschema",
    ),
    Bench(
        "check-jsonschema",
        "check-jsonschema --schemafile schemas/goal.json goals/**/*.yaml",
        check_jsonschema,
    ),
    Bench(
        "floor",
        "git log --first-parent --raw -z --no-abbrev -- goals + git cat-file --batch",
        git_floor,
    ),
    Bench("history", "goalsrepo history GOAL, no cache (every goal's history)", history_cold,
          compare_to="floor"),
    Bench("history-git", "goalsrepo's git reading alone (log + blobs, no parsing)",
          history_git, compare_to="floor"),
    Bench("status", "goalsrepo status, no cache", status_cold, compare_to="floor"),
    Bench("incremental-floor", "python: import click, jinja2, yaml; stat goals/; "
          "git diff-tree -r HEAD", incremental_floor),
    Bench("status-after-commit", "goalsrepo status after one new commit, cached",
          status_after_commit, compare_to="incremental-floor"),
    Bench("jinja-floor", "one Jinja2 template + markdown-it, as many pages as the site",
          jinja_floor),
    Bench("build", "goalsrepo build, cold site (history cache warm)", build_cold,
          compare_to="jinja-floor"),
    Bench("build-after-commit", "goalsrepo build after one new check-in, cached",
          build_after_commit, compare_to="incremental-floor"),
    Bench("build-after-current-commit", "the same, checking in on a goal of the current "
          "period", functools.partial(build_after_commit, current=True),
          compare_to="incremental-floor"),
    Bench("build-unchanged", "goalsrepo build with no new commit since the last build",
          build_unchanged, compare_to="incremental-floor"),
    Bench("status-sources", "goalsrepo status of the repository sync works on, cached",
          status_sources),
    Bench("sync", "goalsrepo sync: 2,000 KRs, 50 Jira queries on 127.0.0.1, all move",
          sync_sources, compare_to="status-sources"),
)


# --- measuring and reporting -----------------------------------------------------------


def progress(text: str) -> None:
    """One self-overwriting status line on stderr, when stderr is a terminal."""
    if sys.stderr.isatty():
        print(f"\r{text:<50}", file=sys.stderr, end="\r", flush=True)


PAIRED_FLOORS = ("floor", "incremental-floor")


def measure(bench: Bench, size: str, repo: Path, runs: int) -> Result:
    result = Result(size, bench.name, bench.what, compare_to=bench.compare_to)
    try:
        run = bench.prepare(repo)
    except Unavailable as exc:
        result.unavailable = str(exc)
        return result
    floor = None
    if bench.compare_to in PAIRED_FLOORS:
        floor = next(b for b in BENCHES if b.name == bench.compare_to).prepare(repo)
    for i in range(runs):
        progress(f"{size} {bench.name} run {i + 1}/{runs}")
        if floor is not None:
            result.floor_samples.append(floor())
        sample = run()
        result.samples.append(sample)
        if sample.exit_code not in bench.ok_codes:
            print(
                f"\n{bench.name} exited {sample.exit_code}:\n{sample.output_tail}", file=sys.stderr
            )
    return result


def add_ratios(results: list[Result]) -> None:
    """Each result's median over the median of the floor it compares to, same size: of the
    floor runs paired with its own, when it took turns with the floor; for a build against
    the Jinja2 floor, its pages per second over the floor's."""
    by_name = {(r.size, r.bench): r for r in results if r.samples}
    for r in results:
        if r.samples and r.floor_samples:
            r.ratio = r.median / statistics.median(s.seconds for s in r.floor_samples)
            continue
        base = by_name.get((r.size, r.compare_to or ""))
        if not r.samples or base is None:
            continue
        if r.compare_to == "jinja-floor":
            mine, floor = pages_per_second(r), pages_per_second(base)
            r.ratio = mine[1] / floor[1] if mine and floor else None
        else:
            r.ratio = r.median / base.median


def table(results: list[Result]) -> str:
    """A plain-text table of the measured results, then one line per unavailable command."""
    header = ("size", "command", "runs", "median s", "min s", "max s", "peak MiB", "exit", "ratio",
              "note")
    rows = [header]
    notes = []
    for r in results:
        if r.unavailable:
            notes.append(f"{r.size} {r.bench}: unavailable: {r.unavailable}")
            continue
        secs = r.seconds
        rows.append(
            (
                r.size,
                r.bench,
                str(len(secs)),
                f"{r.median:.3f}",
                f"{min(secs):.3f}",
                f"{max(secs):.3f}",
                f"{r.max_rss_mib:.0f}",
                ",".join(map(str, r.exit_codes)),
                _ratio_text(r),
                r.note,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    return "\n".join(lines + notes)


def _ratio_text(r: Result) -> str:
    if r.ratio is None:
        return ""
    unit = " pages/s of" if r.compare_to == "jinja-floor" else ""
    paired = ", paired" if r.floor_samples else ""
    return f"{r.ratio:.2f}x{unit} {r.compare_to}{paired}"


def repo_facts(repo: Path) -> dict[str, object]:
    marker = repo / ".git" / "goalsrepo-benchmark.json"
    facts: dict[str, object] = json.loads(marker.read_text()) if marker.is_file() else {}
    facts["goal_files"] = len(goal_files(repo))
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True)
    facts["head"] = head.stdout.strip()
    return facts


def machine() -> dict[str, object]:
    git = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    return {
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "git": git,
    }


def to_json(results: list[Result], repos: dict[str, dict[str, object]]) -> dict[str, object]:
    entries = []
    for r in results:
        entry: dict[str, object] = {"size": r.size, "command": r.bench, "what": r.what}
        if r.unavailable:
            entry["unavailable"] = r.unavailable
        else:
            entry |= {
                "runs": len(r.samples),
                "median_s": round(r.median, 4),
                "min_s": round(min(r.seconds), 4),
                "max_s": round(max(r.seconds), 4),
                "peak_rss_mib": round(r.max_rss_mib, 1),
                "exit_codes": r.exit_codes,
                "ratio": None if r.ratio is None else round(r.ratio, 3),
                "compare_to": r.compare_to,
                "note": r.note,
                "samples": [
                    {"seconds": s.seconds, "max_rss_kib": s.max_rss_kib, "exit_code": s.exit_code}
                    for s in r.samples
                ],
            }
            if r.floor_samples:
                entry["paired_floor_s"] = [s.seconds for s in r.floor_samples]
        entries.append(entry)
    return {"version": 1, "machine": machine(), "repos": repos, "results": entries}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    names = [b.name for b in BENCHES]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="S,M,L", help="comma-separated sizes (default S,M,L)")
    parser.add_argument("--only", default=",".join(names), help=f"commands, of {','.join(names)}")
    parser.add_argument("--runs", type=int, default=5, help="runs per command (default 5)")
    parser.add_argument("--repos", type=Path, default=REPOS, help="where the repos are")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    unknown = set(args.only.split(",")) - set(names)
    if unknown:
        parser.error(f"unknown command(s) {', '.join(sorted(unknown))}; known: {', '.join(names)}")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    only = args.only.split(",")
    results: list[Result] = []
    repos: dict[str, dict[str, object]] = {}
    compile_bytecode()
    for size in args.size.split(","):
        repo = args.repos.resolve() / size  # the benches run in the repository
        if not (repo / ".git").is_dir():
            print(
                f"{repo} is missing: python benchmarks/generate.py --size {size}", file=sys.stderr
            )
            continue
        repos[size] = repo_facts(repo)
        for bench in BENCHES:
            if bench.name in only:
                results.append(measure(bench, size, repo, args.runs))
    progress("")
    add_ratios(results)
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(to_json(results, repos), indent=2) + "\n")
    return 0 if results else 1


if __name__ == "__main__":
    sys.exit(main())
