"""Pages and API routes of the screening step: the intake, results, questionnaires, schedules, instruments."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from gutwise import knowledge
from gutwise.accounts import service as accounts_service
from gutwise.core.errors import InvalidInput, NotFound
from gutwise.core.templating import templates
from gutwise.screening import intake_flow, service
from gutwise.screening.schemas import Intake
from gutwise.screening.screen import screen
from gutwise.web.deps import ApiActor, FormFields, FormSession, PageSession, UoW

pages = APIRouter(include_in_schema=False)
api = APIRouter(tags=["screening"])

YES_NO = (("yes", "Yes"), ("no", "No"), ("unsure", "Not sure"))


# --- form parsing ----------------------------------------------------------------------------------------


def _int(raw: str | None) -> int | float | str | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        return raw  # validation names the field and says why
    return int(value) if value.is_integer() else value


def _bool(raw: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(raw or "")


def _part_from_form(step: intake_flow.Step, form: FormData) -> dict[str, Any]:
    """The piece of the INTAKE.json document that one step's form fills."""
    get = lambda name: str(form.get(name, ""))  # noqa: E731
    if step.kind == "about":
        return {"age": _int(get("age")), "sex": get("sex") or None}
    if step.kind == "fatigue":
        amount, unit = _int(get("duration")), get("duration_unit") or "months"
        out: dict[str, Any] = {"duration_months": amount if unit == "months" else None,
                               "duration_weeks": amount if unit == "weeks" else None}
        for name in ("new_onset", "lifelong", "due_to_ongoing_exertion", "relieved_by_rest",
                     "substantial_activity_reduction", "pem_lasts_over_24h"):
            out[name] = _bool(get(name))
        return out
    if step.kind == "instrument":
        inst = knowledge.instrument(step.instrument or "")
        items = [i for i in inst.items if step.section is None or i.section == step.section]
        return {i.id: _int(get(i.id)) for i in items if get(i.id) != ""}
    if step.kind == "symptoms":
        out = {}
        for sid in step.symptoms:
            f, s = _int(get(f"{sid}__frequency")), _int(get(f"{sid}__severity"))
            if f is not None or s is not None:
                out[sid] = {"frequency": f, "severity": s}
        return out
    return {"ids": [v for v in form.getlist("ids") if isinstance(v, str)]}


def _errors_by_field(exc: InvalidInput) -> dict[str, str]:
    out = {}
    for e in exc.errors:
        name = e.field.split(".")[-1]
        out[name] = e.reason
        out[e.field] = e.reason
    return out


# --- pages -----------------------------------------------------------------------------------------------


def _context(request: Request, uow: UoW, session: PageSession, patient_id: int) -> dict[str, Any]:
    patient = accounts_service.get_patient(uow=uow, actor=session.actor, patient_id=patient_id)
    return {"request": request, "session": session, "patient": patient,
            "is_patient": session.actor.is_patient}


@pages.get("/patients/{patient_id}/screening")
def screening_page(patient_id: int, request: Request, uow: UoW, session: PageSession) -> Response:
    ctx = _context(request, uow, session, patient_id)
    latest = service.latest_screen(uow=uow, actor=session.actor, patient_id=patient_id)
    open_intake = service.current_intake(uow=uow, actor=session.actor, patient_id=patient_id)
    schedule = service.schedule(uow=uow, actor=session.actor, patient_id=patient_id)
    responses = service.list_responses(uow=uow, actor=session.actor, patient_id=patient_id)
    return templates.TemplateResponse(request, "screening.html", {
        **ctx, "latest": latest, "open_intake": open_intake, "steps": intake_flow.STEPS,
        "schedule": schedule, "responses": list(reversed(responses))[:20],
        "instruments": knowledge.instruments(), "today": date.today(),
    })


@pages.get("/patients/{patient_id}/intake")
def intake_start(patient_id: int, uow: UoW, session: PageSession) -> Response:
    current = service.current_intake(uow=uow, actor=session.actor, patient_id=patient_id)
    step = intake_flow.next_step(current.steps_done if current else [])
    target = f"/patients/{patient_id}/intake/{step.id}" if step else f"/patients/{patient_id}/intake/review"
    return RedirectResponse(target, status_code=303)


def _step_page(request: Request, uow: UoW, session: PageSession, patient_id: int, step: intake_flow.Step, *,
               values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
               status_code: int = 200) -> Response:
    ctx = _context(request, uow, session, patient_id)
    current = service.current_intake(uow=uow, actor=session.actor, patient_id=patient_id)
    data = current.data if current else {}
    index = intake_flow.STEP_IDS.index(step.id)
    return templates.TemplateResponse(request, "intake_step.html", {
        **ctx, "step": step, "index": index, "total": len(intake_flow.STEPS), "data": data,
        "values": values, "errors": errors or {}, "knowledge": knowledge.screening(),
        "instrument": knowledge.instrument(step.instrument) if step.instrument else None,
        "dsq": knowledge.instrument("dsq_sf"), "yes_no": YES_NO,
        "previous": intake_flow.STEPS[index - 1].id if index else None,
        "done": current.steps_done if current else [],
    }, status_code=status_code)


@pages.get("/patients/{patient_id}/intake/review")
def intake_review(patient_id: int, request: Request, uow: UoW, session: PageSession) -> Response:
    ctx = _context(request, uow, session, patient_id)
    current = service.current_intake(uow=uow, actor=session.actor, patient_id=patient_id)
    if current is None:
        return RedirectResponse(f"/patients/{patient_id}/intake", status_code=303)
    preview = screen(Intake.model_validate(current.data))
    return templates.TemplateResponse(request, "intake_review.html", {
        **ctx, "intake": current, "steps": intake_flow.STEPS, "preview": preview,
        "missing": [s for s in intake_flow.STEPS if s.id not in current.steps_done],
    })


@pages.get("/patients/{patient_id}/intake/{step_id}")
def intake_step(patient_id: int, step_id: str, request: Request, uow: UoW, session: PageSession) -> Response:
    try:
        step = intake_flow.step(step_id)
    except KeyError:
        raise NotFound("intake step") from None
    return _step_page(request, uow, session, patient_id, step)


@pages.post("/patients/{patient_id}/intake/complete")
def intake_complete(patient_id: int, uow: UoW, session: FormSession) -> Response:
    service.complete_intake(uow=uow, actor=session.actor, patient_id=patient_id)
    return RedirectResponse(f"/patients/{patient_id}/screening/result", status_code=303)


@pages.post("/patients/{patient_id}/intake/{step_id}")
def intake_step_save(patient_id: int, step_id: str, request: Request, uow: UoW, session: FormSession,
                     form: FormFields) -> Response:
    try:
        step = intake_flow.step(step_id)
    except KeyError:
        raise NotFound("intake step") from None
    part = _part_from_form(step, form)
    try:
        current = service.save_intake_step(uow=uow, actor=session.actor, patient_id=patient_id, step_id=step_id,
                                           part=part)
    except InvalidInput as exc:
        return _step_page(request, uow, session, patient_id, step, values=dict(form),
                          errors=_errors_by_field(exc), status_code=422)
    action = str(form.get("action", "next"))
    if action == "stop":
        return RedirectResponse(f"/patients/{patient_id}/screening?saved=1", status_code=303)
    if action == "back":
        index = intake_flow.STEP_IDS.index(step_id)
        return RedirectResponse(f"/patients/{patient_id}/intake/{intake_flow.STEP_IDS[max(index - 1, 0)]}",
                                status_code=303)
    index = intake_flow.STEP_IDS.index(step_id)
    following = intake_flow.STEPS[index + 1] if index + 1 < len(intake_flow.STEPS) else None
    nxt = following or current.next_step
    target = f"/patients/{patient_id}/intake/{nxt.id}" if nxt else f"/patients/{patient_id}/intake/review"
    return RedirectResponse(target, status_code=303)


@pages.get("/patients/{patient_id}/screening/result")
def result_page(patient_id: int, request: Request, uow: UoW, session: PageSession) -> Response:
    ctx = _context(request, uow, session, patient_id)
    latest = service.latest_screen(uow=uow, actor=session.actor, patient_id=patient_id)
    if latest is None or latest.result is None:
        return RedirectResponse(f"/patients/{patient_id}/screening", status_code=303)
    return templates.TemplateResponse(request, "screen_result.html", {
        **ctx, "intake": latest, "r": latest.result, "instruments": knowledge.instruments(),
        "clinician_view": not session.actor.is_patient,
    })


def _questionnaire_page(request: Request, uow: UoW, session: PageSession, patient_id: int, instrument_id: str, *,
                        values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                        saved: service.ResponseOut | None = None, status_code: int = 200) -> Response:
    ctx = _context(request, uow, session, patient_id)
    try:
        inst = knowledge.instrument(instrument_id)
    except KeyError:
        raise NotFound("questionnaire") from None
    history = service.list_responses(uow=uow, actor=session.actor, patient_id=patient_id,
                                     instrument_id=instrument_id)
    return templates.TemplateResponse(request, "questionnaire.html", {
        **ctx, "inst": inst, "values": values or {}, "errors": errors or {}, "saved": saved,
        "history": list(reversed(history))[:12], "today": date.today(),
        "may_answer": inst.respondent == "patient" or not session.actor.is_patient,
    }, status_code=status_code)


@pages.get("/patients/{patient_id}/questionnaires/{instrument_id}")
def questionnaire_page(patient_id: int, instrument_id: str, request: Request, uow: UoW,
                       session: PageSession) -> Response:
    return _questionnaire_page(request, uow, session, patient_id, instrument_id)


@pages.post("/patients/{patient_id}/questionnaires/{instrument_id}")
def questionnaire_save(patient_id: int, instrument_id: str, request: Request, uow: UoW, session: FormSession,
                       form: FormFields) -> Response:
    try:
        inst = knowledge.instrument(instrument_id)
    except KeyError:
        raise NotFound("questionnaire") from None
    answers = {i.id: _int(str(form.get(i.id, ""))) for i in inst.items if str(form.get(i.id, "")) != ""}
    on = str(form.get("answered_on", "")) or None
    try:
        answered_on = date.fromisoformat(on) if on else None
    except ValueError:
        return _questionnaire_page(request, uow, session, patient_id, instrument_id, values=dict(form),
                                   errors={"answered_on": "Give the date as YYYY-MM-DD."}, status_code=422)
    try:
        saved = service.save_response(uow=uow, actor=session.actor, patient_id=patient_id,
                                      instrument_id=instrument_id, answers=answers, answered_on=answered_on)
    except InvalidInput as exc:
        return _questionnaire_page(request, uow, session, patient_id, instrument_id, values=dict(form),
                                   errors=_errors_by_field(exc), status_code=422)
    return _questionnaire_page(request, uow, session, patient_id, instrument_id, saved=saved)


@pages.post("/patients/{patient_id}/schedule/{instrument_id}")
def schedule_save(patient_id: int, instrument_id: str, uow: UoW, session: FormSession,
                  form: FormFields) -> Response:
    every = _int(str(form.get("every_months", "")))
    at_raw = str(form.get("at_months", "")).strip()
    try:
        at = [int(x) for x in at_raw.replace(";", ",").split(",") if x.strip()] if at_raw else None
    except ValueError:
        raise InvalidInput.one("at_months", "give whole months separated by commas, e.g. 0, 3, 6") from None
    service.set_schedule(uow=uow, actor=session.actor, patient_id=patient_id, instrument_id=instrument_id,
                         every_months=None if at else every, at_months=at,  # type: ignore[arg-type]
                         active=form.get("active", "on") == "on")
    return RedirectResponse(f"/patients/{patient_id}/screening#schedule", status_code=303)


# --- JSON API --------------------------------------------------------------------------------------------


@api.get("/instruments", summary="The questionnaires gutwise scores")
def api_instruments(actor: ApiActor) -> list[dict[str, Any]]:
    return [{"id": i.id, "title": i.title, "respondent": i.respondent, "items": len(i.items)}
            for i in knowledge.instruments().values()]


@api.get("/instruments/{instrument_id}", summary="One instrument: items, options, scoring rules, citation")
def api_instrument(instrument_id: str, actor: ApiActor) -> dict[str, Any]:
    try:
        return knowledge.instrument(instrument_id).model_dump()
    except KeyError:
        raise NotFound("instrument") from None


@api.post("/screen", summary="Screen an intake (nothing is stored)")
def api_screen(intake: Intake, actor: ApiActor) -> dict[str, Any]:
    from gutwise.screening.scoring import AnswerError

    try:
        return screen(intake).as_json()
    except AnswerError as exc:
        raise InvalidInput.one("questionnaires", str(exc)) from None


@api.get("/patients/{patient_id}/responses", summary="A patient's questionnaire responses with scores")
def api_responses(patient_id: int, uow: UoW, actor: ApiActor, instrument: str | None = None) -> list[dict[str, Any]]:
    return [_response_json(r) for r in service.list_responses(uow=uow, actor=actor, patient_id=patient_id,
                                                               instrument_id=instrument)]


@api.post("/patients/{patient_id}/responses", status_code=201, summary="Score and save a questionnaire")
def api_response_create(patient_id: int, body: dict[str, Any], uow: UoW, actor: ApiActor) -> dict[str, Any]:
    instrument_id = body.get("instrument")
    if not isinstance(instrument_id, str):
        raise InvalidInput.one("instrument", "give the instrument id")
    on = body.get("answered_on")
    try:
        answered_on = date.fromisoformat(on) if isinstance(on, str) else None
    except ValueError:
        raise InvalidInput.one("answered_on", "is not a date (YYYY-MM-DD)") from None
    saved = service.save_response(uow=uow, actor=actor, patient_id=patient_id, instrument_id=instrument_id,
                                  answers=body.get("answers"), answered_on=answered_on, source="api")
    return _response_json(saved)


@api.get("/patients/{patient_id}/screening", summary="The latest completed screen of a patient")
def api_latest_screen(patient_id: int, uow: UoW, actor: ApiActor) -> dict[str, Any]:
    latest = service.latest_screen(uow=uow, actor=actor, patient_id=patient_id)
    if latest is None:
        raise NotFound("screen")
    return {"intake": latest.data, "result": latest.result, "completed_at": latest.completed_at}


def _response_json(r: service.ResponseOut) -> dict[str, Any]:
    return {"id": r.id, "instrument": r.instrument, "answered_on": r.answered_on.isoformat(), "total": r.total,
            "band": r.band, "source": r.source, "answers": r.answers, "result": r.result}


@pages.get("/screening")
def my_screening(uow: UoW, session: PageSession) -> Response:
    """The patient's own screening page (the nav link); other roles reach it through a patient."""
    patient_id = accounts_service.own_patient_id(uow=uow, actor=session.actor)
    if patient_id is None:
        raise NotFound("screening")
    return RedirectResponse(f"/patients/{patient_id}/screening", status_code=303)


@api.get("/instruments/{instrument_id}/fhir", summary="The instrument as a FHIR R4 Questionnaire")
def api_instrument_fhir(instrument_id: str, actor: ApiActor) -> dict[str, Any]:
    from gutwise.interop.fhir_questionnaire import questionnaire

    try:
        return questionnaire(knowledge.instrument(instrument_id))
    except KeyError:
        raise NotFound("instrument") from None


@api.get("/patients/{patient_id}/responses/{response_id}/fhir",
         summary="One questionnaire response as a FHIR R4 QuestionnaireResponse")
def api_response_fhir(patient_id: int, response_id: int, uow: UoW, actor: ApiActor) -> dict[str, Any]:
    from gutwise.interop.fhir_questionnaire import questionnaire_response

    r = service.get_response(uow=uow, actor=actor, patient_id=patient_id, response_id=response_id)
    return questionnaire_response(knowledge.instrument(r.instrument), response_id=r.id, patient_id=patient_id,
                                  answered_on=r.answered_on, answers=r.answers, total=r.total)
