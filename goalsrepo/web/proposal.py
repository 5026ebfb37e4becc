"""What the site's "Propose a goal" form needs to know, as one script asset.

The form (``templates/assets/propose.js``) writes a goal file in the browser and checks it
by the rules ``validate`` applies to a new goal. The rules come from the goal schema itself
(id patterns, levels, kinds) and from the repository (the ids taken, the people, teams and
periods a reference may name), so the form and ``validate`` cannot drift apart. One asset
serves every page that shows the form; it changes, and is written again, only when the
data does.
"""

from __future__ import annotations

from typing import Any

from goalsrepo.files import schema
from goalsrepo.integrations.forge import Forge
from goalsrepo.validate import WINDOWS_RESERVED
from goalsrepo.web.pages import SiteData

ASSET = "assets/propose-data.js"
FORGE_NAMES = {"github": "GitHub", "gitlab": "GitLab", "gitea": "Gitea",
               "bitbucket": "Bitbucket"}


def form_data(data: SiteData, found: Forge | None) -> dict[str, Any]:
    goal = schema.load("goal")
    defs = goal["$defs"]
    forge = None
    if found is not None:
        prefix, name_key, content_key = found.new_file_parts()
        forge = {"name": FORGE_NAMES[found.kind], "page": prefix, "name_key": name_key,
                 "content_key": content_key}
    return {
        "rules": {
            "goal_id": defs["goal_id"]["pattern"], "ref": defs["ref"]["pattern"],
            "levels": goal["properties"]["level"]["enum"],
            "keep": defs["key_result"]["properties"]["keep"]["enum"],
            "reserved": sorted(WINDOWS_RESERVED),
        },
        "goals": [[gid, s.goal.title] for gid, s in sorted(data.statuses.items())],
        "people": [[p.id, p.name] for p in sorted(data.people.values(),
                                                  key=lambda p: p.name.lower())]
        if data.people else None,
        "teams": [[t.id, t.name] for t in data.teams.values()] if data.teams else None,
        "periods": [p.id for p in data.config.periods],
        "goals_dir": data.config.goals_dir,
        "forge": forge,
    }

