"""The dirt every department source carries on purpose, shared so that each kind is injected the same way:
values in clerks' shorthand, rows committed late, missing wards and wards given by name only, records
keyed in twice with a name in the other Unicode form. (NFD text itself: ``common.nfd_some``.)

Each helper draws from the generator's own ``rng`` in a fixed order: same seed, same dirt.
"""
from __future__ import annotations

import datetime as dt
import unicodedata

import numpy as np
import pyarrow as pa

from simulators.departments.common import pick, set_column, ward_arrays


def typed_variants(rng: np.random.Generator, values: np.ndarray, variants: dict[str, list[str]],
                   share: float) -> np.ndarray:
    """Replace a share of canonical values by the shorthands clerks type."""
    out = values.copy()
    flip = rng.random(len(values)) < share
    for canonical, options in variants.items():
        mask = flip & (values == canonical)
        if options and mask.any():
            out[mask] = pick(rng, options, int(mask.sum()))
    return out


def late_stamps(rng: np.random.Generator, n: int, now: dt.datetime, late_at: dt.datetime) -> np.ndarray:
    """A day's rows are stamped now; a fifth were committed late with an older stamp (``late_at``, an hour
    before what was already extracted), which a watermark-only extractor would miss."""
    return np.where(rng.random(n) < 0.2, late_at, now).astype(object)


def ward_columns(rng: np.random.Generator, idx: np.ndarray,
                 wards: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """The pre-2025 ward columns of rows at ward positions ``idx`` (into ``wards``, default
    ``ward_arrays()``) as the source holds them: ~2% with no ward at all, ~3% with the ward name only
    (ma_phuong NULL, ten_phuong set)."""
    wards = ward_arrays() if wards is None else wards
    roll = rng.random(len(idx))
    missing, name_only = roll < 0.02, roll > 0.97
    cols = {col: np.where(missing, None, wards[key][idx]).astype(object) for col, key in
            (("ma_phuong", "ward_code"), ("ten_phuong", "ward_name"), ("ma_quan", "district_code"),
             ("ten_quan", "district_name"))}
    cols["ma_phuong"][name_only] = None
    return cols


def other_form(text: str | None) -> str | None:
    """The same text in the other Unicode normal form (NFC ↔ NFD), as a second client keys it in."""
    if text is None:
        return None
    return unicodedata.normalize("NFD" if unicodedata.is_normalized("NFC", text) else "NFC", text)


def some_rows(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    """Positions of ``share`` of ``n`` rows, at least one, distinct and in order: the rows keyed in twice."""
    return np.sort(rng.choice(n, max(1, int(n * share)), replace=False))


def keyed_twice(table: pa.Table, picks: np.ndarray, first_id: int, name: str | None = None) -> pa.Table:
    """Rows ``picks`` of ``table`` keyed in a second time: same business key, new ids from ``first_id``,
    and ``name`` (when given) in the other Unicode form, so only a normalising match finds the pair."""
    dup = table.take(picks)
    dup = set_column(dup, "id", pa.array(np.arange(first_id, first_id + dup.num_rows), pa.int64()))
    if name is not None:
        dup = set_column(dup, name, pa.array([other_form(s) for s in dup[name].to_pylist()], pa.string()))
    return dup
