"""The CI files ``init`` writes into a user's repository, and the actions they pin.

A team copies these files into its own repository and trusts them with its goals, so they
must pass the ecosystem's own auditors (zizmor, the vendored JSON Schemas of
check-jsonschema) with nothing to report. The texts live as files under
``templates/repo/``, readable as the YAML they are; an action is written there as
``name@PINNED`` and becomes ``name@<full commit sha> # <version>``, the form Dependabot
keeps current. ``VERSION`` becomes the goalsrepo version that wrote them.
"""

from __future__ import annotations

import re
from importlib import resources

from goalsrepo import __version__

# Each action at the commit of its newest release: (commit, release tag). A tag can be
# moved; a commit cannot. The Dependabot config `init` writes proposes new pins.
ACTIONS: dict[str, tuple[str, str]] = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "actions/configure-pages": ("983d7736d9b0ae728b81ab479565c72886d7745b", "v5.0.0"),
    "actions/upload-pages-artifact": ("fc324d3547104276b827a68afc52ff2a11cc49c9", "v5.0.0"),
    "actions/deploy-pages": ("cd2ce8fcbc39b97be8ca5fce6e763baed58fa128", "v5.0.0"),
    "actions/upload-artifact": ("bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
}

# Where each file goes in the user's repository -> its template under templates/repo/,
# for each forge `init --ci` can write for. A repository lives on one forge, so the sets
# are exclusive; both share the pre-commit config.
CI_FILES: dict[str, dict[str, str]] = {
    "github": {
        ".github/workflows/goals.yml": "goals.yml",
        ".github/workflows/goals-weekly.yml": "goals-weekly.yml",
        ".github/workflows/goals-checkin.yml": "goals-checkin.yml",
        ".github/ISSUE_TEMPLATE/checkin.yml": "checkin-form.yml",
        ".github/dependabot.yml": "dependabot.yml",
        ".pre-commit-config.yaml": "pre-commit-config.yaml",
    },
    "gitlab": {
        ".gitlab-ci.yml": "gitlab-ci.yml",
        ".pre-commit-config.yaml": "pre-commit-config.yaml",
    },
}

_PINNED = re.compile(r"([A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+)@PINNED")


def uses(name: str) -> str:
    """``name@<sha> # <version>``: an action pinned to a full commit, as written."""
    sha, version = ACTIONS[name]
    return f"{name}@{sha} # {version}"


def render(template: str) -> str:
    """The text of ``templates/repo/<template>`` with its actions pinned and the goalsrepo
    version filled in. An action missing from :data:`ACTIONS` is a KeyError: a file is
    never written with an unpinned action."""
    text = (resources.files("goalsrepo.templates") / "repo" / template).read_text("utf-8")
    text = _PINNED.sub(lambda m: uses(m.group(1)), text)
    return text.replace("VERSION", __version__)


def ci_files(forge: str = "github") -> dict[str, str]:
    """Every CI file ``init --ci FORGE`` writes: path in the repository -> text."""
    return {path: render(template) for path, template in CI_FILES[forge].items()}
