"""Change from baseline on repeated questionnaires, and the reliable change index. Pure.

RCI = (x2 - x1) / S_diff,  S_diff = sqrt(2) * SE,  SE = SD * sqrt(1 - r)   (Jacobson & Truax 1991)

``r`` is the instrument's reliability from ``knowledge/outcomes.yaml`` (with its source); ``SD`` is a published
SD where the knowledge file gives one, otherwise the standard deviation of the clinic's own baseline scores once
enough exist, otherwise there is no RCI ("cannot tell"). A change is *improved* or *worse* when |RCI| > 1.96 in
the direction the instrument counts as better; *remission* follows the instrument's rule (gutwise's own for
FibroFatigue: the Maes study did not publish its definition).

References
----------
Jacobson NS, Truax P. Clinical significance. J Consult Clin Psychol 1991;59(1):12-19.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from gutwise import knowledge

Status = Literal["improved", "unchanged", "worse", "cannot tell"]


@dataclass(frozen=True)
class Score:
    day: date
    total: float


@dataclass(frozen=True)
class ChangeScore:
    instrument: str
    baseline: Score
    latest: Score
    change: float
    rci: float | None
    s_diff: float | None
    status: Status
    remission: bool | None
    sd: float | None
    sd_source: str | None
    note: str

    def as_json(self) -> dict[str, Any]:
        return {"instrument": self.instrument, "baseline": {"date": self.baseline.day.isoformat(),
                                                            "total": self.baseline.total},
                "latest": {"date": self.latest.day.isoformat(), "total": self.latest.total},
                "change": self.change, "rci": None if self.rci is None else round(self.rci, 3),
                "status": self.status, "remission": self.remission, "sd": self.sd, "sd_source": self.sd_source,
                "note": self.note}


def clinic_sd(baselines: Sequence[float]) -> float | None:
    """The SD of the clinic's baseline scores, once there are enough of them (``sd_from_clinic_min_n``)."""
    if len(baselines) < knowledge.outcomes().rci.sd_from_clinic_min_n:
        return None
    return statistics.stdev(baselines)


def rci(x1: float, x2: float, *, sd: float, reliability: float) -> tuple[float, float]:
    """(RCI, S_diff)."""
    s_diff = math.sqrt(2.0) * sd * math.sqrt(1.0 - reliability)
    return (x2 - x1) / s_diff, s_diff


def change_score(instrument: str, scores: Sequence[Score], *, clinic_baseline_sd: float | None = None) -> \
        ChangeScore | None:
    """Baseline (first score) to the latest score; None with fewer than two scores."""
    if len(scores) < 2:
        return None
    ordered = sorted(scores, key=lambda s: s.day)
    first, last = ordered[0], ordered[-1]
    defs = knowledge.outcomes()
    spec = defs.instruments[instrument]
    sd = spec.sd if spec.sd is not None else clinic_baseline_sd
    sd_source = spec.sd_source if spec.sd is not None else ("clinic baseline" if sd is not None else None)
    delta = last.total - first.total
    if sd is None or sd <= 0:
        return ChangeScore(instrument, first, last, delta, None, None, "cannot tell", None, None, None,
                           f"No SD to compute the RCI: fewer than {defs.rci.sd_from_clinic_min_n} baseline scores "
                           "in the clinic and none published in the knowledge file.")
    value, s_diff = rci(first.total, last.total, sd=sd, reliability=spec.reliability)
    better = -value if not spec.higher_is_better else value
    status: Status = "improved" if better > defs.rci.z else "worse" if better < -defs.rci.z else "unchanged"
    remission: bool | None
    rule = spec.remission
    if rule == "none":
        remission = None
    elif rule == "reliable_improvement_to_floor":
        remission = status == "improved" and last.total <= defs.rci.z * s_diff
    else:
        remission = last.total < rule.below
    return ChangeScore(instrument, first, last, delta, value, s_diff, status, remission, round(sd, 4), sd_source,
                       defs.classification_note)
