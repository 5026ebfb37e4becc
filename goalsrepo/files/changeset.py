"""Files written all or nothing: ``close``, ``rollover`` and ``import`` change several goal
files (and ``goalsrepo.yaml`` or ``people.yaml``), and ``checkin`` one; a half-written
quarter, import or goal file would be worse than none.

Every file is first written in full to a temporary file beside its target; only when all
of them are written are they renamed into place (a rename within a folder is atomic). If
any cannot be written, the temporary files and the folders made for them are removed and
nothing of the change is left.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from goalsrepo.errors import GoalsrepoError


class WriteError(GoalsrepoError):
    """A file of the change could not be written: none of them was."""


@dataclass(frozen=True)
class FileChange:
    """The new text of ``path`` (relative to the root); ``new`` files must not exist."""

    path: str
    text: str
    new: bool = False


def apply(root: Path, changes: list[FileChange]) -> None:
    """Write every change or none (see the module's docstring)."""
    made: list[Path] = []  # folders made for new files, outermost first
    staged: list[tuple[str, Path]] = []
    try:
        for change in changes:
            target = root / change.path
            if change.new and os.path.lexists(target):
                raise WriteError(f"{change.path} exists already: nothing was written")
            made.extend(_make_folders(target.parent))
            tmp = str(target.parent / f".goalsrepo-{uuid.uuid4().hex}.tmp")
            # Created as any new file is (0o666 less the umask), then given the mode of
            # the file it replaces: a goal file must not turn private by being edited.
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            staged.append((tmp, target))
            # Bytes, not text mode: no newline translation, so an edit changes its lines only.
            with os.fdopen(fd, "wb") as fh:
                fh.write(change.text.encode("utf-8"))
            if not change.new and target.exists():
                os.chmod(tmp, target.stat().st_mode & 0o7777)
        for tmp, target in staged:
            os.replace(tmp, target)
    except OSError as exc:
        _undo(staged, made)
        where = exc.filename or "a file"
        raise WriteError(f"cannot write {where}: {exc.strerror or exc}; nothing was written"
                         ) from None
    except BaseException:
        _undo(staged, made)
        raise


def _make_folders(folder: Path) -> list[Path]:
    """Make ``folder`` and its missing parents; the ones made, outermost first."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir()
    return list(reversed(missing))


def _undo(staged: list[tuple[str, Path]], made: list[Path]) -> None:
    for tmp, _ in staged:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    for folder in reversed(made):
        with contextlib.suppress(OSError):
            folder.rmdir()
