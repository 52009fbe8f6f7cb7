"""Interpretation of lab results against reference intervals, the LPS panel summary, and change over time. Pure.

Rules, in order:

1. the lab's own interval on the result always wins over the catalogue's default (which exists only where a
   citable one does);
2. critical limits, when the lab gives them, come before low/high;
3. a result with no interval is flagged ``no_interval`` rather than guessed;
4. the LPS panel is counted only against the lab's cut-off (the Maes positivity rule was never published);
5. a change smaller than the lab's reference change value (RCV) is "within assay variation", not a change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from typing import Any, Literal

from gutwise import knowledge
from gutwise.knowledge.schemas import Analyte
from gutwise.labs.units import UnitError, convert

Flag = Literal["low", "normal", "high", "critical", "no_interval"]
ABNORMAL = {"low", "high", "critical"}
ISOTYPE = {"iga": "IgA", "igm": "IgM"}


@dataclass(frozen=True)
class LabValue:
    """One result as a lab reports it; intervals and limits are in the result's own unit."""

    patient: str
    analyte: str
    value: float
    unit: str
    collected: date
    lab: str | None = None
    ref_low: float | None = None
    ref_high: float | None = None
    critical_low: float | None = None
    critical_high: float | None = None
    rcv: float | None = None  # the lab's reference change value, in percent


@dataclass(frozen=True)
class Interpretation:
    flag: Flag
    low: float | None
    high: float | None
    interval_source: str | None  # "lab", or the reference id of the default interval
    canonical_value: float | None
    canonical_unit: str
    caveats: list[str] = field(default_factory=list)


def _interval(v: LabValue, analyte: Analyte) -> tuple[float | None, float | None, bool, bool, str | None]:
    if v.ref_low is not None or v.ref_high is not None:
        return v.ref_low, v.ref_high, False, False, "lab"
    d = analyte.default_interval
    if d is None:
        return None, None, False, False, None
    try:
        low = convert(d.low, analyte.unit, v.unit) if d.low is not None else None
        high = convert(d.high, analyte.unit, v.unit) if d.high is not None else None
    except UnitError:
        return None, None, False, False, None
    return low, high, d.low_exclusive, d.high_exclusive, d.source


def interpret(v: LabValue, analyte: Analyte | None = None) -> Interpretation:
    """Flag one result: ``critical`` beyond the lab's critical limits, else ``low``/``normal``/``high`` against
    the lab's interval (or a cited default), else ``no_interval``."""
    a = analyte or knowledge.analytes().by_id()[v.analyte]
    try:
        canonical: float | None = convert(v.value, v.unit, a.unit)
    except UnitError:
        canonical = None
    catalogue = knowledge.analytes()
    caveats = [catalogue.caveats[c].text for c in a.caveats]
    low, high, low_x, high_x, source = _interval(v, a)
    flag: Flag
    if (v.critical_low is not None and v.value < v.critical_low) or (
            v.critical_high is not None and v.value > v.critical_high):
        flag = "critical"
    elif low is None and high is None:
        flag = "no_interval"
    elif low is not None and (v.value < low or (low_x and v.value == low)):
        flag = "low"
    elif high is not None and (v.value > high or (high_x and v.value == high)):
        flag = "high"
    else:
        flag = "normal"
    return Interpretation(flag, low, high, source, canonical, a.unit, caveats)


# --- the LPS panel ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PanelSummary:
    patient: str
    collected: date
    lab: str | None
    reported: int
    with_cutoff: int
    above: list[str]
    by_isotype: dict[str, dict[str, int]]
    organisms: list[str]
    not_reported: list[str]
    caveat: str
    cutoffs: list[float] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"patient": self.patient, "collected": self.collected.isoformat(), "lab": self.lab,
                "reported": self.reported, "with_cutoff": self.with_cutoff, "above_cutoff": len(self.above),
                "above": self.above, "by_isotype": self.by_isotype, "organisms": self.organisms,
                "not_reported": self.not_reported, "summary": self.sentence(), "caveat": self.caveat}

    def sentence(self) -> str:
        parts = [f"{ISOTYPE[iso]} against {c['above']} of {c['of']} LPS above the lab cut-off"
                 for iso, c in sorted(self.by_isotype.items()) if c["of"]]
        text = "; ".join(parts) if parts else "no result had a lab cut-off"
        missing = self.reported - self.with_cutoff
        if len(self.cutoffs) == 1:
            text += f" (cut-off {self.cutoffs[0]:g})"
        return text + (f" ({missing} without a cut-off)" if missing else "")


def lps_panel_summaries(results: Iterable[LabValue]) -> list[PanelSummary]:
    """One summary per patient, collection date and lab, counting each organism x isotype against the lab cut-off."""
    catalogue = knowledge.analytes()
    analytes = catalogue.by_id()
    panel = next(p for p in catalogue.panels if p.id == "lps_panel")
    profile = catalogue.lps_profiles[panel.profile or "maes_2008"]
    groups: dict[tuple[str, date, str | None], list[LabValue]] = defaultdict(list)
    for v in results:
        if analytes[v.analyte].category == "lps":
            groups[(v.patient, v.collected, v.lab)].append(v)
    out = []
    for (patient, collected, lab), values in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        above = []
        by_isotype: dict[str, dict[str, int]] = {"iga": {"above": 0, "of": 0}, "igm": {"above": 0, "of": 0}}
        organisms = sorted({analytes[v.analyte].organism or "" for v in values})
        with_cutoff = 0
        for v in values:
            iso = analytes[v.analyte].isotype or ""
            if v.ref_high is None:
                continue
            with_cutoff += 1
            by_isotype[iso]["of"] += 1
            if v.value > v.ref_high:
                above.append(v.analyte)
                by_isotype[iso]["above"] += 1
        out.append(PanelSummary(patient, collected, lab, len(values), with_cutoff, sorted(above), by_isotype,
                                organisms, [o for o in profile if o not in organisms],
                                catalogue.caveats["lps_research"].text,
                                sorted({v.ref_high for v in values if v.ref_high is not None})))
    return out


# --- change between two tests ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    analyte: str
    earlier: date
    later: date
    from_value: float
    to_value: float
    unit: str
    direction: Literal["rose", "fell", "unchanged"]
    status: Literal["normalised", "became abnormal", "stayed normal", "stayed abnormal", "unknown"]
    within_assay_variation: bool | None
    note: str

    def as_json(self) -> dict[str, Any]:
        return {"analyte": self.analyte, "from": {"date": self.earlier.isoformat(), "value": self.from_value},
                "to": {"date": self.later.isoformat(), "value": self.to_value}, "unit": self.unit,
                "direction": self.direction, "status": self.status,
                "within_assay_variation": self.within_assay_variation, "note": self.note}


def change(earlier: LabValue, later: LabValue) -> Change:
    """How one analyte moved between two tests (the later value is converted to the earlier one's unit)."""
    if earlier.analyte != later.analyte:
        raise ValueError("a change compares two results of the same analyte")
    to_value = convert(later.value, later.unit, earlier.unit)
    f1, f2 = interpret(earlier).flag, interpret(later).flag
    direction: Literal["rose", "fell", "unchanged"] = (
        "rose" if to_value > earlier.value else "fell" if to_value < earlier.value else "unchanged")
    if "no_interval" in (f1, f2):
        status: Any = "unknown"
    elif f1 in ABNORMAL and f2 == "normal":
        status = "normalised"
    elif f1 == "normal" and f2 in ABNORMAL:
        status = "became abnormal"
    else:
        status = "stayed normal" if f2 == "normal" else "stayed abnormal"
    rcv = later.rcv if later.rcv is not None else earlier.rcv
    within: bool | None = None
    note = "The lab gave no assay variation, so gutwise cannot say whether this change is larger than the noise."
    if rcv is not None and earlier.value != 0:
        percent = abs(to_value - earlier.value) / abs(earlier.value) * 100
        within = percent < rcv
        note = (f"A {percent:.0f}% change is {'within' if within else 'beyond'} the lab's reference change value "
                f"of {rcv:g}%{': not a real change' if within else ''}.")
    return Change(earlier.analyte, earlier.collected, later.collected, earlier.value, to_value, earlier.unit,
                  direction, status, within, note)


def changes(results: Iterable[LabValue]) -> list[Change]:
    """Consecutive changes for every patient and analyte with two or more results."""
    series: dict[tuple[str, str], list[LabValue]] = defaultdict(list)
    for v in results:
        series[(v.patient, v.analyte)].append(v)
    out = []
    for (_patient, _analyte), values in sorted(series.items()):
        values.sort(key=lambda v: v.collected)
        for a, b in pairwise(values):
            try:
                out.append(change(a, b))
            except UnitError:
                continue
    return out
