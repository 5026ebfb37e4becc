"""One exception tree, mapped to the exit codes of SPEC §2 by the CLI.

Bad *goal files* are not exceptions: they are :class:`goalsrepo.diagnostics.Diagnostic`
values, so that every file is reported in one run. Exceptions are for when a command
cannot do its job at all (git missing, a target that exists, a shallow clone).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


class GoalsrepoError(Exception):
    """A command could not do its job; the message says why and what to do. Exit 1."""

    exit_code = EXIT_FAILURE
