"""Disclosure control for published counts: primary and secondary suppression (REQ STA-1).

Pure functions, no database. A publication is a set of cells (any hashable key → count) and
the linear relations a reader knows between them: a table's row and column sums, a total
shared by two breakdowns, a national figure that is the sum of every office's, or a relation
between figures of one row (requests + ad-hoc uses − cancellations − no-contacts − booked
slots is a small known rest). A relation is a mapping key → coefficient whose weighted sum
the reader can learn (it is zero, or a figure that is not a cell here); only its hidden
cells matter, so the rest needs no cell of its own.

`suppress` hides every count from 1 to 4 (a zero stays "0": nothing is learnt about anyone
from it), then enough other cells that no hidden count is *determined*: no combination of
the relations isolates it, so every hidden cell can take at least two values consistent with
everything shown. The check is exact linear algebra (`determined`), not a rule of thumb, so
it also holds when relations overlap (three-dimensional publications, a total in two
breakdowns, offices summed to the national figure). Counts are never negative and every
hidden one reads "<5", so two hidden 1s sharing a known 2 would still give themselves away:
the other hidden cells of any relation a small count is in must add up to 5 or more too.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable, Mapping, Sequence

THRESHOLD = 5
# Arithmetic modulo a large prime: exact for the small integer coefficients of sums. A cell
# determined over the rationals is determined here too, so an error could only hide more.
PRIME = (1 << 61) - 1

Key = Hashable
Relation = Mapping[Key, int]


def sum_relation(parts: Iterable[Key], total: Key) -> dict[Key, int]:
    """total = sum(parts), as a relation."""
    relation: dict[Key, int] = {key: 1 for key in parts}
    relation[total] = relation.get(total, 0) - 1
    return relation


def table_relations(
    rows: Sequence[Hashable],
    columns: Sequence[Hashable],
    *,
    total: Hashable = "total",
) -> list[dict[Key, int]]:
    """The relations of a rows × columns table with a total row, a total column and a grand
    total, its cells keyed (row, column) and the totals (total, column), (row, total) and
    (total, total)."""
    all_rows, all_columns = [*rows, total], [*columns, total]
    relations = [sum_relation([(row, c) for c in columns], (row, total)) for row in all_rows]
    relations += [
        sum_relation([(r, column) for r in rows], (total, column)) for column in all_columns
    ]
    return relations


def primary(values: Mapping[Key, int]) -> set[Key]:
    """Counts from 1 to THRESHOLD - 1: shown as "<5". A zero is shown."""
    return {key for key, value in values.items() if 0 < value < THRESHOLD}


def determined(relations: Iterable[Relation], hidden: Iterable[Key]) -> set[Key]:
    """The hidden cells a reader can work out from the shown ones and the relations.

    Each relation restricted to the hidden cells is a linear equation in them whose right-hand
    side the reader knows. Reduced to row echelon form (every pivot column cleared from every
    other row), a hidden cell is determined exactly when one reduced row names it alone.
    """
    hidden = set(hidden)
    pivots: dict[Key, dict[Key, int]] = {}  # pivot cell -> reduced row, its pivot 1
    # which pivot rows mention a cell, so clearing a new pivot touches only those
    mentions: dict[Key, set[Key]] = {}
    for relation in relations:
        row = {k: c % PRIME for k, c in relation.items() if k in hidden and c % PRIME}
        for key in [k for k in row if k in pivots]:
            factor = row.get(key)
            if not factor:
                continue
            for k, c in pivots[key].items():
                value = (row.get(k, 0) - factor * c) % PRIME
                if value:
                    row[k] = value
                else:
                    row.pop(k, None)
        if not row:
            continue
        pivot = min(row, key=repr)
        inverse = pow(row[pivot], PRIME - 2, PRIME)
        row = {k: c * inverse % PRIME for k, c in row.items()}
        for other in list(mentions.get(pivot, ())):
            other_row = pivots[other]
            factor = other_row.get(pivot)
            if not factor:
                continue
            for k, c in row.items():
                value = (other_row.get(k, 0) - factor * c) % PRIME
                if value:
                    other_row[k] = value
                    mentions.setdefault(k, set()).add(other)
                else:
                    other_row.pop(k, None)
                    mentions.get(k, set()).discard(other)
        pivots[pivot] = row
        for k in row:
            mentions.setdefault(k, set()).add(pivot)
    return {pivot for pivot, row in pivots.items() if len(row) == 1}


def _complement(
    values: Mapping[Key, int],
    relations: Sequence[Relation],
    by_cell: Mapping[Key, list[int]],
    hidden: set[Key],
    cell: Key,
) -> Key | None:
    """The shown cell to hide next to protect `cell`: the smallest non-zero one in a relation
    with it (a zero only when nothing else is left), searching outwards through hidden cells
    when its own relations have none. Ties break on the key, so every run agrees."""
    seen, frontier = {cell}, [cell]
    while frontier:
        candidates = set()
        following = []
        for key in frontier:
            for index in by_cell.get(key, ()):
                for other in relations[index]:
                    if other in hidden:
                        if other not in seen:
                            seen.add(other)
                            following.append(other)
                    else:
                        candidates.add(other)
        if candidates:
            return min(candidates, key=lambda k: (values[k] == 0, values[k], repr(k)))
        frontier = following
    return None


def suppress(values: Mapping[Key, int], relations: Iterable[Relation]) -> set[Key]:
    """The cells of `values` to hide: every count from 1 to 4, and enough others that no
    hidden count is determined by the shown ones through `relations`, nor pinned to a narrow
    range by them.

    First the cheap rules, a relation's smallest non-zero shown cell going next while:
    the relation has exactly one hidden cell (it would be the relation's known sum minus the
    shown ones), or the other hidden cells next to a hidden count under 5 add up to less
    than 5 (1 + 1 = 2 hidden, and counts are never negative: both would be 1). Then the
    exact check, which adds a cell next to any hidden count still determined and starts
    again, until none is. Deterministic.
    """
    relations = [dict(relation) for relation in relations]
    by_cell: dict[Key, list[int]] = {}
    for index, relation in enumerate(relations):
        for key in relation:
            if key not in values:
                raise KeyError(key)
            by_cell.setdefault(key, []).append(index)
    hidden: set[Key] = set()
    in_relation = [0] * len(relations)  # hidden cells in each relation
    hidden_sum = [0] * len(relations)  # and what they add up to
    largest_primary = [0] * len(relations)  # the largest count under 5 hidden in each
    weak: deque[int] = deque()  # relations to look at again, oldest first

    def hide(key: Key) -> None:
        hidden.add(key)
        for index in by_cell.get(key, ()):
            in_relation[index] += 1
            hidden_sum[index] += values[key]
            weak.append(index)

    def is_weak(index: int) -> bool:
        if in_relation[index] == 1:
            return True
        largest = largest_primary[index]
        return bool(largest) and hidden_sum[index] - largest < THRESHOLD

    def smallest(keys: Iterable[Key]) -> Key:
        return min(keys, key=lambda k: (values[k] == 0, values[k], repr(k)))

    primaries = sorted(primary(values), key=repr)
    for key in primaries:
        for index in by_cell.get(key, ()):
            largest_primary[index] = max(largest_primary[index], values[key])
    for key in primaries:
        hide(key)
    while True:
        while weak:
            index = weak.popleft()
            if not is_weak(index):
                continue
            shown = [key for key in relations[index] if key not in hidden]
            if in_relation[index] > 1 and not any(values[key] for key in shown):
                continue  # nothing left that adds to the range: every count shown is a zero
            if shown:
                hide(smallest(shown))
        touched = [relations[i] for i, count in enumerate(in_relation) if count]
        exposed = determined(touched, hidden)
        if not exposed:
            return hidden
        cell = min(exposed, key=repr)
        extra = _complement(values, relations, by_cell, hidden, cell)
        if extra is None:  # nothing shown is related to it: cannot happen for a determined cell
            raise AssertionError(f"{cell!r} is determined but has no shown neighbour")
        hide(extra)
