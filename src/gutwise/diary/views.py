"""Pages and API routes of the diary step: today's entry (saved as it is typed), past days, the JSON API."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from gutwise import knowledge
from gutwise.accounts import service as accounts_service
from gutwise.core.errors import InvalidInput, NotFound
from gutwise.core.templating import templates
from gutwise.diary import service
from gutwise.diary.schemas import COLUMN_ITEMS, DiaryDayOut, DiaryEntry
from gutwise.protocol import service as protocol_service
from gutwise.web.deps import ApiActor, FormFields, FormSession, PageSession, UoW

pages = APIRouter(include_in_schema=False)
api = APIRouter(tags=["diary"])

RECENT_DAYS = 7
DAILY = knowledge.instrument("daily")
DAILY_EXTRA_ITEMS = [i for i in DAILY.items if i.id not in COLUMN_ITEMS]


def _own_patient(uow: UoW, session: PageSession) -> int:
    patient_id = accounts_service.own_patient_id(uow=uow, actor=session.actor)
    if patient_id is None:
        raise NotFound("diary")
    return patient_id


def _form_values(day: DiaryDayOut | None) -> dict[str, object]:
    if day is None:
        return {"fatigue": None, "crash": False, "note": "", "answers": {}}
    return {"fatigue": day.fatigue, "crash": day.crash, "note": day.note or "",
            "answers": {k: ("" if v is None else v) for k, v in day.answers.items()}}


def _diary_page(request: Request, uow: UoW, session: PageSession, *, day: date,
                values: dict[str, object] | None = None, errors: dict[str, str] | None = None,
                saved: bool = False, status_code: int = 200) -> Response:
    patient_id = _own_patient(uow, session)
    patient = accounts_service.get_patient(uow=uow, actor=session.actor, patient_id=patient_id)
    today = date.today()
    recent = service.list_diary(uow=uow, actor=session.actor, patient_id=patient_id,
                                start=today - timedelta(days=RECENT_DAYS - 1), end=today)
    by_day = {d.day: d for d in recent}
    current = by_day[day] if day in by_day else service.get_day(
        uow=uow, actor=session.actor, patient_id=patient_id, day=day)
    plan = protocol_service.approved_plan(uow=uow, actor=session.actor, patient_id=patient_id)
    checklist = [i for i in plan.items if i.active_on(day)] if plan else []
    done = protocol_service.adherence_on(uow=uow, actor=session.actor, patient_id=patient_id, day=day) \
        if checklist else {}
    return templates.TemplateResponse(
        request, "today.html",
        {
            "session": session, "patient": patient, "day": day, "today": today,
            "values": values if values is not None else {**_form_values(current), "plan": done},
            "checklist": checklist,
            "errors": errors or {}, "saved": saved, "saved_at": None,
            "recent": [(today - timedelta(days=i), by_day.get(today - timedelta(days=i)))
                       for i in range(RECENT_DAYS)],
            "scale": range(0, 11),
            "daily": DAILY,
            "symptom_items": [i for i in DAILY_EXTRA_ITEMS if i.type == "choice"],
            "more_items": [i for i in DAILY_EXTRA_ITEMS if i.type != "choice"],
        },
        status_code=status_code,
    )


@pages.get("/today")
def today_page(request: Request, uow: UoW, session: PageSession, saved: bool = False) -> Response:
    return _diary_page(request, uow, session, day=date.today(), saved=saved)


@pages.get("/diary/{day}")
def day_page(day: date, request: Request, uow: UoW, session: PageSession, saved: bool = False) -> Response:
    return _diary_page(request, uow, session, day=day, saved=saved)


def _entry_from_form(form: FormData) -> tuple[dict[str, object], dict[str, object]]:
    """(entry for the service, values to re-show): the daily instrument's optional items arrive as ``a_<id>``."""
    answers: dict[str, object] = {}
    for item in DAILY_EXTRA_ITEMS:
        raw = str(form.get(f"a_{item.id}", "")).strip()
        if raw:
            answers[item.id] = _number(raw)
    fatigue = str(form.get("fatigue", "")).strip()
    entry = {"fatigue": fatigue or None, "crash": form.get("crash") == "on", "note": form.get("note") or None,
             "answers": answers}
    values = {"fatigue": fatigue, "crash": form.get("crash") == "on", "note": form.get("note", ""),
              "answers": {item.id: form.get(f"a_{item.id}", "") for item in DAILY_EXTRA_ITEMS}}
    return entry, values


def _number(raw: str) -> object:
    try:
        value = float(raw)
    except ValueError:
        return raw  # the instrument's validation names the item and the problem
    return int(value) if value.is_integer() else value


@pages.post("/diary/{day}")
def day_save(day: date, request: Request, uow: UoW, session: FormSession, form: FormFields) -> Response:
    """Save the day. htmx autosave gets a one-line status back; a plain form post is redirected (PRG)."""
    entry, values = _entry_from_form(form)
    adherence = {str(k)[len("plan__"):]: str(v) for k, v in form.items() if str(k).startswith("plan__") and v}
    if form.get("plan_all") == "taken":  # "All done as planned": every item of today's checklist
        plan = protocol_service.approved_plan(uow=uow, actor=session.actor, patient_id=_own_patient(uow, session))
        adherence = {i.intervention: "taken" for i in (plan.items if plan else []) if i.active_on(day)}
    values["plan"] = adherence
    is_htmx = bool(request.headers.get("hx-request"))
    try:
        saved = service.log_day(uow=uow, actor=session.actor, patient_id=_own_patient(uow, session), day=day,
                                entry=entry, adherence=adherence)
    except InvalidInput as exc:
        errors = {e.field: _plain(e.field, e.reason) for e in exc.errors}
        if is_htmx:
            return templates.TemplateResponse(request, "_save_status.html",
                                              {"ok": False, "errors": errors}, status_code=422)
        return _diary_page(request, uow, session, day=day, values=values, errors=errors, status_code=422)
    if is_htmx:
        return templates.TemplateResponse(request, "_save_status.html",
                                          {"ok": True, "errors": {}, "at": datetime.now(), "day": saved.day})
    target = "/today" if day == date.today() else f"/diary/{day.isoformat()}"
    return RedirectResponse(f"{target}?saved=1", status_code=303)


def _plain(field: str, reason: str) -> str:
    """Plain words for the form (the API keeps pydantic's precise reasons)."""
    if field == "answers":
        return f"Please check: {reason}."
    if field == "fatigue":
        return "Choose a number from 0 to 10."
    if field == "note":
        return "The note is too long; please shorten it."
    if field == "day":
        return "This date is in the future."
    return reason


# --- JSON API --------------------------------------------------------------------------------------------


@api.get("/patients/{patient_id}/diary", response_model=list[DiaryDayOut],
         summary="A patient's diary days (missing days are absent, not zero)")
def api_diary(patient_id: int, uow: UoW, actor: ApiActor, start: date | None = None,
              end: date | None = None) -> list[DiaryDayOut]:
    return service.list_diary(uow=uow, actor=actor, patient_id=patient_id, start=start, end=end)


@api.get("/patients/{patient_id}/diary/{day}", response_model=DiaryDayOut, summary="One diary day")
def api_diary_day(patient_id: int, day: date, uow: UoW, actor: ApiActor) -> DiaryDayOut:
    found = service.get_day(uow=uow, actor=actor, patient_id=patient_id, day=day)
    if found is None:
        raise NotFound("diary day")
    return found


@api.put("/patients/{patient_id}/diary/{day}", response_model=DiaryDayOut,
         summary="Save a diary day (a second save for the same date updates it)")
def api_diary_put(patient_id: int, day: date, entry: DiaryEntry, uow: UoW, actor: ApiActor) -> DiaryDayOut:
    return service.log_day(uow=uow, actor=actor, patient_id=patient_id, day=day, entry=entry)
