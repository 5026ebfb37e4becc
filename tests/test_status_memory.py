"""The numbers status, tree and export keep between runs (memory.recall): after a
check-in, a changed configuration, a damaged memory or a rewritten history, what they print
is what a run with no cache at all prints."""

from __future__ import annotations

import shutil
from pathlib import Path

from gitrepo import Repo, day, goal, new_repo, numeric, run_cli
from test_cache import LONG_AGO, age

from goalsrepo.web.memory import STATUS_FILE

COMMANDS = (("status", "--format", "json"), ("tree", "--format", "json"),
            ("export", "--format", "csv"), ("status",))


def outputs(root: Path) -> list[tuple[int, str]]:
    found = []
    for command in COMMANDS:
        result = run_cli(*command, "-C", str(root))
        found.append((result.exit_code, result.stdout))
    return found


def assert_as_cold(repo: Repo, tmp_path: Path, name: str) -> None:
    """What the repository's caches give equals what a copy without them gives."""
    warm = outputs(repo.root)
    cold_root = tmp_path / name
    shutil.copytree(repo.root, cold_root, symlinks=True)
    shutil.rmtree(cold_root / ".git" / "goalsrepo", ignore_errors=True)
    assert outputs(cold_root) == warm


def settle(root: Path, step: int) -> None:
    """Settle the work tree at another old moment at each step: a folder's time moves when
    a file is added to it, so it never goes back to what a cache saw."""
    age(root, LONG_AGO + 100 * step)


def company(tmp_path: Path) -> Repo:
    """An objective without key results over two goals (it takes their progress), and a
    goal on its own."""
    r = new_repo(tmp_path / "repo")
    r.write_yaml("goals/org/north.yaml", goal("north", level="organization", period="2026-Q4"))
    r.write_yaml("goals/platform/a.yaml", goal(
        "a", period="2026-Q4", aligns_to=["north"], key_results=[numeric("k", 0, 10, 2)]))
    r.write_yaml("goals/platform/b.yaml", goal(
        "b", period="2026-Q4", aligns_to=["north"], key_results=[numeric("k", 0, 4, 1)]))
    r.write_yaml("goals/sales/c.yaml", goal(
        "c", period="2026-Q4", key_results=[numeric("deals", 0, 8, 3)]))
    r.commit("Goals", date=day("2026-10-01"))
    settle(r.root, 0)
    return r


def test_numbers_kept_between_runs_are_those_of_a_cold_run(tmp_path: Path) -> None:
    r = company(tmp_path)
    assert_as_cold(r, tmp_path, "cold-0")
    memory = r.root / ".git" / "goalsrepo" / STATUS_FILE
    assert memory.is_file()
    # A check-in on a goal nothing rolls up from, then one that moves the objective.
    for step, (path, kr, value, when) in enumerate([
            ("goals/sales/c.yaml", "deals", 5, "2026-10-08"),
            ("goals/platform/a.yaml", "k", 7, "2026-10-09"),
            ("goals/platform/b.yaml", "k", 4, "2026-10-09")], start=1):
        before = memory.read_bytes()
        r.update_kr(path, kr, current=value)
        r.commit(f"Check in {kr}", date=day(when))
        settle(r.root, step)
        assert_as_cold(r, tmp_path, f"cold-{step}")
        assert memory.read_bytes() != before
    # An uncommitted check-in shows at once, as in a cold run.
    r.update_kr("goals/sales/c.yaml", "deals", current=8)
    assert_as_cold(r, tmp_path, "cold-uncommitted")


def test_a_changed_configuration_or_a_damaged_memory_recomputes(tmp_path: Path) -> None:
    r = company(tmp_path)
    outputs(r.root)
    config = r.read_yaml("goalsrepo.yaml")
    config["checkin_days"] = 3  # every goal's staleness changes, no goal file does
    r.write_yaml("goalsrepo.yaml", config)
    r.commit("Check in more often", date=day("2026-10-20"))
    settle(r.root, 1)
    assert_as_cold(r, tmp_path, "cold-config")
    memory = r.root / ".git" / "goalsrepo" / STATUS_FILE
    for number, damage in enumerate([b"", b"\x00garbage", memory.read_bytes()[:100]]):
        memory.write_bytes(damage)
        r.update_kr("goals/sales/c.yaml", "deals", current=4 + number)
        r.commit(f"Check in {number}", date=day("2026-10-21"))
        settle(r.root, 2 + number)
        assert_as_cold(r, tmp_path, f"cold-damaged-{number}")


def test_duplicate_ids_and_time_travel_compute_everything(tmp_path: Path) -> None:
    r = company(tmp_path)
    outputs(r.root)
    r.write_yaml("goals/sales/c-copy.yaml", goal(
        "c", period="2026-Q4", key_results=[numeric("deals", 0, 8, 6)]))
    r.commit("A copy of c", date=day("2026-10-10"))
    settle(r.root, 1)
    assert_as_cold(r, tmp_path, "cold-duplicate")
    memory = r.root / ".git" / "goalsrepo" / STATUS_FILE
    kept = memory.read_bytes()
    past = run_cli("status", "--format", "json", "--as-of", "2026-10-05", "-C", str(r.root))
    assert past.exit_code == 0 and '"as_of": "2026-10-05"' in past.stdout
    assert memory.read_bytes() == kept  # the past is not remembered over the present
