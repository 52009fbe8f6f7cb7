"""Planned n-of-1 experiments: save the design before the data come in, then report it the CENT way.

A design is fixed when it is saved (its start must lie in the future, so the outcome, the minimal important
difference and the schedule are chosen before any of its data exist), and it cannot be edited afterwards: a
different plan is a new design. The report reads the diary over the design's periods and the checklist of the
intervention during the "with" periods.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from gutwise import knowledge
from gutwise.accounts import access
from gutwise.core import audit, charts
from gutwise.core.authz import Actor
from gutwise.core.errors import FieldError, Forbidden, InvalidInput, NotFound
from gutwise.core.uow import UnitOfWork
from gutwise.diary.models import DiaryDay
from gutwise.outcomes.design import DESIGNS, DesignSpec, schedule
from gutwise.outcomes.models import Nof1Design
from gutwise.outcomes.nof1 import ChangeResult, Period, analyse_periods, plain_words
from gutwise.protocol.models import Adherence
from gutwise.protocol.service import ADHERENCE

__all__ = ["DESIGNS", "create_design", "list_designs", "parse_form", "periods_chart", "report"]

LIMITS = {"period_days": (7, 84), "washout_days": (0, 28), "pairs": (1, 6)}


@dataclass(frozen=True)
class DesignView:
    id: int
    patient_id: int
    spec: DesignSpec
    periods: list[Period]
    warnings: list[str]
    created_at: Any

    @property
    def end(self) -> date:
        return self.periods[-1].end

    def as_json(self) -> dict[str, Any]:
        s = self.spec
        return {"id": self.id, "intervention": s.intervention, "design": s.design, "period_days": s.period_days,
                "washout_days": s.washout_days, "pairs": s.pairs, "outcome": s.outcome, "mid": s.mid,
                "start": s.start.isoformat(), "end": self.end.isoformat(), "created_at": str(self.created_at),
                "periods": [{"start": p.start.isoformat(), "end": p.end.isoformat(), "arm": p.arm,
                             "washout_days": p.washout_days} for p in self.periods], "warnings": self.warnings}


def _view(row: Nof1Design) -> DesignView:
    spec = DesignSpec(row.intervention, row.design, row.period_days, row.washout_days, row.pairs, row.outcome,
                      row.mid, row.start_date, row.seed)
    periods = [Period(date.fromisoformat(p["start"]), date.fromisoformat(p["end"]), p["arm"], p["washout_days"])
               for p in row.periods]
    return DesignView(row.id, row.patient_id, spec, periods, list(row.warnings), row.created_at)


def _int(values: dict[str, str], key: str, errors: list[FieldError]) -> int:
    raw = values.get(key, "").strip()
    lo, hi = LIMITS[key]
    try:
        v = int(raw)
    except ValueError:
        errors.append(FieldError(key, f"{raw!r} is not a whole number"))
        return lo
    if not lo <= v <= hi:
        errors.append(FieldError(key, f"must be between {lo} and {hi} (got {v})"))
    return v


def parse_form(values: dict[str, str]) -> DesignSpec:
    """A design from form fields (or JSON), with every problem reported at once."""
    errors: list[FieldError] = []
    intervention = values.get("intervention", "").strip()
    design = values.get("design", "").strip()
    outcome = values.get("outcome", "fatigue").strip() or "fatigue"
    catalogue = knowledge.interventions().by_id()
    if intervention not in catalogue or not catalogue[intervention].plan_item:
        errors.append(FieldError("intervention", f"{intervention!r} is not an intervention gutwise can plan"))
    if design not in DESIGNS:
        errors.append(FieldError("design", f"choose one of {', '.join(DESIGNS)}"))
    outcomes = knowledge.outcomes().daily
    if outcome not in outcomes:
        errors.append(FieldError("outcome", f"{outcome!r} is not a diary outcome ({', '.join(outcomes)})"))
    period = _int(values, "period_days", errors)
    washout = _int(values, "washout_days", errors) if values.get("washout_days", "").strip() else 0
    pairs = _int(values, "pairs", errors) if values.get("pairs", "").strip() else 1
    if not errors and washout >= period - 6:
        errors.append(FieldError("washout_days", f"leaves fewer than 7 counted days in each {period}-day period"))
    raw_mid = values.get("mid", "").strip()
    mid = outcomes[outcome].mid if outcome in outcomes else 1.0
    if raw_mid:
        try:
            mid = float(raw_mid)
            if mid <= 0:
                errors.append(FieldError("mid", "must be above 0"))
        except ValueError:
            errors.append(FieldError("mid", f"{raw_mid!r} is not a number"))
    raw_start = values.get("start", "").strip()
    start = date.today() + timedelta(days=1)
    try:
        start = date.fromisoformat(raw_start)
    except ValueError:
        errors.append(FieldError("start", f"{raw_start!r} is not a date (YYYY-MM-DD)"))
    if errors:
        raise InvalidInput(errors)
    return DesignSpec(intervention, design, period, washout, pairs, outcome, mid, start)


def create_design(*, uow: UnitOfWork, actor: Actor, patient_id: int, spec: DesignSpec,
                  today: date | None = None) -> DesignView:
    """Save a design before its data exist; a clinician (or the patient, for themselves) may do this."""
    today = today or date.today()
    if actor.is_admin and not actor.is_system:
        raise Forbidden("admins manage accounts, not experiments")
    if spec.start <= today:
        raise InvalidInput.one("start", "an experiment is planned before its data come in: start tomorrow or later")
    item = knowledge.interventions().by_id()[spec.intervention]
    warnings = []
    if not item.reversible and spec.design != "AB":
        raise InvalidInput.one("design", f"{item.name} cannot be undone within weeks, so periods without it after "
                                         "it has started would not be free of it: use the AB design")
    if not item.reversible:
        warnings.append(f"{item.name} is not reversible: only a before/after (AB) comparison is possible, which "
                        "cannot separate its effect from the natural course of the illness.")
    if item.onset_days and spec.period_days - spec.washout_days < item.onset_days:
        warnings.append(f"{item.name} may take up to {item.onset_days} days to act; periods of {spec.period_days} "
                        f"days with {spec.washout_days} washout days may be too short to see its full effect.")
    if spec.design == "random_pairs":
        spec = DesignSpec(**{**spec.__dict__, "seed": secrets.randbelow(2**31)})
    periods = schedule(spec)
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        row = Nof1Design(patient_id=patient_id, intervention=spec.intervention, design=spec.design,
                         period_days=spec.period_days, washout_days=spec.washout_days, pairs=spec.pairs,
                         seed=spec.seed, outcome=spec.outcome, mid=spec.mid, start_date=spec.start,
                         periods=[{"start": p.start.isoformat(), "end": p.end.isoformat(), "arm": p.arm,
                                   "washout_days": p.washout_days} for p in periods],
                         warnings=warnings, created_by=actor.user_id)
        uow.session.add(row)
        uow.session.flush()
        audit.record(uow, actor=actor, action="write", entity="nof1_design", entity_id=row.id, patient_id=patient_id,
                     detail={"design": spec.design, "intervention": spec.intervention})
        uow.commit()
        return _view(row)


def list_designs(*, uow: UnitOfWork, actor: Actor, patient_id: int) -> list[DesignView]:
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        rows = [_view(r) for r in uow.session.scalars(select(Nof1Design).where(Nof1Design.patient_id == patient_id)
                                                     .order_by(Nof1Design.start_date, Nof1Design.id))]
        audit.record(uow, actor=actor, action="read", entity="nof1_design", patient_id=patient_id)
        uow.commit()
        return rows


@dataclass(frozen=True)
class Report:
    design: DesignView
    status: str  # planned | running | complete
    result: ChangeResult
    words: str
    adherence: float | None
    adherence_days: int
    diary: list[tuple[date, float | None]]
    limitations: list[str]

    def as_json(self) -> dict[str, Any]:
        return {"design": self.design.as_json(), "status": self.status, "result": self.result.as_json(),
                "plain_words": self.words, "adherence": self.adherence, "adherence_days": self.adherence_days,
                "limitations": self.limitations}


def report(*, uow: UnitOfWork, actor: Actor, patient_id: int, design_id: int, today: date | None = None) -> Report:
    """CENT-style report: design, periods, adherence, effect (with minus without) with its interval, limits."""
    today = today or date.today()
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        row = uow.session.get(Nof1Design, design_id)
        if row is None or row.patient_id != patient_id:
            raise NotFound("experiment")
        view = _view(row)
        start, end = view.spec.start, view.end
        diary = [(d, None if v is None else float(v)) for d, v in uow.session.execute(
            select(DiaryDay.day, DiaryDay.fatigue).where(DiaryDay.patient_id == patient_id, DiaryDay.day >= start,
                                                         DiaryDay.day < end).order_by(DiaryDay.day))]
        checklist = [s for d, s in uow.session.execute(
            select(Adherence.day, Adherence.status).where(Adherence.patient_id == patient_id,
                                                          Adherence.intervention == view.spec.intervention,
                                                          Adherence.day >= start, Adherence.day < end))
            if any(p.arm == "B" and p.start <= d < p.end for p in view.periods)]
        audit.record(uow, actor=actor, action="read", entity="nof1_design", entity_id=design_id,
                     patient_id=patient_id, detail={"use": "report"})
        uow.commit()
    adherence = sum(ADHERENCE[s] for s in checklist) / len(checklist) if checklist else None
    spec = knowledge.outcomes().daily[view.spec.outcome]
    item = knowledge.interventions().by_id()[view.spec.intervention]
    result = analyse_periods([d for d, _ in diary], [v for _, v in diary], view.periods, outcome=view.spec.outcome,
                             label=f"with {item.name} vs without", adherence=adherence)
    status = "planned" if today < start else "running" if today < end else "complete"
    if status != "complete":
        result = ChangeResult(result.label, result.day, None, None, None, None, None, None, None,
                              result.days_before, result.days_after, adherence, False,
                              [f"the experiment is {status}: no verdict until it ends on {end.isoformat()}"])
    limitations = [
        "One person, not blinded: expectations can change how days are rated.",
        "Missing diary days are left out, never counted as good days; crash days are kept.",
        f"Washout of {view.spec.washout_days} days at each switch; effects that last longer carry over into the "
        "next period and make the difference look smaller.",
        "The model assumes a steady level within each arm, a straight-line drift and day-to-day (AR(1)) "
        "correlation.",
        *view.warnings,
    ]
    if adherence is None:
        limitations.append("Whether the intervention was taken was not recorded in the daily checklist.")
    words = plain_words(result, label=result.label, lower_is_better=not spec.higher_is_better)
    return Report(view, status, result, words, adherence, len(checklist), diary, limitations)


def periods_chart(r: Report) -> str:
    """The CENT periods diagram: the diary over the experiment, "with" periods shaded, washouts marked."""
    spec = knowledge.outcomes().daily[r.design.spec.outcome]
    item = knowledge.interventions().by_id()[r.design.spec.intervention]
    shades = [charts.Shade(p.start, p.end, f"with {item.name}") for p in r.design.periods if p.arm == "B"]
    markers = [charts.Marker(p.start, ("with" if p.arm == "B" else "without")) for p in r.design.periods]
    points: list[tuple[date, float | None]] = list(r.diary) or [(r.design.spec.start, None)]
    arms = " ".join(p.arm for p in r.design.periods)
    return charts.line_chart([charts.Series(spec.label, points)], title="Periods of the experiment",
                             desc=f"Periods {arms} of {r.design.spec.period_days} days from "
                                  f"{r.design.spec.start.isoformat()}; shaded periods are with {item.name}.",
                             y_label=spec.label, y_min=spec.range[0], y_max=spec.range[1], shades=shades,
                             markers=markers, height=220)
