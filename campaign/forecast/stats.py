"""Small numerical helpers of the forecast."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd


def logit(p):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def line(y: np.ndarray) -> tuple[float, float, float]:
    """Least-squares line through y over 0..n−1: (value one step after the last, slope, prediction sd)."""
    y = np.asarray(y, dtype=float)
    n = len(y)
    if n == 0:
        return float("nan"), 0.0, float("nan")
    if n == 1:
        return float(y[0]), 0.0, float("nan")
    t = np.arange(n, dtype=float)
    b, a = np.polyfit(t, y, 1)
    nxt = a + b * n
    if n == 2:
        return float(nxt), float(b), float("nan")
    resid = y - (a + b * t)
    s2 = float(resid @ resid) / (n - 2)
    sxx = float(((t - t.mean()) ** 2).sum())
    return float(nxt), float(b), float(np.sqrt(s2 * (1 + 1 / n + (n - t.mean()) ** 2 / sxx)))


def weights(held_on: pd.Series, as_of: date, half_life_weeks: float) -> np.ndarray:
    age = (pd.Timestamp(as_of) - pd.to_datetime(held_on)).dt.days.to_numpy(float) / 7.0
    return np.power(0.5, np.maximum(age, 0.0) / half_life_weeks)
