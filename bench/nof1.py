"""Benchmark: the n-of-1 model on one 400-day diary with 3 changes, against a plain statsmodels OLS of the same
design (the baseline: what a naive analysis ignoring autocorrelation costs), in the same process.

Targets: the frequentist fit (maximum likelihood over phi, OLS on whitened data) <= 50 ms per series; the Bayesian
fit (exact grid posterior over phi) <= 2 s per series. Printed as milliseconds and as ratios to the baseline.

    python bench/nof1.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import time
from datetime import date, timedelta

import numpy as np
import statsmodels.api as sm

from gutwise.outcomes import nof1

START = date(2026, 1, 1)


def _series() -> tuple[list[date], list[float | None], list[nof1.Change]]:
    rng = np.random.default_rng(400)
    n = 400
    e = np.zeros(n)
    for i in range(1, n):
        e[i] = 0.5 * e[i - 1] + rng.normal(0, 0.8)
    t = np.arange(n)
    y = 6 - 0.002 * t + e - 1.0 * (t >= 100) + 0.5 * (t >= 200) - 0.8 * (t >= 300)
    values = [None if rng.random() < 0.1 else float(v) for v in y]
    changes = [nof1.Change(START + timedelta(days=d), f"change {d}") for d in (100, 200, 300)]
    return [START + timedelta(days=i) for i in range(n)], values, changes


def _per_call(fn, repeat: int) -> float:
    fn()  # warm up imports and caches
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        best = min(best, (time.perf_counter() - start) / repeat)
    return best * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    days, values, changes = _series()
    obs = [(d, v) for d, v in zip(days, values, strict=True) if v is not None]
    t = np.array([(d - START).days for d, _ in obs], dtype=float)
    y = np.array([v for _, v in obs])
    x = nof1._design(t, [((c.day - START).days, 0) for c in changes])

    baseline = _per_call(lambda: sm.OLS(y, x).fit(), args.repeat)
    frequentist = _per_call(lambda: nof1.analyse(days, values, changes, bayes=False), args.repeat)
    bayesian = _per_call(lambda: nof1.analyse(days, values, changes), max(args.repeat // 4, 3))
    print(f"n-of-1, one 400-day series ({len(obs)} observed days), 3 changes")
    print(f"  baseline: plain statsmodels OLS     {baseline:8.2f} ms")
    print(f"  gutwise frequentist (AR(1) ML)      {frequentist:8.2f} ms  ({frequentist / baseline:6.1f}x baseline; "
          f"target <= 50 ms: {'met' if frequentist <= 50 else 'MISSED'})")
    print(f"  gutwise Bayesian (frequentist+grid) {bayesian:8.2f} ms  ({bayesian / baseline:6.1f}x baseline; "
          f"target <= 2000 ms: {'met' if bayesian <= 2000 else 'MISSED'})")


if __name__ == "__main__":
    main()
