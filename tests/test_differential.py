"""Issue 12: an incremental run gives exactly what a cold run gives (see differential.py).

Marked ``differential``: the short seed here takes about twenty seconds in the default
suite; the long run is ``python benchmarks/differential.py`` (thousands of steps, several
seeds).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from differential import Differential, differential

pytestmark = pytest.mark.differential


def test_incremental_runs_equal_cold_runs(tmp_path: Path) -> None:
    differential(tmp_path, seed=12, steps=12)


@pytest.mark.parametrize("name", ["0-goal-0.yaml", "zz-goal-0.yaml"])
def test_a_copied_goal_fails_the_next_build_and_leaves_the_site(tmp_path: Path,
                                                                 name: str) -> None:
    """The reproduction of issue 12: after a build, a copy of a goal file (sorting before
    or after the original) shares its id; the next build fails with GR110, as a cold one
    does, and leaves the previous site byte for byte (compare checks both)."""
    case = Differential(tmp_path / "repo", tmp_path, seed=1)
    case.setup()
    assert case.compare([("build",)])[("build",)].code == 0
    site = dict(case.site or {})
    original = case.root / "goals/platform/goal-0.yaml"
    shutil.copy2(original, original.with_name(name))
    outcomes = case.compare([("build",), ("validate",)])
    assert outcomes[("build",)].code == 1
    assert "GR110" in outcomes[("build",)].stderr
    assert outcomes[("validate",)].code == 1
    assert case.site == site
