"""Percentiles of the measured times."""
from __future__ import annotations


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def pct_ms(values: list[float]) -> str:
    return "p50 {:.0f} / p95 {:.0f} / p99 {:.0f} ms".format(*(percentile(values, q) * 1000 for q in (50, 95, 99)))
