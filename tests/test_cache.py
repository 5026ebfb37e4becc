"""The parsed-file cache of the work tree: reused when nothing changed, never when a file
or folder did, whatever the clock's resolution, and harmless when broken."""

from __future__ import annotations

import os
from pathlib import Path

from gitrepo import Repo, cli_json, day, goal, new_repo, numeric

from goalsrepo import __version__
from goalsrepo.gitlog.cache import FileCache, shard_of

A = "goals/platform/a.yaml"
LONG_AGO = 1_700_000_000  # 2023: far outside the one-second racy window


def age(root: Path, moment: int = LONG_AGO) -> None:
    """Give every file and folder an old modification time, as a settled work tree has."""
    for folder, _dirs, files in os.walk(root):
        if ".git" in Path(folder).parts:
            continue
        for name in files:
            os.utime(Path(folder) / name, (moment, moment))
        os.utime(folder, (moment, moment))


def currents(root: Path) -> dict[str, float]:
    payload = cli_json("status", "-C", str(root), "--format", "json")
    return {g["id"]: g["key_results"][0]["current"] for g in payload["goals"]}


def repo_with_goal(tmp_path: Path) -> Repo:
    r = new_repo(tmp_path / "repo")
    r.write_yaml(A, goal("a", period="2026-Q4", key_results=[numeric("k", 0, 10, 2)]))
    r.commit("Add goal a", date=day("2026-10-01"))
    age(r.root)
    return r


def cache_of(root: Path) -> FileCache:
    return FileCache(root / ".git", __version__)


def test_settled_files_are_cached_and_reused(tmp_path: Path) -> None:
    r = repo_with_goal(tmp_path)
    assert currents(r.root) == {"a": 2}
    cached = cache_of(r.root)
    assert A in cached.entries and cached.listing is not None
    assert currents(r.root) == {"a": 2}  # from the cache: same answer


def test_an_edited_file_is_read_again(tmp_path: Path) -> None:
    r = repo_with_goal(tmp_path)
    currents(r.root)
    r.update_kr(A, "k", current=3)  # same size, written just now
    assert currents(r.root) == {"a": 3}
    os.utime(r.root / A, (LONG_AGO + 5, LONG_AGO + 5))
    r.update_kr(A, "k", current=4)
    os.utime(r.root / A, (LONG_AGO + 9, LONG_AGO + 9))
    assert currents(r.root) == {"a": 4}


def test_a_new_file_in_a_cached_folder_is_found(tmp_path: Path) -> None:
    r = repo_with_goal(tmp_path)
    currents(r.root)
    r.write_yaml("goals/platform/b.yaml",
                 goal("b", period="2026-Q4", key_results=[numeric("k", 0, 10, 7)]))
    assert currents(r.root) == {"a": 2, "b": 7}


def test_a_removed_file_is_gone(tmp_path: Path) -> None:
    r = repo_with_goal(tmp_path)
    currents(r.root)
    (r.root / A).unlink()
    assert currents(r.root) == {}


def test_a_broken_cache_file_is_ignored(tmp_path: Path) -> None:
    r = repo_with_goal(tmp_path)
    currents(r.root)
    files = list(cache_of(r.root).folder.glob("*.msgpack"))
    assert files
    for path in files:
        path.write_bytes(b"\x00garbage")
    assert currents(r.root) == {"a": 2}


def test_an_edit_rewrites_one_shard(tmp_path: Path) -> None:
    r = repo_with_goal(tmp_path)
    for n in range(40):
        r.write_yaml(f"goals/platform/g{n}.yaml",
                     goal(f"g{n}", period="2026-Q4", key_results=[numeric("k", 0, 10, 2)]))
    age(r.root)
    currents(r.root)
    folder = cache_of(r.root).folder
    before = {p.name: p.stat().st_mtime_ns for p in folder.glob("*.msgpack")}
    assert len(before) == 17  # 16 shards and the listing
    r.update_kr(A, "k", current=5)
    os.utime(r.root / A, (LONG_AGO + 5, LONG_AGO + 5))
    assert currents(r.root)["a"] == 5
    after = {p.name: p.stat().st_mtime_ns for p in folder.glob("*.msgpack")}
    assert [name for name in before if after[name] != before[name]] == [
        f"{shard_of(A):02d}.msgpack"]
    assert currents(r.root)["a"] == 5  # and read back from it


def test_an_earlier_versions_files_are_removed(tmp_path: Path) -> None:
    """An earlier goalsrepo kept the parse cache in marshal files; the first run that
    lists the goal files again (the listing of an earlier version is not read) removes
    them, and keeps its own."""
    r = repo_with_goal(tmp_path)
    folder = r.root / ".git" / "goalsrepo" / "files"
    folder.mkdir(parents=True)
    for name in ("00.marshal", "listing.marshal"):
        (folder / name).write_bytes(b"\x00stale")
    assert currents(r.root) == {"a": 2}
    assert list(folder.glob("*.msgpack")) and not list(folder.glob("*.marshal"))
