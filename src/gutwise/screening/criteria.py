"""ME/CFS case definitions evaluated on an intake, with three-valued logic. Pure.

Each definition in ``knowledge/screening.yaml`` is a tree of criteria. Leaves test one answer (a fatigue field,
a symptom, the duration, the recorded exclusions); groups combine them:

- ``all``: not met if any child is not met; else cannot tell if any child cannot tell; else met;
- ``any``: met if any child is met; else cannot tell if any child cannot tell; else not met;
- ``at_least k``: met if k children are met; not met if even the unknown ones could not reach k; else cannot tell.

A missing answer is "cannot tell", never "no". Every result lists the answers that decided it.

References
----------
Fukuda K, et al. Ann Intern Med 1994;121(12):953-959. Institute of Medicine 2015, doi:10.17226/19012.
Carruthers BM, et al. J Chronic Fatigue Syndr 2003;11(1):7-115. NICE NG206 (2021).
Jason LA, Sunnquist M. Front Pediatr 2018;6:330 (frequency >= 2 and severity >= 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from gutwise import knowledge
from gutwise.knowledge.schemas import CaseDefinition, Criterion, ScreeningKnowledge
from gutwise.screening.schemas import Intake

Status = Literal["met", "not_met", "cannot_tell"]
MET: Status = "met"
NOT_MET: Status = "not_met"
UNKNOWN: Status = "cannot_tell"
WEEKS_PER_MONTH = 365.25 / 12 / 7  # calendar arithmetic, not a clinical threshold


@dataclass(frozen=True)
class CriterionResult:
    id: str
    label: str
    status: Status
    explain: str
    decided_by: list[str]
    verified: str
    children: list[CriterionResult] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "label": self.label, "status": self.status,
                               "decided_by": self.decided_by}
        if self.explain:
            out["explain"] = self.explain
        if self.verified != "V":
            out["verified"] = self.verified
        if self.children:
            out["criteria"] = [c.as_json() for c in self.children]
        return out


@dataclass(frozen=True)
class DefinitionResult:
    id: str
    title: str
    status: Status
    wording: str
    criteria: list[CriterionResult]
    note: str | None
    suspected: bool | None = None  # NICE's earlier "suspect ME/CFS" stage; None where not applicable

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "title": self.title, "wording": self.wording,
                               "criteria": [c.as_json() for c in self.criteria]}
        if self.note:
            out["note"] = self.note
        if self.suspected is not None or self.id == "nice_2021":
            out["suspected"] = self.suspected
        return out


# --- leaves ----------------------------------------------------------------------------------------------


def _symptom(intake: Intake, k: ScreeningKnowledge, c: Criterion) -> tuple[Status, list[str]]:
    assert c.symptom is not None
    rule = k.symptom_present
    answer = intake.symptoms.get(c.symptom)
    if answer is not None and answer.frequency is not None and answer.severity is not None:
        present = answer.frequency >= rule.frequency_min and answer.severity >= rule.severity_min
        why = [f"symptoms.{c.symptom}: frequency {answer.frequency}, severity {answer.severity}"
               f" ({'present' if present else 'below frequency 2 and severity 2'})"]
        if present and c.must_not_predate_fatigue and answer.predates_fatigue:
            return NOT_MET, [*why, f"symptoms.{c.symptom}.predates_fatigue: true (it must not predate the fatigue)"]
        return (MET if present else NOT_MET), why
    # Fall back on the DSQ-SF items that measure the same symptom.
    symptom = next(s for s in k.symptoms if s.id == c.symptom)
    dsq = _dsq_answers(intake)
    states: list[Status] = []
    why: list[str] = []
    for src in symptom.dsq_sf:
        f, v = dsq.get(f"{src.symptom}_frequency"), dsq.get(f"{src.symptom}_severity")
        if isinstance(f, int) and isinstance(v, int):
            present = f >= rule.frequency_min and v >= rule.severity_min
            states.append(MET if present else NOT_MET)
            why.append(f"dsq_sf.{src.symptom}: frequency {f}, severity {v} "
                       f"({'present' if present else 'below 2 and 2'}; stands in for {c.symptom})")
    if MET in states:
        return MET, why
    if states and len(states) == len(symptom.dsq_sf):
        return NOT_MET, why
    missing = [f"symptoms.{c.symptom}: not answered"]
    return UNKNOWN, why + missing


def _dsq_answers(intake: Intake) -> dict[str, Any]:
    if not intake.dsq_sf:
        return {}
    from gutwise.screening.scoring import normalise_answers

    return normalise_answers(knowledge.instrument("dsq_sf"), intake.dsq_sf)


def _duration(intake: Intake, c: Criterion) -> tuple[Status, list[str]]:
    f = intake.fatigue
    if f.duration_weeks is not None:
        weeks, said = f.duration_weeks, f"fatigue.duration_weeks = {f.duration_weeks:g}"
    elif f.duration_months is not None:
        weeks, said = f.duration_months * WEEKS_PER_MONTH, f"fatigue.duration_months = {f.duration_months:g}"
    else:
        return UNKNOWN, ["fatigue.duration_months: not answered"]
    if c.duration_weeks_min is not None:
        limit = c.duration_weeks_min
        if c.duration_weeks_min_child is not None and c.child_age_below is not None:
            if intake.age is None:
                if (weeks >= c.duration_weeks_min) != (weeks >= c.duration_weeks_min_child):
                    return UNKNOWN, [said, "age: not answered (the child threshold differs)"]
            elif intake.age < c.child_age_below:
                limit = c.duration_weeks_min_child
                said += f"; age {intake.age}"
        ok = weeks >= limit if c.duration_inclusive else weeks > limit
        return (MET if ok else NOT_MET), [said]
    assert c.duration_months_min is not None
    months = weeks / WEEKS_PER_MONTH
    ok = months >= c.duration_months_min - 1e-9 if c.duration_inclusive else months > c.duration_months_min + 1e-9
    return (MET if ok else NOT_MET), [said]


def _leaf(intake: Intake, k: ScreeningKnowledge, c: Criterion) -> tuple[Status, list[str]]:
    if c.fatigue_field is not None:
        value = getattr(intake.fatigue, c.fatigue_field)
        if value is None:
            return UNKNOWN, [f"fatigue.{c.fatigue_field}: not answered"]
        return (MET if value == c.expect else NOT_MET), [f"fatigue.{c.fatigue_field} = {str(value).lower()}"]
    if c.symptom is not None:
        status, why = _symptom(intake, k, c)
        if status == MET and c.pem_over_24h:
            if intake.pem_lasts_over_24h is None:
                return UNKNOWN, [*why, "pem_lasts_over_24h: not answered"]
            if not intake.pem_lasts_over_24h:
                return NOT_MET, [*why, "pem_lasts_over_24h = false"]
            return MET, [*why, "pem_lasts_over_24h = true"]
        return status, why
    if c.not_excluded is not None:
        found = [x for x in intake.conditions if x in c.not_excluded]
        if found:
            return NOT_MET, [f"conditions: {x} recorded" for x in found]
        return MET, ["conditions: none of these recorded (a clinician must still check)"]
    return _duration(intake, c)


# --- groups ----------------------------------------------------------------------------------------------


def evaluate(intake: Intake, c: Criterion, k: ScreeningKnowledge | None = None) -> CriterionResult:
    k = k or knowledge.screening()
    if not c.children:
        status, why = _leaf(intake, k, c)
        return CriterionResult(c.id, c.label, status, c.explain, why, c.verified)
    kids = [evaluate(intake, child, k) for child in c.children]
    states = [r.status for r in kids]
    met, unknown = states.count(MET), states.count(UNKNOWN)
    if c.logic == "all":
        status = NOT_MET if NOT_MET in states else UNKNOWN if unknown else MET
    elif c.logic == "any":
        status = MET if met else UNKNOWN if unknown else NOT_MET
    else:
        need = c.count or 0
        status = MET if met >= need else NOT_MET if met + unknown < need else UNKNOWN
    summary = [f"{met} of {len(kids)} met, {unknown} cannot tell"]
    if c.logic == "at_least":
        summary = [f"{met} of {len(kids)} met (needs {c.count}), {unknown} cannot tell"]
    return CriterionResult(c.id, c.label, status, c.explain, summary, c.verified, kids)


def evaluate_definition(intake: Intake, d: CaseDefinition, k: ScreeningKnowledge | None = None) -> DefinitionResult:
    root = evaluate(intake, d.root, k)
    wording = {MET: d.wording_met, NOT_MET: d.wording_not_met}.get(
        root.status, f"gutwise cannot tell yet whether your answers meet the research criteria of {d.short}: "
                     "some answers are missing.")
    suspected = None
    if d.suspect is not None:
        s = evaluate(intake, d.suspect, k).status
        suspected = None if s == UNKNOWN else s == MET
    return DefinitionResult(d.id, d.title, root.status, wording, root.children, d.note, suspected)
