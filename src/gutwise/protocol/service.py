"""Use cases of the protocol step: propose a draft from the patient's data, edit it, approve it (clinicians),
read it (patients see only approved plans), record starts, stops and dose changes, and adherence.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from gutwise import knowledge
from gutwise.accounts import access
from gutwise.core import audit
from gutwise.core.authz import Actor
from gutwise.core.db import upsert_statement, utcnow
from gutwise.core.errors import Forbidden, InvalidInput, NotFound
from gutwise.core.uow import UnitOfWork
from gutwise.labs import service as labs_service
from gutwise.labs.units import convert
from gutwise.protocol.builder import evidence, propose
from gutwise.protocol.models import Adherence, Plan, PlanEvent, PlanItem
from gutwise.protocol.safety import Context, Dose, Issue, Item, blocking, check_plan
from gutwise.screening import service as screening_service
from gutwise.screening.schemas import Intake
from gutwise.screening.screen import screen

ADHERENCE = {"taken": 1.0, "partly": 0.5, "skipped": 0.0}


def _require_clinician(actor: Actor) -> None:
    if not (actor.is_clinician or actor.is_system):
        raise Forbidden("only a clinician changes a plan")


@dataclass(frozen=True)
class ItemView:
    id: int
    intervention: str
    name: str
    kind: str
    plain: str
    dose: Dose | None
    start_day: int
    start_date: date | None
    stopped_on: date | None
    reasons: list[str]
    evidence: dict[str, Any]
    issues: list[Issue]

    def active_on(self, day: date) -> bool:
        return self.start_date is not None and self.start_date <= day and (
            self.stopped_on is None or day < self.stopped_on)


@dataclass(frozen=True)
class PlanView:
    id: int
    status: str
    start_date: date | None
    context: dict[str, Any]
    warnings: list[str]
    blocked: list[dict[str, Any]]
    items: list[ItemView]
    issues: list[Issue] = field(default_factory=list)

    @property
    def can_approve(self) -> bool:
        return self.status == "draft" and not blocking(self.issues)


def _context(uow: UnitOfWork, actor: Actor, patient_id: int, ctx: dict[str, Any]) -> Context:
    results = [r.value for r in labs_service.results(uow=uow, actor=actor, patient_id=patient_id)]
    weight = ctx.get("weight_kg")
    if weight is None:
        weights = sorted((v for v in results if v.analyte == "body_weight"), key=lambda v: v.collected)
        if weights:
            weight = convert(weights[-1].value, weights[-1].unit, "kg")
    return Context(medicines=ctx.get("medicines", []), conditions=frozenset(ctx.get("conditions", [])),
                   weight_kg=weight, labs=results, dietitian_referral=bool(ctx.get("dietitian_referral")))


def _view(uow: UnitOfWork, actor: Actor, plan: Plan) -> PlanView:
    catalogue = knowledge.interventions().by_id()
    rows = list(uow.session.scalars(select(PlanItem).where(PlanItem.plan_id == plan.id)
                                    .order_by(PlanItem.start_day, PlanItem.id)))
    ctx = _context(uow, actor, plan.patient_id, plan.context)
    items = [Item(r.intervention, Dose(r.dose_amount, r.dose_unit or "", r.times_per_day)
                  if r.dose_amount is not None else None, r.start_day) for r in rows if r.stopped_on is None]
    issues = check_plan(items, ctx)
    views = []
    for r in rows:
        iv = catalogue[r.intervention]
        views.append(ItemView(
            r.id, r.intervention, iv.name, iv.kind, iv.plain,
            Dose(r.dose_amount, r.dose_unit or "", r.times_per_day) if r.dose_amount is not None else None,
            r.start_day, plan.start_date + timedelta(days=r.start_day) if plan.start_date else None, r.stopped_on,
            list(r.reasons), evidence(iv), [i for i in issues if i.intervention == r.intervention]))
    return PlanView(plan.id, plan.status, plan.start_date, dict(plan.context), list(plan.warnings),
                    list(plan.blocked), views, issues)


def _plan(uow: UnitOfWork, patient_id: int, status: str) -> Plan | None:
    return uow.session.scalar(select(Plan).where(Plan.patient_id == patient_id, Plan.status == status)
                              .order_by(Plan.id.desc()))


def current_plan(*, uow: UnitOfWork, actor: Actor, patient_id: int) -> PlanView | None:
    """The plan to show: a patient sees the approved plan only; a clinician the draft first, else the approved."""
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        plan = None if actor.is_patient else _plan(uow, patient_id, "draft")
        plan = plan or _plan(uow, patient_id, "approved")
        view = _view(uow, actor, plan) if plan else None
        audit.record(uow, actor=actor, action="read", entity="plan", entity_id=plan.id if plan else None,
                     patient_id=patient_id)
        uow.commit()
        return view


def approved_plan(*, uow: UnitOfWork, actor: Actor, patient_id: int) -> PlanView | None:
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        plan = _plan(uow, patient_id, "approved")
        view = _view(uow, actor, plan) if plan else None
        uow.commit()
        return view


def propose_plan(*, uow: UnitOfWork, actor: Actor, patient_id: int, medicines: list[str] | None = None,
                 conditions: list[str] | None = None, weight_kg: float | None = None,
                 exclude: list[str] | None = None, dietitian_referral: bool = False) -> PlanView:
    """Build a draft from the patient's latest screen and labs (replacing any earlier draft)."""
    known = {c.id for c in knowledge.interventions().conditions}
    if set(conditions or []) - known:
        raise InvalidInput.one("conditions", f"unknown: {sorted(set(conditions or []) - known)}")
    if weight_kg is not None and not 0 < weight_kg <= 400:
        raise InvalidInput.one("weight_kg", "must be between 0 and 400 kg")
    ctx_doc = {"medicines": [m.strip() for m in medicines or [] if m.strip()], "conditions": sorted(conditions or []),
               "weight_kg": weight_kg, "exclude": sorted(exclude or []), "dietitian_referral": dietitian_referral}
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        _require_clinician(actor)
        latest = screening_service.latest_screen(uow=uow, actor=actor, patient_id=patient_id)
        result = screen(Intake.model_validate(latest.data)) if latest else None
        ctx = _context(uow, actor, patient_id, ctx_doc)
        proposal = propose(screen=result, ctx=ctx, exclude=ctx_doc["exclude"])
        old = _plan(uow, patient_id, "draft")
        if old is not None:
            uow.session.delete(old)
            uow.flush()
        warnings = list(proposal.warnings) + ([] if latest else ["No screening on record: the plan rests on the "
                                                                 "lab results alone."])
        plan = Plan(patient_id=patient_id, status="draft", context=ctx_doc, warnings=warnings,
                    blocked=proposal.blocked, created_by=actor.user_id)
        uow.session.add(plan)
        uow.flush()
        for p in proposal.items:
            uow.session.add(PlanItem(plan_id=plan.id, intervention=p.intervention,
                                     dose_amount=p.dose.amount if p.dose else None,
                                     dose_unit=p.dose.unit if p.dose else None,
                                     times_per_day=p.dose.times_per_day if p.dose else 1, start_day=p.start_day,
                                     reasons=p.reasons))
        uow.flush()
        audit.record(uow, actor=actor, action="create", entity="plan", entity_id=plan.id, patient_id=patient_id,
                     detail={"items": len(proposal.items), "blocked": len(proposal.blocked)})
        view = _view(uow, actor, plan)
        uow.commit()
        return view


def _draft_item(uow: UnitOfWork, patient_id: int, item_id: int) -> tuple[Plan, PlanItem]:
    plan = _plan(uow, patient_id, "draft")
    item = uow.session.get(PlanItem, item_id) if plan else None
    if plan is None or item is None or item.plan_id != plan.id:
        raise NotFound("plan item")
    return plan, item


def edit_item(*, uow: UnitOfWork, actor: Actor, patient_id: int, item_id: int, dose_amount: float | None,
              times_per_day: int, start_day: int) -> PlanView:
    """Change a draft item's dose or start day; the safety checks run again on the whole plan."""
    if dose_amount is not None and dose_amount <= 0:
        raise InvalidInput.one("dose_amount", "must be above 0")
    if not 1 <= times_per_day <= 6:
        raise InvalidInput.one("times_per_day", "must be 1 to 6")
    if not 0 <= start_day <= 500:
        raise InvalidInput.one("start_day", "must be between 0 and 500 days after the plan starts")
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        _require_clinician(actor)
        plan, item = _draft_item(uow, patient_id, item_id)
        iv = knowledge.interventions().by_id()[item.intervention]
        item.dose_amount, item.dose_unit = dose_amount, (iv.unit if dose_amount is not None else None)
        item.times_per_day, item.start_day = times_per_day, start_day
        audit.record(uow, actor=actor, action="update", entity="plan_item", entity_id=item.id,
                     patient_id=patient_id, detail={"dose_amount": dose_amount, "times_per_day": times_per_day,
                                                    "start_day": start_day})
        uow.flush()
        view = _view(uow, actor, plan)
        uow.commit()
        return view


def add_item(*, uow: UnitOfWork, actor: Actor, patient_id: int, intervention: str) -> PlanView:
    iv = knowledge.interventions().by_id().get(intervention)
    if iv is None or not iv.plan_item:
        raise InvalidInput.one("intervention", f"{intervention!r} cannot be added to a plan")
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        _require_clinician(actor)
        plan = _plan(uow, patient_id, "draft")
        if plan is None:
            raise NotFound("draft plan")
        existing = list(uow.session.scalars(select(PlanItem).where(PlanItem.plan_id == plan.id)))
        if any(r.intervention == intervention for r in existing):
            raise InvalidInput.one("intervention", f"{iv.name} is already in the plan")
        last = max((r.start_day for r in existing), default=-knowledge.interventions().stagger_days)
        d = iv.default_dose
        uow.session.add(PlanItem(plan_id=plan.id, intervention=intervention, dose_amount=d.amount if d else None,
                                 dose_unit=d.unit if d else None, times_per_day=d.times_per_day if d else 1,
                                 start_day=last + knowledge.interventions().stagger_days,
                                 reasons=["Added by the clinician."]))
        uow.flush()
        audit.record(uow, actor=actor, action="update", entity="plan", entity_id=plan.id, patient_id=patient_id,
                     detail={"added": intervention})
        view = _view(uow, actor, plan)
        uow.commit()
        return view


def remove_item(*, uow: UnitOfWork, actor: Actor, patient_id: int, item_id: int) -> PlanView:
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        _require_clinician(actor)
        plan, item = _draft_item(uow, patient_id, item_id)
        uow.session.delete(item)
        uow.flush()
        audit.record(uow, actor=actor, action="update", entity="plan", entity_id=plan.id, patient_id=patient_id,
                     detail={"removed": item.intervention})
        view = _view(uow, actor, plan)
        uow.commit()
        return view


def approve(*, uow: UnitOfWork, actor: Actor, patient_id: int, start_date: date) -> PlanView:
    """Approve the draft: refused while any check blocks. Records a dated start for every item."""
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        _require_clinician(actor)
        plan = _plan(uow, patient_id, "draft")
        if plan is None:
            raise NotFound("draft plan")
        view = _view(uow, actor, plan)
        hard = blocking(view.issues)
        if hard:
            raise InvalidInput.one("plan", "cannot be approved yet: " + "; ".join(i.message for i in hard))
        previous = _plan(uow, patient_id, "approved")
        if previous is not None:
            previous.status = "superseded"
            for row in uow.session.scalars(select(PlanItem).where(PlanItem.plan_id == previous.id,
                                                                  PlanItem.stopped_on.is_(None))):
                row.stopped_on = start_date
                uow.session.add(PlanEvent(patient_id=patient_id, plan_id=previous.id, intervention=row.intervention,
                                          kind="stop", on_date=start_date, by_user=actor.user_id,
                                          detail={"reason": "replaced by a new plan"}))
        plan.status, plan.start_date = "approved", start_date
        plan.approved_by, plan.approved_at = actor.user_id, utcnow()
        for item in view.items:
            uow.session.add(PlanEvent(patient_id=patient_id, plan_id=plan.id, intervention=item.intervention,
                                      kind="start", on_date=start_date + timedelta(days=item.start_day),
                                      by_user=actor.user_id,
                                      detail={"dose": item.dose.text() if item.dose else None}))
        audit.record(uow, actor=actor, action="approve", entity="plan", entity_id=plan.id, patient_id=patient_id)
        uow.flush()
        view = _view(uow, actor, plan)
        uow.commit()
        return view


def stop_item(*, uow: UnitOfWork, actor: Actor, patient_id: int, intervention: str, on_date: date,
              reason: str = "") -> None:
    """Stop an item of the approved plan (a clinician's decision); dated, for the n-of-1 analysis."""
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        _require_clinician(actor)
        plan = _plan(uow, patient_id, "approved")
        item = uow.session.scalar(select(PlanItem).where(PlanItem.plan_id == plan.id,
                                                         PlanItem.intervention == intervention)) if plan else None
        if plan is None or item is None:
            raise NotFound("plan item")
        if item.stopped_on is not None:
            raise InvalidInput.one("intervention", "is already stopped")
        item.stopped_on = on_date
        uow.session.add(PlanEvent(patient_id=patient_id, plan_id=plan.id, intervention=intervention, kind="stop",
                                  on_date=on_date, by_user=actor.user_id, detail={"reason": reason[:500]}))
        audit.record(uow, actor=actor, action="update", entity="plan_item", entity_id=item.id,
                     patient_id=patient_id, detail={"stopped_on": on_date.isoformat()})
        uow.commit()


@dataclass(frozen=True)
class Event:
    on_date: date
    intervention: str
    kind: str
    detail: dict[str, Any]


def history(*, uow: UnitOfWork, actor: Actor, patient_id: int) -> list[Event]:
    """Every start, stop and dose change, in date order: the changes an n-of-1 analysis looks at."""
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        plans_visible = select(Plan.id).where(Plan.patient_id == patient_id, Plan.status != "draft")
        rows = [Event(e.on_date, e.intervention, e.kind, e.detail) for e in uow.session.scalars(
            select(PlanEvent).where(PlanEvent.patient_id == patient_id, PlanEvent.plan_id.in_(plans_visible))
            .order_by(PlanEvent.on_date, PlanEvent.id))]
        audit.record(uow, actor=actor, action="read", entity="plan_event", patient_id=patient_id)
        uow.commit()
        return rows


# --- adherence -------------------------------------------------------------------------------------------


def record_adherence(*, uow: UnitOfWork, actor: Actor, patient_id: int, day: date,
                     statuses: dict[str, str]) -> None:
    """Save the day's checklist (taken, partly, skipped) for items of the approved plan active that day."""
    bad = {k: v for k, v in statuses.items() if v not in ADHERENCE}
    if bad:
        raise InvalidInput.one("adherence", f"use taken, partly or skipped (got {bad})")
    if not statuses:
        return
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        plan = _plan(uow, patient_id, "approved")
        if plan is None or plan.start_date is None:
            raise InvalidInput.one("adherence", "there is no approved plan")
        active = {r.intervention for r in uow.session.scalars(select(PlanItem).where(PlanItem.plan_id == plan.id))
                  if plan.start_date + timedelta(days=r.start_day) <= day and (r.stopped_on is None
                                                                                or day < r.stopped_on)}
        unknown = sorted(set(statuses) - active)
        if unknown:
            raise InvalidInput.one("adherence", f"not active on {day.isoformat()}: {', '.join(unknown)}")
        stmt = upsert_statement(Adherence.__table__, dialect=uow.dialect, keys=["patient_id", "day", "intervention"],
                                update=["status", "updated_at"])
        now = utcnow()
        uow.session.execute(stmt, [{"patient_id": patient_id, "day": day, "intervention": k, "status": v,
                                    "updated_at": now} for k, v in statuses.items()])
        audit.record(uow, actor=actor, action="write", entity="adherence", entity_id=day.isoformat(),
                     patient_id=patient_id)
        uow.commit()


def adherence_on(*, uow: UnitOfWork, actor: Actor, patient_id: int, day: date) -> dict[str, str]:
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        out = {a.intervention: a.status for a in uow.session.scalars(
            select(Adherence).where(Adherence.patient_id == patient_id, Adherence.day == day))}
        uow.commit()
        return out


def weekly_adherence(*, uow: UnitOfWork, actor: Actor, patient_id: int,
                     today: date | None = None) -> dict[str, list[dict[str, Any]]]:
    """Per item and ISO week: the share of active days taken (partly = half), and days without an answer."""
    today = today or date.today()
    plan = approved_plan(uow=uow, actor=actor, patient_id=patient_id)
    if plan is None:
        return {}
    with uow:
        answers = {(a.intervention, a.day): a.status for a in uow.session.scalars(
            select(Adherence).where(Adherence.patient_id == patient_id))}
        uow.commit()
    out: dict[str, list[dict[str, Any]]] = {}
    for item in plan.items:
        if item.start_date is None or item.start_date > today:
            continue
        end = min(today, item.stopped_on - timedelta(days=1)) if item.stopped_on else today
        weeks: dict[tuple[int, int], list[float | None]] = defaultdict(list)
        d = item.start_date
        while d <= end:
            status = answers.get((item.intervention, d))
            weeks[d.isocalendar()[:2]].append(None if status is None else ADHERENCE[status])
            d += timedelta(days=1)
        rows = []
        for (year, week), values in sorted(weeks.items()):
            answered = [v for v in values if v is not None]
            rows.append({"week": f"{year}-W{week:02d}", "days": len(values), "answered": len(answered),
                         "percent": round(100 * sum(answered) / len(answered)) if answered else None})
        out[item.intervention] = rows
    return out


def import_adherence(*, uow: UnitOfWork, actor: Actor, patient_id: int,
                     rows: list[tuple[date, str, str]]) -> int:
    """Many days of the checklist at once (the demo, imports); statuses are checked, then one upsert."""
    bad = sorted({status for _, _, status in rows if status not in ADHERENCE})
    if bad:
        raise InvalidInput.one("adherence", f"unknown statuses {bad}")
    if not rows:
        return 0
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        stmt = upsert_statement(Adherence.__table__, dialect=uow.dialect, keys=["patient_id", "day", "intervention"],
                                update=["status", "updated_at"])
        now = utcnow()
        uow.session.execute(stmt, [{"patient_id": patient_id, "day": d, "intervention": i, "status": s,
                                    "updated_at": now} for d, i, s in rows])
        audit.record(uow, actor=actor, action="import", entity="adherence", patient_id=patient_id,
                     detail={"rows": len(rows)})
        uow.commit()
    return len(rows)
