"""The code passes the linters pyproject.toml configures: ruff over the tree, and mypy
(``strict``) over the package. Run here, the configuration is kept by every CI run rather
than by whoever remembers to run them: a lost type narrowing once passed a green CI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("argv", [["ruff", "check", "."], ["mypy", "goalsrepo"]],
                         ids=["ruff", "mypy"])
def test_the_code_passes_its_linters(argv: list[str]) -> None:
    found = subprocess.run([sys.executable, "-m", *argv], cwd=PROJECT, capture_output=True,
                           text=True, timeout=900, check=False)
    assert found.returncode == 0, found.stdout + found.stderr
