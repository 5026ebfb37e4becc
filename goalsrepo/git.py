"""Every call to git lives here (the pre-commit habit): one place to audit argv and env.

GitPython finds the repository and runs the git binary. It is imported lazily because
`validate` on a large repository must not pay its import time when no history is needed.
Revision strings and paths from users never reach git's argv where they could be read as
options: callers pass paths after ``--`` and revisions through :func:`resolve`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
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
