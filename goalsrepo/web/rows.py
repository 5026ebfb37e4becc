"""The rows of the site's long lists, remembered between builds.

After one check-in at 10,000 goals a build draws again the alignment map (a row per
goal) and the quarter's page (its scores, goals rolled over, wins and goal tables): some
20,000 rows, of which a handful changed. Each row's HTML is kept under a key made of
everything it shows (a goal's card key, the win, the root of the page, ...), so drawing
such a page again is mostly a join of remembered rows. The shape of the alignment map
(which goal goes where) is kept here too, under a digest of the alignment and levels.

The rows are kept with the digest of the build's global key (goalsrepo's version, the
templates and the modules that write HTML, config, people, teams, base URL, T): any
change there forgets them all. Only the rows a build used are kept for the next, so
the file holds about the rows of the pages the last build drew; it is written again only
when a build drew a tenth of its rows afresh. Rows drawn by forked workers (a large build
shares its pages out) are not kept; the next build draws them again. A file that is
missing, damaged or of another version or key is not trusted.
"""

from __future__ import annotations

import contextlib
import marshal
from collections.abc import Hashable
from pathlib import Path
from typing import Any

from goalsrepo.gitlog.cache import read_file, write_file

VERSION = 1
FILE = "rows.marshal"


class Rows:
    """A memo of rows: :meth:`get` the row of a key, else draw it and :meth:`put` it."""

    def __init__(self, folder: Path | None, key: bytes) -> None:
        self.path = folder / FILE if folder is not None else None
        self.key = key
        self._before: dict[Hashable, Any] = {}
        self._now: dict[Hashable, Any] = {}
        self._drawn = 0  # rows put this build
        if self.path is None:
            return
        try:
            version, stored, rows = marshal.loads(read_file(self.path))
            if version == VERSION and stored == key and isinstance(rows, dict):
                self._before = rows
        except Exception:  # missing, truncated, corrupt or foreign: draw every row
            pass

    def get(self, key: Hashable) -> Any:
        found = self._now.get(key)
        if found is None:
            found = self._before.get(key)
            if found is not None:
                self._now[key] = found
        return found

    def put(self, key: Hashable, row: Any) -> Any:
        self._now[key] = row
        self._drawn += 1
        return row

    def save(self) -> None:
        """Keep the rows this build used, unless it drew fewer than a tenth of them afresh:
        then the file kept already serves the next build about as well (it redraws those
        few rows), and a build after a check-in need not write 10 MB. A build that used no
        row keeps the last one's."""
        if self.path is None or not self._now or self._drawn * 10 < len(self._now):
            return
        with contextlib.suppress(OSError, ValueError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_file(self.path, marshal.dumps((VERSION, self.key, self._now)))
