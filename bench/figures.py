"""Figures of timed calls, shared by the in-process commands and `bench.run` (no Django)."""

from __future__ import annotations

import statistics


def quantile(values: list[float], q: int) -> float:
    """The q-th percentile of `values` (inclusive method; one value is its own)."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]
