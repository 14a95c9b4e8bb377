"""Ward forecasts that add up to the city's: MinTrace with structural weights (WLS-struct).

Why MinTrace(wls_struct) rather than BottomUp: a ward's monthly counts are small and noisy, the city's
are smooth, so the city forecast carries information the sum of ward forecasts lacks; MinTrace
combines every level's forecasts, BottomUp throws the city's away. Why structural weights rather than
the shrunk residual covariance (mint_shrink): that needs every model's in-sample residuals, which the
per-series choice of model mixes, and with ~170 wards and a few years of months the covariance is
estimated from fewer observations than it has rows. wls_struct weights each series by how many
bottom series it sums, needs nothing but the summing matrix, and the non-negative variant keeps
counts at or above zero. Intervals are reconciled under normality from the base models' intervals.
"""
from __future__ import annotations

import math
import warnings

import pandas as pd

METHOD = "MinTrace(wls_struct, nonnegative)"
BASE = "chosen"


def interval_columns(levels: tuple[int, ...]) -> list[str]:
    return [f"{side}_{level}" for level in levels for side in ("lo", "hi")]


def _scale(values: pd.Series) -> float:
    """A power of ten that brings the largest forecast to the order of 1e3 (1 for small counts)."""
    largest = float(values.abs().max()) if len(values) else 0.0
    if not math.isfinite(largest) or largest <= 1e4:
        return 1.0
    return 10.0 ** (math.floor(math.log10(largest)) - 3)


def reconcile(base: pd.DataFrame, s_df: pd.DataFrame, tags: dict, levels: tuple[int, ...],
              nonnegative: bool = True) -> pd.DataFrame:
    """``base`` (unique_id, ds, yhat, lo_<l>, hi_<l>) made coherent: the same columns, plus yhat_base."""
    from hierarchicalforecast.core import HierarchicalReconciliation
    from hierarchicalforecast.methods import MinTrace

    renamed = {"yhat": BASE, **{f"{side}_{lv}": f"{BASE}-{side}-{lv}" for lv in levels for side in ("lo", "hi")}}
    frame = base[["unique_id", "ds", *renamed]].rename(columns=renamed)
    # the non-negative QP fails on amounts in the 1e12s (charter capital in VND); MinTrace and the
    # normal intervals are scale-equivariant, so it is solved on values of order 1e3 and scaled back
    scale = _scale(frame[BASE])
    frame[list(renamed.values())] = frame[list(renamed.values())] / scale
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = HierarchicalReconciliation([MinTrace(method="wls_struct", nonnegative=nonnegative)]).reconcile(
            Y_hat_df=frame, S_df=s_df, tags=tags, level=list(levels), intervals_method="normality")
    rec = next(c for c in out.columns if c.startswith(f"{BASE}/") and not c.endswith(tuple(f"-{lv}" for lv in levels)))
    result = pd.DataFrame({"unique_id": out["unique_id"], "ds": out["ds"], "yhat": out[rec] * scale,
                           "yhat_base": out[BASE] * scale})
    for lv in levels:
        for side in ("lo", "hi"):
            result[f"{side}_{lv}"] = out[f"{rec}-{side}-{lv}"] * scale
    if nonnegative:
        cols = ["yhat", *interval_columns(levels)]
        result[cols] = result[cols].clip(lower=0)
    return result
