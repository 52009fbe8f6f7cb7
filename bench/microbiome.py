"""Benchmark: alpha and beta diversity of 1,000 samples x 5,000 taxa through gutwise vs scikit-bio called directly.

Both runs use the same count table (negative-binomial counts, fixed seed) in the same process. The baseline is
the scikit-bio calls gutwise makes (four alpha metrics, Bray-Curtis on relative abundances, PCoA); gutwise adds
its table handling, result objects and warning capture. Target: gutwise <= 1.2x the baseline's time.

    python bench/microbiome.py [--samples 1000] [--taxa 5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from gutwise.microbiome import diversity
from gutwise.microbiome.reader import TaxonTable


def _table(samples: int, taxa: int) -> TaxonTable:
    rng = np.random.default_rng(2026)
    mean = rng.lognormal(0.0, 1.5, size=taxa)
    counts = rng.negative_binomial(0.4, 0.4 / (0.4 + mean), size=(samples, taxa)).astype(float)
    return TaxonTable([f"S{i}" for i in range(samples)], [f"T{j}" for j in range(taxa)], counts, {}, "counts")


def _baseline(table: TaxonTable) -> None:
    from skbio.diversity import alpha_diversity, beta_diversity
    from skbio.stats.ordination import pcoa

    counts = table.values.astype(np.int64)
    for metric in ("shannon", "simpson", "observed_features", "chao1"):
        alpha_diversity(metric, counts, ids=table.samples)
    rel = counts / counts.sum(axis=1, keepdims=True)
    dm = beta_diversity("braycurtis", rel, ids=table.samples)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pcoa(dm, dimensions=2, method="fsvd")


def _gutwise(table: TaxonTable) -> None:
    diversity.alpha(table)
    diversity.pcoa(diversity.bray_curtis(table))


def _best(fn, table: TaxonTable, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(table)
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--taxa", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    table = _table(args.samples, args.taxa)
    _baseline(table)  # warm up imports and caches for both
    base = _best(_baseline, table, args.repeat)
    mine = _best(_gutwise, table, args.repeat)
    print(f"microbiome diversity, {args.samples:,} samples x {args.taxa:,} taxa (best of {args.repeat})")
    print(f"  baseline (scikit-bio directly): {base:8.2f} s")
    print(f"  gutwise diversity:              {mine:8.2f} s")
    print(f"  ratio gutwise/baseline:         {mine / base:8.2f}  (target <= 1.20)")


if __name__ == "__main__":
    main()
