"""Pages and API routes of the accounts step: sign-in, home by role, patients, users, account and tokens."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from gutwise.accounts import service
from gutwise.accounts.models import Consent
from gutwise.accounts.schemas import CareLinkOut, PatientCreate, PatientOut, UserCreate, UserOut
from gutwise.core.authz import Role
from gutwise.core.errors import Conflict, InvalidInput
from gutwise.core.security import new_token
from gutwise.core.templating import templates
from gutwise.diary import service as diary_service
from gutwise.web.deps import (
    PRE_SESSION_COOKIE,
    SESSION_COOKIE,
    ApiActor,
    AppSettings,
    FormSession,
    LoginCsrf,
    MaybeSession,
    PageSession,
    UoW,
)

pages = APIRouter(include_in_schema=False)
api = APIRouter(tags=["accounts"])

HOME_BY_ROLE = {Role.patient: "/today", Role.clinician: "/patients", Role.admin: "/admin/users"}


def _safe_next(path: str | None, fallback: str) -> str:
    # Only local paths: never redirect off-site after a login.
    if path and path.startswith("/") and not path.startswith("//"):
        return path
    return fallback


# --- pages -----------------------------------------------------------------------------------------------


@pages.get("/")
def home(session: MaybeSession) -> Response:
    if session is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(HOME_BY_ROLE[session.user.role], status_code=303)


def _login_page(request: Request, *, email: str = "", error: str | None = None, next_path: str = "",
                status_code: int = 200) -> Response:
    csrf = new_token()
    response = templates.TemplateResponse(
        request, "login.html",
        {"session": None, "csrf_token": csrf, "email": email, "error": error, "next": next_path},
        status_code=status_code,
    )
    response.set_cookie(PRE_SESSION_COOKIE, csrf, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")
    return response


@pages.get("/login")
def login_form(request: Request, next: str = "") -> Response:
    return _login_page(request, next_path=next)


@pages.post("/login", dependencies=[LoginCsrf])
def login(
    request: Request,
    uow: UoW,
    settings: AppSettings,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    try:
        signed_in = service.sign_in(uow=uow, email=email, password=password, session_days=settings.session_days)
    except InvalidInput:
        return _login_page(request, email=email, error=service.LOGIN_FAILED, next_path=next, status_code=400)
    response = RedirectResponse(_safe_next(next, HOME_BY_ROLE[signed_in.user.role]), status_code=303)
    response.set_cookie(
        SESSION_COOKIE, signed_in.session_token, max_age=settings.session_days * 86400, httponly=True,
        samesite="lax", secure=request.url.scheme == "https",
    )
    response.delete_cookie(PRE_SESSION_COOKIE)
    return response


@pages.post("/logout")
def logout(request: Request, uow: UoW, session: FormSession) -> Response:
    service.sign_out(uow=uow, token=request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@pages.get("/patients")
def patient_list(request: Request, uow: UoW, session: PageSession) -> Response:
    if session.user.role is Role.patient:
        return RedirectResponse("/today", status_code=303)
    patients = service.list_patients(uow=uow, actor=session.actor)
    today = date.today()
    summaries = diary_service.summaries(uow=uow, actor=session.actor, patient_ids=[p.id for p in patients],
                                        since=today - timedelta(days=13), until=today)
    return templates.TemplateResponse(
        request, "patients.html",
        {"session": session, "patients": patients, "summaries": summaries, "today": today, "window": 14},
    )


@pages.get("/patients/{patient_id}")
def patient_page(patient_id: int, request: Request, uow: UoW, session: PageSession) -> Response:
    """A clinician's (or the patient's own) overview of one patient; later steps add their sections."""
    patient = service.get_patient(uow=uow, actor=session.actor, patient_id=patient_id)
    today = date.today()
    diary = diary_service.list_diary(uow=uow, actor=session.actor, patient_id=patient_id,
                                     start=today - timedelta(days=27), end=today)
    by_day = {d.day: d for d in diary}
    days = [(today - timedelta(days=i), by_day.get(today - timedelta(days=i))) for i in range(28)]
    return templates.TemplateResponse(request, "patient.html",
                                      {"session": session, "patient": patient, "days": days, "today": today})


@pages.get("/admin/users")
def users_page(request: Request, uow: UoW, session: PageSession) -> Response:
    return _users_page(request, uow, session)


def _users_page(request: Request, uow: UoW, session: PageSession, *, form: dict[str, str] | None = None,
                errors: dict[str, str] | None = None, created: str | None = None,
                status_code: int = 200) -> Response:
    users = service.list_users(uow=uow, actor=session.actor)
    return templates.TemplateResponse(
        request, "admin_users.html",
        {"session": session, "users": users, "form": form or {}, "errors": errors or {}, "created": created,
         "roles": list(Role)},
        status_code=status_code,
    )


@pages.post("/admin/users")
def users_create(
    request: Request,
    uow: UoW,
    session: FormSession,
    email: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    form = {"email": email, "display_name": display_name, "role": role}
    try:
        user = service.register_user(uow=uow, actor=session.actor,
                                     data={**form, "password": password})
    except InvalidInput as exc:
        errors = {e.field: e.reason for e in exc.errors}
        return _users_page(request, uow, session, form=form, errors=errors, status_code=422)
    except Conflict as exc:
        return _users_page(request, uow, session, form=form, errors={"email": str(exc)}, status_code=409)
    return _users_page(request, uow, session, created=user.email)


@pages.post("/admin/users/{user_id}/active")
def users_set_active(user_id: int, uow: UoW, session: FormSession,
                     active: Annotated[bool, Form()] = False) -> Response:
    service.set_user_active(uow=uow, actor=session.actor, user_id=user_id, active=active)
    return RedirectResponse("/admin/users", status_code=303)


@pages.get("/account")
def account_page(request: Request, uow: UoW, session: PageSession) -> Response:
    return _account_page(request, uow, session)


def _account_page(request: Request, uow: UoW, session: PageSession, *, token: str | None = None) -> Response:
    patient_id = service.own_patient_id(uow=uow, actor=session.actor)
    team = service.care_team(uow=uow, actor=session.actor, patient_id=patient_id) if patient_id else []
    return templates.TemplateResponse(
        request, "account.html",
        {"session": session, "tokens": service.list_api_tokens(uow=uow, actor=session.actor),
         "new_token": token, "team": team, "Consent": Consent},
    )


@pages.post("/account/tokens")
def account_token_create(request: Request, uow: UoW, session: FormSession,
                         name: Annotated[str, Form()] = "script") -> Response:
    token = service.create_api_token(uow=uow, actor=session.actor, name=name.strip() or "script")
    return _account_page(request, uow, session, token=token)


@pages.post("/account/tokens/{token_id}/revoke")
def account_token_revoke(token_id: int, uow: UoW, session: FormSession) -> Response:
    service.revoke_api_token(uow=uow, actor=session.actor, token_id=token_id)
    return RedirectResponse("/account", status_code=303)


@pages.post("/account/consent/{link_id}")
def account_consent(link_id: int, uow: UoW, session: FormSession,
                    consent: Annotated[Consent, Form()]) -> Response:
    service.set_consent(uow=uow, actor=session.actor, link_id=link_id, consent=consent)
    return RedirectResponse("/account", status_code=303)


# --- JSON API --------------------------------------------------------------------------------------------


@api.get("/me", response_model=UserOut, summary="The account behind this token")
def api_me(uow: UoW, actor: ApiActor) -> UserOut:
    return service.me(uow=uow, actor=actor)


@api.get("/patients", response_model=list[PatientOut], summary="Patients whose records you may see")
def api_patients(uow: UoW, actor: ApiActor) -> list[PatientOut]:
    return service.list_patients(uow=uow, actor=actor)


@api.post("/patients", response_model=PatientOut, status_code=201, summary="Register a patient")
def api_patient_create(data: PatientCreate, uow: UoW, actor: ApiActor) -> PatientOut:
    return service.create_patient(uow=uow, actor=actor, data=data)


@api.get("/patients/{patient_id}", response_model=PatientOut, summary="One patient")
def api_patient(patient_id: int, uow: UoW, actor: ApiActor) -> PatientOut:
    return service.get_patient(uow=uow, actor=actor, patient_id=patient_id)


@api.get("/patients/{patient_id}/care-team", summary="The clinicians linked to a patient, with consent")
def api_care_team(patient_id: int, uow: UoW, actor: ApiActor) -> list[dict[str, object]]:
    team = service.care_team(uow=uow, actor=actor, patient_id=patient_id)
    return [{"link_id": m.link_id, "clinician": m.clinician_name, "consent": m.consent.value} for m in team]


@api.get("/users", response_model=list[UserOut], summary="All accounts (administrators)")
def api_users(uow: UoW, actor: ApiActor) -> list[UserOut]:
    return service.list_users(uow=uow, actor=actor)


@api.post("/users", response_model=UserOut, status_code=201, summary="Create an account (administrators)")
def api_user_create(data: UserCreate, uow: UoW, actor: ApiActor) -> UserOut:
    return service.register_user(uow=uow, actor=actor, data=data)


@api.post("/care-links", response_model=CareLinkOut, status_code=201,
          summary="Link a clinician to a patient (administrators)")
def api_link(uow: UoW, actor: ApiActor, clinician_id: int, patient_id: int,
             consent: Consent = Consent.pending) -> CareLinkOut:
    return service.link_clinician(uow=uow, actor=actor, clinician_id=clinician_id, patient_id=patient_id,
                                  consent=consent)


@api.put("/care-links/{link_id}/consent", response_model=CareLinkOut,
         summary="Grant or withdraw a clinician's access (the patient)")
def api_consent(link_id: int, consent: Consent, uow: UoW, actor: ApiActor) -> CareLinkOut:
    return service.set_consent(uow=uow, actor=actor, link_id=link_id, consent=consent)
