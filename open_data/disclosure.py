"""Statistical disclosure control: the one rule for counts of people on the portal.

A published count of people below ``THRESHOLD`` (1 to 4 pupils, callers, applicants, parties to a
land transaction...) can single a person out, so before publication every such row has all its
people counts suppressed (null), and the figures computed from them too (rates, averages, declared
values): suppressing only the small cell would let a reader get it back by subtraction
(received − on time = late). Zero is published: it describes nobody. The row keeps its dimensions
and says it was suppressed (``SUPPRESSED_FLAG``), so a null is never mistaken for missing data.
"""
from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

THRESHOLD = 5
SUPPRESSED_FLAG = "small_cell_suppressed"


def small_cells(table: pa.Table, people_counts: tuple[str, ...]) -> pa.ChunkedArray | pa.Array:
    """True for each row with a people count of 1..THRESHOLD-1."""
    mask = pa.array([False] * table.num_rows)
    for name in people_counts:
        column = table[name]
        small = pc.and_(pc.greater(column, 0), pc.less(column, THRESHOLD))
        mask = pc.or_(mask, pc.fill_null(small, False))
    return mask


def protect(table: pa.Table, people_counts: tuple[str, ...], derived: tuple[str, ...] = ()) -> pa.Table:
    """The table as it may be published: small cells suppressed row-wide, a flag column added."""
    if not people_counts:
        return table
    missing = [n for n in (*people_counts, *derived) if n not in table.column_names]
    if missing:
        raise KeyError(f"disclosure control names columns the mart does not have: {missing}")
    mask = small_cells(table, people_counts)
    for name in (*people_counts, *derived):
        i = table.column_names.index(name)
        column = table.column(i)
        table = table.set_column(i, name, pc.if_else(mask, pa.scalar(None, column.type), column))
    return table.append_column(SUPPRESSED_FLAG, mask)


class DisclosureError(RuntimeError):
    pass


def require_protected(dataset: str, table: pa.Table, people_counts: tuple[str, ...]) -> None:
    """The publisher's gate: refuse a table that still shows a count of people below the threshold."""
    if people_counts and pc.any(small_cells(table, people_counts)).as_py():
        raise DisclosureError(f"refusing to publish {dataset}: counts of fewer than {THRESHOLD} people in "
                              f"{', '.join(people_counts)} (run disclosure.protect first)")


def violations(rows: list[dict], people_counts: tuple[str, ...]) -> list[dict]:
    """Rows (as a client reads them) that still show a count of people below the threshold."""
    return [r for r in rows for n in people_counts
            if r.get(n) is not None and 0 < float(r[n]) < THRESHOLD]
