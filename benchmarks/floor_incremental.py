"""The incremental floor: what any tool must do to notice one new commit.

    python benchmarks/floor_incremental.py REPO

A Python process that imports click, jinja2 and yaml, stats every file under goals/ and
runs ``git diff-tree -r HEAD`` once. ``run.py`` times it as a whole process.
"""

import os
import subprocess
import sys

import click  # noqa: F401  (imported for its cost, as goalsrepo imports it)
import jinja2  # noqa: F401
import yaml  # noqa: F401

root = sys.argv[1]
for folder, _, names in os.walk(os.path.join(root, "goals")):
    for name in names:
        os.stat(os.path.join(folder, name))
subprocess.run(["git", "diff-tree", "-r", "HEAD"], cwd=root, check=True,
               stdout=subprocess.DEVNULL)
