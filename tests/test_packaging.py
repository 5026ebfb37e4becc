"""The wheel carries everything a user needs: schemas and example goals inside the package.

Built and installed into a fresh virtualenv outside the checkout, so nothing can be
picked up from the source tree by accident.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The wheel, and what the build printed (``-v`` passes on the build backend's
    warnings)."""
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(out), str(ROOT)],
        check=True, capture_output=True, text=True,
    )
    (found,) = out.glob("goalsrepo-*.whl")
    return found, done.stdout + done.stderr


@pytest.fixture(scope="module")
def wheel(built: tuple[Path, str]) -> Path:
    return built[0]


def test_wheel_holds_schemas_and_example_goals(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for kind in ("goal", "config", "people", "teams"):
        assert f"goalsrepo/schemas/{kind}.json" in names
    assert "goalsrepo/example_goals/goalsrepo.yaml" in names
    assert any(n.startswith("goalsrepo/example_goals/goals/") and n.endswith(".yaml")
               for n in names)
    assert "goalsrepo/py.typed" in names


@pytest.mark.parametrize(("folder", "package"), [("schemas", "schemas"),
                                                 ("templates", "templates"),
                                                 ("example-goals", "example_goals")])
def test_wheel_holds_every_data_file(wheel: Path, folder: str, package: str) -> None:
    """Templates' assets and the demo's goals sit in subfolders, which setuptools ships
    only when each is listed as a package."""
    names = set(zipfile.ZipFile(wheel).namelist())
    tracked = subprocess.run(["git", "ls-files", "-z", "--", folder], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.split("\0")
    data = [n.removeprefix(f"{folder}/") for n in tracked if n]
    assert len(data) > 3
    assert [n for n in data if f"goalsrepo/{package}/{n}" not in names] == []


def test_the_build_warns_of_no_unlisted_package(built: tuple[Path, str]) -> None:
    """A data folder setuptools would have to guess about is one a later setuptools may
    leave out of the wheel."""
    # The banner of setuptools' warning, in its older ("as data is deprecated") and newer
    # ("absent from the `packages` configuration") wordings alike.
    assert "Package would be ignored" not in built[1]


def test_installed_wheel_runs_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    subprocess.run([str(bindir / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
                   check=True)
    exe = str(bindir / "goalsrepo")
    work = tmp_path / "elsewhere"
    work.mkdir()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([exe, *args], cwd=work, capture_output=True, text=True)

    schema = run("schema", "goal")
    assert schema.returncode == 0, schema.stderr
    assert json.loads(schema.stdout)["$schema"].endswith("2020-12/schema")
    init = run("init", "acme")
    assert init.returncode == 0, init.stderr
    validate = run("validate", "-C", "acme", "--format", "json")
    report = json.loads(validate.stdout)
    assert (validate.returncode, report["errors"], report["warnings"]) == (0, 0, 0)
    assert report["files"] > 10
