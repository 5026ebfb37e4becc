"""The alignment graph: goals pointing at the parent goals they contribute to. Pure.

Used for cycle checks (validate), children and roll-up (progress) and the tree and map
views. Team hierarchies are graphs of the same shape, so :func:`find_cycles` serves both.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping


def find_cycles(edges: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Every elementary cycle found by depth-first search, each once, as ``[a, b, ..., a]``.

    ``edges`` maps a node to the nodes it points at; unknown targets are ignored (they are
    reported as unresolved references elsewhere). Iterative, so a 10,000-goal chain does
    not hit the recursion limit. Each cycle is rotated to start at its smallest id, so the
    output is stable whatever the file order.
    """
    white, grey, black = 0, 1, 2
    color = dict.fromkeys(edges, white)
    cycles: list[list[str]] = []
    seen: set[tuple[str, ...]] = set()
    for start in sorted(edges):
        if color[start] != white:
            continue
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(edges[start])))]
        path = [start]
        color[start] = grey
        while stack:
            node, todo = stack[-1]
            nxt = next(todo, None)
            if nxt is None:
                stack.pop()
                path.pop()
                color[node] = black
                continue
            if nxt not in color:
                continue
            if color[nxt] == grey:
                cycle = path[path.index(nxt):]
                i = cycle.index(min(cycle))
                rotated = tuple(cycle[i:] + cycle[:i])
                if rotated not in seen:
                    seen.add(rotated)
                    cycles.append([*rotated, rotated[0]])
            elif color[nxt] == white:
                color[nxt] = grey
                path.append(nxt)
                stack.append((nxt, iter(sorted(edges[nxt]))))
    return cycles


def children(parents: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """Invert ``goal -> parents`` into ``goal -> children``, children sorted by id."""
    out: dict[str, list[str]] = {}
    for child, ps in parents.items():
        for parent in ps:
            out.setdefault(parent, []).append(child)
    for kids in out.values():
        kids.sort()
    return out


LEVEL_ORDER = {"organization": 0, "team": 1, "individual": 2}


def roots_and_orphans(parents: Mapping[str, Iterable[str]], levels: Mapping[str, str],
                      ) -> tuple[list[str], list[str]]:
    """The tops of the alignment graph, and the goals aligned to nothing (SPEC §5, §8).

    A goal with no known parent is a root when it is an organisation goal, names parents
    that do not exist, or has goals aligned to it; otherwise it is an orphan. Both lists
    run organisation -> team -> individual, then by id.
    """
    kids = children(parents)
    roots, orphans = [], []
    for goal_id in sorted(parents, key=lambda g: (LEVEL_ORDER.get(levels.get(g, ""), 9), g)):
        named = list(parents[goal_id])
        if any(p in parents for p in named):
            continue
        if levels.get(goal_id) == "organization" or named or kids.get(goal_id):
            roots.append(goal_id)
        else:
            orphans.append(goal_id)
    return roots, orphans


def continued_by(continues: Mapping[str, str | None]) -> dict[str, str]:
    """Goal -> the goal that carries it on (``continues`` it); where two goals continue
    one, the least id leads on."""
    out: dict[str, str] = {}
    for goal, earlier in sorted(continues.items()):
        if earlier is not None:
            out.setdefault(earlier, goal)
    return out


def continuation(goal_id: str, continues: Mapping[str, str | None],
                 after_map: Mapping[str, str] | None = None) -> tuple[list[str], list[str]]:
    """The chain of periods around a goal, following ``continues`` (goal -> the goal it
    carries on): the goals it carries on, oldest first, and the goals that carry it on,
    next first (``after_map`` is :func:`continued_by`, when already made). A loop (a
    validation error) ends the chain where it would come back."""
    after_map = continued_by(continues) if after_map is None else after_map
    seen = {goal_id}
    before: list[str] = []
    here = continues.get(goal_id)
    while here is not None and here not in seen and here in continues:
        seen.add(here)
        before.append(here)
        here = continues.get(here)
    after: list[str] = []
    here = after_map.get(goal_id)
    while here is not None and here not in seen:
        seen.add(here)
        after.append(here)
        here = after_map.get(here)
    return before[::-1], after
