"""Pages and API routes of the protocol step: the clinician's plan editor, the patient's plan in plain words,
the evidence library."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from gutwise import knowledge
from gutwise.accounts import service as accounts_service
from gutwise.core.errors import InvalidInput, NotFound
from gutwise.core.templating import templates
from gutwise.protocol import service
from gutwise.web.deps import ApiActor, FormFields, FormSession, PageSession, UoW

pages = APIRouter(include_in_schema=False)
api = APIRouter(tags=["protocol"])

GRADE_WORDS = {"high": "We are very sure.", "moderate": "We are fairly sure.",
               "low": "We are not sure: the evidence is limited.",
               "very low": "We are very unsure: there is almost no good evidence."}


def _plan_page(request: Request, uow: UoW, session: PageSession, patient_id: int, *,
               errors: list[str] | None = None, status_code: int = 200) -> Response:
    patient = accounts_service.get_patient(uow=uow, actor=session.actor, patient_id=patient_id)
    plan = service.current_plan(uow=uow, actor=session.actor, patient_id=patient_id)
    catalogue = knowledge.interventions()
    in_plan = {i.intervention for i in plan.items} if plan else set()
    return templates.TemplateResponse(request, "plan.html", {
        "session": session, "patient": patient, "plan": plan, "errors": errors or [],
        "addable": [i for i in catalogue.interventions if i.plan_item and i.id not in in_plan],
        "conditions": catalogue.conditions, "catalogue": catalogue.by_id(), "grade_words": GRADE_WORDS,
        "notes": [i for i in catalogue.interventions if i.kind in ("clinician_note", "not_offered")],
        "adherence": service.weekly_adherence(uow=uow, actor=session.actor, patient_id=patient_id)
        if plan and plan.status == "approved" else {},
        "history": service.history(uow=uow, actor=session.actor, patient_id=patient_id),
        "today": date.today(), "clinician": not session.actor.is_patient,
    }, status_code=status_code)


@pages.get("/patients/{patient_id}/plan")
def plan_page(patient_id: int, request: Request, uow: UoW, session: PageSession) -> Response:
    return _plan_page(request, uow, session, patient_id)


def _redirect(patient_id: int) -> Response:
    return RedirectResponse(f"/patients/{patient_id}/plan", status_code=303)


def _number(raw: str) -> float | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise InvalidInput.one("number", f"{raw!r} is not a number") from None


def _action(request: Request, uow: UoW, session: PageSession, patient_id: int, fn: Any) -> Response:
    try:
        fn()
    except InvalidInput as exc:
        return _plan_page(request, uow, session, patient_id, errors=[e.line() for e in exc.errors], status_code=422)
    return _redirect(patient_id)


@pages.post("/patients/{patient_id}/plan/propose")
def plan_propose(patient_id: int, request: Request, uow: UoW, session: FormSession, form: FormFields) -> Response:
    medicines = [m.strip() for m in str(form.get("medicines", "")).replace("\n", ",").split(",") if m.strip()]
    return _action(request, uow, session, patient_id, lambda: service.propose_plan(
        uow=uow, actor=session.actor, patient_id=patient_id, medicines=medicines,
        conditions=[str(c) for c in form.getlist("conditions")], weight_kg=_number(str(form.get("weight_kg", ""))),
        exclude=[str(x) for x in form.getlist("exclude")], dietitian_referral=form.get("dietitian_referral") == "on"))


@pages.post("/patients/{patient_id}/plan/items/{item_id}")
def plan_item_edit(patient_id: int, item_id: int, request: Request, uow: UoW, session: FormSession,
                   form: FormFields) -> Response:
    def run() -> None:
        if form.get("action") == "remove":
            service.remove_item(uow=uow, actor=session.actor, patient_id=patient_id, item_id=item_id)
            return
        service.edit_item(uow=uow, actor=session.actor, patient_id=patient_id, item_id=item_id,
                          dose_amount=_number(str(form.get("dose_amount", ""))),
                          times_per_day=int(_number(str(form.get("times_per_day", "1"))) or 1),
                          start_day=int(_number(str(form.get("start_day", "0"))) or 0))
    return _action(request, uow, session, patient_id, run)


@pages.post("/patients/{patient_id}/plan/add")
def plan_add(patient_id: int, request: Request, uow: UoW, session: FormSession, form: FormFields) -> Response:
    return _action(request, uow, session, patient_id, lambda: service.add_item(
        uow=uow, actor=session.actor, patient_id=patient_id, intervention=str(form.get("intervention", ""))))


@pages.post("/patients/{patient_id}/plan/approve")
def plan_approve(patient_id: int, request: Request, uow: UoW, session: FormSession, form: FormFields) -> Response:
    def run() -> None:
        try:
            start = date.fromisoformat(str(form.get("start_date", "")))
        except ValueError:
            raise InvalidInput.one("start_date", "give the first day as YYYY-MM-DD") from None
        service.approve(uow=uow, actor=session.actor, patient_id=patient_id, start_date=start)
    return _action(request, uow, session, patient_id, run)


@pages.post("/patients/{patient_id}/plan/stop/{intervention}")
def plan_stop(patient_id: int, intervention: str, request: Request, uow: UoW, session: FormSession,
              form: FormFields) -> Response:
    return _action(request, uow, session, patient_id, lambda: service.stop_item(
        uow=uow, actor=session.actor, patient_id=patient_id, intervention=intervention, on_date=date.today(),
        reason=str(form.get("reason", ""))))


@pages.get("/my/plan")
def my_plan(uow: UoW, session: PageSession) -> Response:
    patient_id = accounts_service.own_patient_id(uow=uow, actor=session.actor)
    if patient_id is None:
        raise NotFound("plan")
    return _redirect(patient_id)


@pages.get("/evidence")
def evidence_page(request: Request, session: PageSession) -> Response:
    refs = knowledge.references()
    claims = knowledge.claims().claims
    cited = {r for c in claims for r in c.references}
    return templates.TemplateResponse(request, "evidence.html", {
        "session": session, "claims": claims, "references": sorted(refs.values(), key=lambda r: (r.authors, r.year)),
        "cited": cited, "grade_words": GRADE_WORDS,
    })


# --- JSON API --------------------------------------------------------------------------------------------


def _plan_json(plan: service.PlanView | None) -> dict[str, Any]:
    if plan is None:
        raise NotFound("plan")
    return {"id": plan.id, "status": plan.status, "start_date": plan.start_date and plan.start_date.isoformat(),
            "warnings": plan.warnings, "blocked": plan.blocked, "can_approve": plan.can_approve,
            "items": [{"intervention": i.intervention, "name": i.name,
                       "dose": None if i.dose is None else {"amount_per_day": i.dose.amount, "unit": i.dose.unit,
                                                           "times_per_day": i.dose.times_per_day},
                       "start_day": i.start_day, "start_date": i.start_date and i.start_date.isoformat(),
                       "stopped_on": i.stopped_on and i.stopped_on.isoformat(), "reasons": i.reasons,
                       "evidence": i.evidence, "warnings": [w.as_json() for w in i.issues]} for i in plan.items]}


@api.get("/patients/{patient_id}/plan", summary="The current plan (patients see only an approved plan)")
def api_plan(patient_id: int, uow: UoW, actor: ApiActor) -> dict[str, Any]:
    return _plan_json(service.current_plan(uow=uow, actor=actor, patient_id=patient_id))


@api.get("/patients/{patient_id}/plan/history", summary="Dated starts, stops and dose changes")
def api_plan_history(patient_id: int, uow: UoW, actor: ApiActor) -> list[dict[str, Any]]:
    return [{"date": e.on_date.isoformat(), "intervention": e.intervention, "kind": e.kind, "detail": e.detail}
            for e in service.history(uow=uow, actor=actor, patient_id=patient_id)]


@api.get("/patients/{patient_id}/plan/fhir", summary="The approved plan as a FHIR R4 CarePlan")
def api_plan_fhir(patient_id: int, uow: UoW, actor: ApiActor) -> dict[str, Any]:
    from gutwise.interop.fhir_careplan import careplan

    plan = service.approved_plan(uow=uow, actor=actor, patient_id=patient_id)
    if plan is None:
        raise NotFound("plan")
    return careplan(plan, patient_id=patient_id)


@api.get("/evidence", summary="The evidence library: claims with grades, verdicts and references")
def api_evidence(actor: ApiActor) -> dict[str, Any]:
    return {"claims": [c.model_dump() for c in knowledge.claims().claims],
            "references": [r.model_dump() for r in knowledge.references().values()]}
