"""Every call to git lives here (the pre-commit habit): one place to audit argv and env.

Commands that write (init, commit, merge) run through GitPython. The readers of history
run git directly with :mod:`subprocess` and stream bytes: they sit on the hot path of
``status`` and ``build``, where GitPython's import alone (about 0.2 s) would spend a fifth
of the budget for a rebuild after one commit (SPEC §7).

User input never reaches git's argv where it could be read as an option: paths come after
``--``, and revisions are checked by :func:`resolve` before use.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from goalsrepo.errors import GoalsrepoError


class GitError(GoalsrepoError):
    """git is missing or a git command failed."""


def _git(cwd: Path):  # type: ignore[no-untyped-def]
    try:
        import git as gitpython
    except ImportError as exc:  # pragma: no cover - GitPython is a dependency
        raise GitError(f"GitPython is not installed: {exc}") from exc
    try:
        return gitpython.Git(str(cwd))
    except Exception as exc:  # GitPython raises if the git binary is missing
        raise GitError(f"git is not available: {exc}") from exc


def run(
    cwd: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
) -> str:
    """Run ``git ARGS`` in ``cwd`` and return its standard output as text."""
    import git as gitpython

    full_env = {**os.environ, **(env or {})}
    try:
        return _git(cwd).execute(  # type: ignore[no-any-return]
            ["git", *args],
            env=full_env,
            strip_newline_in_stdout=False,
        )
    except gitpython.GitCommandError as exc:
        stderr = (exc.stderr or "").strip().removeprefix("stderr:").strip().strip("'")
        raise GitError(f"git {args[0]} failed: {stderr or exc}") from exc
    except gitpython.GitCommandNotFound as exc:
        raise GitError("git is not installed or not on PATH") from exc


def in_repository(path: Path) -> bool:
    """Whether ``path`` is inside a git work tree, by looking for ``.git`` upwards.

    Needs no git process and no GitPython import, so ``validate`` stays fast.
    """
    current = path.resolve()
    return any((p / ".git").exists() for p in (current, *current.parents))


def toplevel(path: Path) -> Path | None:
    """The root of the work tree holding ``path``, or None when it is not in a repository."""
    try:
        out = run(path, "rev-parse", "--show-toplevel")
    except GitError:
        return None
    return Path(out.strip())


def init(path: Path) -> None:
    """Create a repository whose first branch is ``main``, whatever the user's git default."""
    run(path, "init", "--quiet", "--initial-branch=main")


def dated_env(name: str, email: str, date: str) -> dict[str, str]:
    """Environment that pins author and committer to one identity and date.

    Pinned identities and dates make commit ids reproducible (``init --demo``, tests,
    benchmarks) whatever the user's own git configuration says.
    """
    return {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
        "GIT_COMMITTER_DATE": date,
    }


def commit_all(path: Path, message: str, env: Mapping[str, str]) -> str:
    """Stage every change under ``path``, commit it with ``env``, return the commit id."""
    run(path, "add", "--all", "--", ".", env=env)
    run(
        path,
        "-c", "commit.gpgsign=false",
        "commit", "--quiet", "--no-verify", "--allow-empty", "-m", message,
        env=env,
    )
    return run(path, "rev-parse", "HEAD").strip()


def commit_files(path: Path, files: Iterable[str], message: str, *,
                 author: str | None = None, env: Mapping[str, str] | None = None,
                 ) -> str | None:
    """Commit exactly ``files`` (new or changed; anything else staged stays staged) and
    return the commit id, or None when none of them changed.

    Every command that commits goal files (checkin, sync, close, rollover, import) comes
    here. ``author`` ("Name <email>") credits someone other than the committer: a check-in
    submitted through the forge. ``env`` pins author and committer for a commit no person
    makes (``sync`` as ``sync.author``), which then never waits on a hook or a signing
    prompt.
    """
    paths = list(files)
    run(path, "add", "--", *paths, env=env)
    if not run(path, "status", "--porcelain", "--", *paths).strip():
        return None
    unattended = ["-c", "commit.gpgsign=false"] if env else []
    options = [*(["--no-verify"] if env else []), *([f"--author={author}"] if author else [])]
    run(path, *unattended, "commit", "--quiet", *options, "-m", message, "--only", "--",
        *paths, env=env)
    return run(path, "rev-parse", "HEAD").strip()


# One record per commit: a separator, then id, parents, author name, e-mail, date, message.
LOG_FORMAT = "%x1e%H%x00%P%x00%an%x00%ae%x00%aI%x00%B"


def _read(cwd: Path, *args: str, check: bool = True, stdin: bytes | None = None) -> bytes:
    """Run a read-only git command and return its raw standard output.

    Input comes from a temporary file and errors go to another, so the output is taken in
    one read: feeding and polling pipes (``communicate``) made reading history several
    times slower than git itself.
    """
    with tempfile.TemporaryFile() as given, tempfile.TemporaryFile() as errors:
        if stdin is not None:
            given.write(stdin)
            given.seek(0)
        try:
            proc = subprocess.Popen(
                ["git", *args], cwd=cwd, stdin=given if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=errors,
                env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"},
            )
        except FileNotFoundError as exc:
            raise GitError("git is not installed or not on PATH") from exc
        assert proc.stdout is not None
        with proc.stdout:
            out = proc.stdout.read()
        if proc.wait() != 0 and check:
            errors.seek(0)
            message = errors.read().decode("utf-8", "replace").strip().splitlines()
            raise GitError(f"git {args[0]} failed: {message[-1] if message else proc.returncode}")
    return out


def locate(cwd: Path) -> tuple[Path, bool, str | None] | None:
    """The git directory (shared by worktrees: where caches live), whether the clone is
    shallow, and HEAD's commit id (None before the first commit), in one ``rev-parse``;
    None when git finds no repository at ``cwd``."""
    out = _read(cwd, "rev-parse", "--git-common-dir", "--is-shallow-repository",
                "--verify", "--quiet", "HEAD", check=False)
    lines = out.decode("utf-8", "surrogateescape").splitlines()
    if len(lines) < 2:
        return None
    return (cwd / lines[0]).resolve(), lines[1] == "true", lines[2] if len(lines) > 2 else None


def author_date(cwd: Path, commit: str) -> str:
    """A commit's author date (ISO 8601)."""
    return _read(cwd, "log", "-1", "--format=%aI", "--end-of-options", commit,
                 "--").decode().strip()


def resolve(cwd: Path, revision: str) -> str:
    """The commit id a revision names; refuses anything git could read as an option."""
    if not revision or revision.startswith("-"):
        raise GitError(f"not a revision: {revision!r}")
    out = _read(cwd, "rev-parse", "--verify", "--quiet", "--end-of-options",
                f"{revision}^{{commit}}", check=False)
    if not out.strip():
        raise GitError(f"unknown revision {revision!r}")
    return out.decode().strip()


def first_parent_log(cwd: Path, pathspec: str, since: str | None = None,
                     until: str = "HEAD", since_date: str | None = None) -> bytes:
    """``git log --first-parent --raw`` over ``pathspec``, newest first, as raw bytes.

    With ``since``, only the commits after it (``since..until``); with ``since_date``, only
    commits committed on or after it (a superset of those authored since then). Since git
    2.31, --first-parent shows a merge's changes against its first parent; ``-m`` or
    ``--reverse`` would make git itself a fifth slower, so the caller reverses the list.
    """
    revision = f"{since}..{until}" if since else until
    dates = [f"--since={since_date}"] if since_date else []
    return _read(cwd, "log", *dates, "--first-parent", "--raw", "-z", "--no-abbrev",
                 "--no-renames", "--no-color", f"--format={LOG_FORMAT}", "--end-of-options",
                 revision, "--", pathspec)


def first_parent_dates(cwd: Path) -> list[tuple[str, str]]:
    """(commit, author date) of the first-parent chain of HEAD, newest first."""
    out = _read(cwd, "log", "--first-parent", "--format=%H %aI", "HEAD", "--")
    return [tuple(line.split(" ", 1)) for line in out.decode().splitlines()]  # type: ignore[misc]


def commit_graph(cwd: Path, revisions: Iterable[str]) -> bytes:
    """Id, parents, author name and e-mail of every commit reachable from ``revisions``.

    Used once to credit a merge to the authors of the commits it brought in.
    """
    return _read(cwd, "log", "--format=%H%x00%P%x00%an%x00%ae%x00", "--end-of-options",
                 *revisions, "--")


def tree_files(cwd: Path, commit: str) -> list[tuple[str, str]]:
    """(path, blob id) of every file in a commit's tree."""
    out = _read(cwd, "ls-tree", "-r", "-z", "--full-tree", "--end-of-options", commit)
    files = []
    for line in out.split(b"\x00"):
        if line:
            meta, path = line.split(b"\t", 1)
            kind, blob = meta.split()[1:3]
            if kind == b"blob":
                files.append((path.decode("utf-8", "surrogateescape"), blob.decode()))
    return files


def read_blobs(cwd: Path, blobs: Iterable[str], chunk: int = 16384,
               ) -> Iterator[tuple[str, bytes | None]]:
    """(blob id, content) for each id, read by ``git cat-file --batch`` a chunk at a time.

    A missing object yields None. Chunks bound memory at any repository size while
    keeping one git process per many thousand blobs, not one per blob.
    """
    ids = list(blobs)
    for start in range(0, len(ids), chunk):
        batch = ids[start:start + chunk]
        out = _read(cwd, "cat-file", "--batch", stdin="\n".join(batch).encode() + b"\n")
        pos = 0
        for blob in batch:
            end = out.index(b"\n", pos)
            header = out[pos:end].split()
            if len(header) < 3 or header[-1] == b"missing":
                yield blob, None
                pos = end + 1
                continue
            size = int(header[2])
            yield blob, out[end + 1:end + 1 + size]
            pos = end + 1 + size + 1



def first_parent_children(cwd: Path, since: str, until: str = "HEAD") -> list[list[str]]:
    """``[commit, parent, ...]`` for each first-parent commit after ``since``, oldest first."""
    out = _read(cwd, "rev-list", "--first-parent", "--reverse", "--parents",
                "--end-of-options", f"{since}..{until}", "--")
    return [line.split() for line in out.decode().splitlines()]


def tracked_files(cwd: Path, folder: str) -> list[str]:
    """Paths (from the work tree's root) of the files git tracks under ``folder``."""
    out = _read(cwd, "ls-files", "-z", "--full-name", "--", folder.rstrip("/") + "/")
    return [p.decode("utf-8", "surrogateescape") for p in out.split(b"\x00") if p]


def merge_base(cwd: Path, a: str, b: str) -> str:
    """The best common ancestor of two commit ids (a forge compares a branch with it)."""
    out = _read(cwd, "merge-base", "--end-of-options", a, b, check=False).decode().strip()
    if not out:
        raise GitError(f"{a[:10]} and {b[:10]} have no common history")
    return out
