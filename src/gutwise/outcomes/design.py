"""n-of-1 experiment designs: the schedule of A (without) and B (with) periods. Pure.

- ``AB``: one period without, then one with (the only design for an intervention that is not reversible: its
  analysis is the before/after model of ``nof1.analyse``);
- ``ABAB`` and ``ABBA``: alternating periods (ABBA balances a linear trend);
- ``random_pairs``: each pair of periods is AB or BA at random (the order is drawn when the design is saved, from
  a stored seed, so it can be reproduced and audited).

A washout (run-in) at the start of every period after the first is left out of the analysis: what carries over
from the previous period is not counted for the new one.

Reference: Vohra S, et al. CONSORT extension for reporting N-of-1 trials (CENT) 2015. BMJ 2015;350:h1738.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from gutwise.outcomes.nof1 import Period

DESIGNS = {
    "AB": "AB: a period without, then a period with (for changes that cannot be undone)",
    "ABAB": "ABAB: without, with, without, with",
    "ABBA": "ABBA: without, with, with, without (balances a slow drift)",
    "random_pairs": "Randomised pairs: each pair of periods is without-with or with-without, drawn at random",
}


@dataclass(frozen=True)
class DesignSpec:
    intervention: str
    design: str
    period_days: int
    washout_days: int
    pairs: int
    outcome: str
    mid: float
    start: date
    seed: int | None = None


def arms(design: str, pairs: int, seed: int | None) -> list[str]:
    if design == "AB":
        return ["A", "B"]
    if design == "ABAB":
        return ["A", "B", "A", "B"]
    if design == "ABBA":
        return ["A", "B", "B", "A"]
    if design == "random_pairs":
        rng = random.Random(seed)  # noqa: S311 - a reproducible order from the stored seed, not a secret
        out: list[str] = []
        for _ in range(pairs):
            out += rng.choice([["A", "B"], ["B", "A"]])
        return out
    raise ValueError(f"unknown design {design!r}")


def schedule(spec: DesignSpec) -> list[Period]:
    out = []
    day = spec.start
    for i, arm in enumerate(arms(spec.design, spec.pairs, spec.seed)):
        end = day + timedelta(days=spec.period_days)
        out.append(Period(day, end, arm, 0 if i == 0 else spec.washout_days))
        day = end
    return out
