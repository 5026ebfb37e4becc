"""Links into the forge that hosts the goals repository: a file's web editor and history, a
commit, a new file with its content filled in, and the check-in issue form.

Each forge spells these URLs its own way; they are all here, so a page never builds one by
hand. Only an ``http(s)`` ``repo_url`` without credentials makes links: the URL is printed
on every page of a public site, and anything else (``javascript:``, ``user:token@host``)
must not become an ``href``.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote, urlencode, urlsplit

import msgspec

FORGES = ("github", "gitlab", "gitea", "bitbucket")
# The forge of a well-known host; any other host (GitHub Enterprise, self-managed GitLab,
# Forgejo) names it with `forge:` in goalsrepo.yaml.
HOSTS = {"github.com": "github", "gitlab.com": "gitlab", "codeberg.org": "gitea",
         "bitbucket.org": "bitbucket"}
CHECKIN_FORM = "checkin.yml"  # .github/ISSUE_TEMPLATE/checkin.yml, written by `init`
# Each forge's (file editor, file history, commit) pages, below the repository's URL.
_URLS = {
    "github": ("{base}/edit/{ref}/{path}", "{base}/commits/{ref}/{path}", "{base}/commit/{sha}"),
    "gitlab": ("{base}/-/edit/{ref}/{path}", "{base}/-/commits/{ref}/{path}",
               "{base}/-/commit/{sha}"),
    "gitea": ("{base}/_edit/{ref}/{path}", "{base}/commits/branch/{ref}/{path}",
              "{base}/commit/{sha}"),
    "bitbucket": ("{base}/src/{ref}/{path}?mode=edit", "{base}/history-node/{ref}/{path}",
                  "{base}/commits/{sha}"),
}
# Forges whose new-file page takes the file's name and content from the query string.
_NEW_FILE_FIELDS = {"github": ("filename", "value"), "gitlab": ("file_name", "content"),
                    "gitea": ("filename", "value")}


def base_url(repo_url: str | None) -> str | None:
    """``repo_url`` as ``scheme://host/path`` without a trailing ``/`` or ``.git``, or None
    when it is not a plain http(s) URL (credentials, a query or a fragment make no link)."""
    if not repo_url:
        return None
    try:
        parts = urlsplit(repo_url.strip())
        port = parts.port  # a malformed port raises here
    except ValueError:
        return None
    if (parts.scheme.lower() not in ("http", "https") or not parts.hostname
            or parts.username is not None or parts.password is not None
            or parts.query or parts.fragment or any(c.isspace() for c in repo_url.strip())):
        return None
    path = parts.path.rstrip("/")
    if path.endswith(".git"):
        path = path[:-4]
    host = parts.hostname + (f":{port}" if port is not None else "")
    return f"{parts.scheme.lower()}://{host}{path}"


def infer(repo_url: str | None) -> str | None:
    """The forge of ``repo_url``'s host when it is one of :data:`HOSTS`."""
    base = base_url(repo_url)
    if base is None:
        return None
    host = (urlsplit(base).hostname or "").lower()
    return HOSTS.get(host.removeprefix("www."))


def _path(path: str) -> str:
    """A repository path in a URL: each segment percent-encoded (UTF-8), ``/`` kept."""
    return quote(path, safe="/")


class Forge(msgspec.Struct, frozen=True):
    """Where the goals repository lives: its web URL, which forge serves it, the branch
    that edits go to."""

    base: str
    kind: str
    branch: str = "main"

    @classmethod
    def of(cls, repo_url: str | None, kind: str | None, branch: str = "main") -> Forge | None:
        """The forge of a configuration, or None when links cannot be made: no (safe)
        ``repo_url``, or a host that is not well known and no ``forge`` named."""
        base = base_url(repo_url)
        found = kind or infer(repo_url)
        if base is None or found not in FORGES:
            return None
        return cls(base, found, branch)

    @property
    def _ref(self) -> str:
        return quote(self.branch, safe="/")

    def edit(self, path: str) -> str:
        """The web editor of the file at ``path`` on the default branch."""
        return _URLS[self.kind][0].format(base=self.base, ref=self._ref, path=_path(path))

    def history(self, path: str) -> str:
        """The commits that changed the file at ``path``, on the default branch."""
        return _URLS[self.kind][1].format(base=self.base, ref=self._ref, path=_path(path))

    def commit(self, sha: str) -> str:
        return _URLS[self.kind][2].format(base=self.base, sha=quote(sha, safe=""))

    @property
    def prefills_new_file(self) -> bool:
        """Whether :meth:`new_file` carries the content (else the page copies it)."""
        return self.kind in _NEW_FILE_FIELDS

    def new_file_parts(self) -> tuple[str, str | None, str | None]:
        """The new-file page's address before the folder (which follows, percent-encoded),
        and the query parameters that carry the file's name and content (None when the
        forge takes none: Bitbucket Cloud, where the address opens the folder)."""
        if self.kind == "bitbucket":
            return f"{self.base}/src/{self._ref}/", None, None
        page = {"github": "new", "gitlab": "-/new", "gitea": "_new"}[self.kind]
        name_key, content_key = _NEW_FILE_FIELDS[self.kind]
        return f"{self.base}/{page}/{self._ref}/", name_key, content_key

    def new_file(self, folder: str, name: str, content: str = "") -> str:
        """The page that creates ``folder/name`` on the default branch, with ``content``
        filled in where the forge takes it from the URL (GitHub, GitLab, Gitea); Bitbucket
        Cloud has no such URL, so this opens the folder and the site copies the content.
        The site's "Propose a goal" form builds the same address in the browser from
        :meth:`new_file_parts`."""
        prefix, name_key, content_key = self.new_file_parts()
        address = prefix + _path(folder.strip("/"))
        if name_key is None or content_key is None:
            return address
        return f"{address}?{urlencode({name_key: name, content_key: content}, quote_via=quote)}"

    @property
    def has_checkin_form(self) -> bool:
        """Only GitHub has the issue form and the workflow that `init` writes."""
        return self.kind == "github"

    def checkin(self, goal: str, path: str, lines: Iterable[str]) -> str:
        """The "Check in" action: on GitHub the check-in issue form with the goal and the
        current values filled in (issue forms take a field's value from the query
        parameter named by its ``id``); elsewhere the file's editor."""
        if not self.has_checkin_form:
            return self.edit(path)
        query = urlencode({"template": CHECKIN_FORM, "title": f"Check-in: {goal}",
                           "goal": goal, "values": "\n".join(lines)}, quote_via=quote)
        return f"{self.base}/issues/new?{query}"
