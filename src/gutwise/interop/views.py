"""Pages and API routes of the share step: a person's data (download everything, ask for erasure), the
administrators' erasure queue, FHIR import/export and the research exports."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from gutwise.accounts import service as accounts_service
from gutwise.core.errors import Forbidden, InvalidInput, NotFound
from gutwise.core.templating import templates
from gutwise.interop import rights, tabular
from gutwise.interop.fhir_export import export_patient
from gutwise.web.deps import ApiActor, FormSession, PageSession, UoW
from gutwise.web.responses import attachment

pages = APIRouter(include_in_schema=False)
api = APIRouter(tags=["share"])

MAX_IMPORT_BYTES = 50_000_000


def _zip(uow: UoW, actor: Any, patient_id: int) -> Response:
    data = tabular.patient_zip(uow=uow, actor=actor, patient_id=patient_id)
    return attachment(data, f"gutwise-patient-{patient_id}-{date.today().isoformat()}.zip", "application/zip")


def _fhir(uow: UoW, actor: Any, patient_id: int) -> Response:
    bundle = json.dumps(export_patient(uow=uow, actor=actor, patient_id=patient_id), indent=1, ensure_ascii=False)
    return attachment(bundle, f"gutwise-patient-{patient_id}-fhir.json", "application/fhir+json")


@pages.get("/patients/{patient_id}/data")
def data_page(patient_id: int, request: Request, uow: UoW, session: PageSession) -> Response:
    patient = accounts_service.get_patient(uow=uow, actor=session.actor, patient_id=patient_id)
    return templates.TemplateResponse(request, "my_data.html", {
        "session": session, "patient": patient,
        "erasure": rights.my_request(uow=uow, actor=session.actor, patient_id=patient_id)})


@pages.get("/my/data")
def my_data(uow: UoW, session: PageSession) -> Response:
    patient_id = accounts_service.own_patient_id(uow=uow, actor=session.actor)
    if patient_id is None:
        raise NotFound("data")
    return RedirectResponse(f"/patients/{patient_id}/data", status_code=303)


@pages.get("/patients/{patient_id}/export.zip")
def export_zip(patient_id: int, uow: UoW, session: PageSession) -> Response:
    return _zip(uow, session.actor, patient_id)


@pages.get("/patients/{patient_id}/fhir.json")
def export_fhir(patient_id: int, uow: UoW, session: PageSession) -> Response:
    return _fhir(uow, session.actor, patient_id)


@pages.post("/patients/{patient_id}/erasure")
def erasure_request(patient_id: int, uow: UoW, session: FormSession) -> Response:
    rights.request_erasure(uow=uow, actor=session.actor, patient_id=patient_id)
    return RedirectResponse(f"/patients/{patient_id}/data", status_code=303)


@pages.get("/admin/erasure")
def erasure_queue(request: Request, uow: UoW, session: PageSession) -> Response:
    return templates.TemplateResponse(request, "erasure_queue.html", {
        "session": session, "requests": rights.list_requests(uow=uow, actor=session.actor)})


@pages.post("/admin/erasure/{request_id}/complete")
def erasure_complete(request_id: int, uow: UoW, session: FormSession) -> Response:
    rights.complete_erasure(uow=uow, actor=session.actor, request_id=request_id)
    return RedirectResponse("/admin/erasure", status_code=303)


# --- API -------------------------------------------------------------------------------------------------


@api.get("/patients/{patient_id}/export.zip", summary="Everything about a patient: tidy CSVs, audit trail, FHIR")
def api_export_zip(patient_id: int, uow: UoW, actor: ApiActor) -> Response:
    return _zip(uow, actor, patient_id)


@api.get("/patients/{patient_id}/fhir", summary="The patient as a FHIR R4 collection Bundle")
def api_export_fhir(patient_id: int, uow: UoW, actor: ApiActor) -> dict[str, Any]:
    return export_patient(uow=uow, actor=actor, patient_id=patient_id)


@api.post("/fhir/import", status_code=201, summary="Import a FHIR R4 Bundle, resource or bulk NDJSON (all or nothing)")
async def api_fhir_import(request: Request, uow: UoW, actor: ApiActor, filename: str = "upload.json",
                          patient_id: int | None = None) -> dict[str, Any]:
    from gutwise.interop.fhir_import import import_text

    body = await request.body()
    if len(body) > MAX_IMPORT_BYTES:
        raise InvalidInput.one("body", f"is larger than {MAX_IMPORT_BYTES // 1_000_000} MB", filename)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput.one("body", "is not UTF-8 text", filename) from None
    return import_text(uow=uow, actor=actor, text=text, filename=filename, patient_id=patient_id).as_json()


@api.post("/patients/{patient_id}/erasure", status_code=202, summary="Ask for this record to be erased (patient)")
def api_erasure(patient_id: int, uow: UoW, actor: ApiActor) -> dict[str, Any]:
    r = rights.request_erasure(uow=uow, actor=actor, patient_id=patient_id)
    return {"id": r.id, "status": r.status, "requested_at": r.requested_at.isoformat()}


@api.get("/cohort/export.zip", summary="Research export: every visible patient as tidy CSVs, without names or notes")
def api_cohort_zip(uow: UoW, actor: ApiActor) -> Response:
    if not (actor.is_clinician or actor.is_system):
        raise Forbidden("research exports are for clinicians")
    return attachment(tabular.cohort_zip(uow=uow, actor=actor), "gutwise-cohort.zip", "application/zip")


@api.get("/cohort/redcap.zip", summary="REDCap data dictionary and records of the instruments")
def api_redcap(uow: UoW, actor: ApiActor) -> Response:
    if not (actor.is_clinician or actor.is_system):
        raise Forbidden("research exports are for clinicians")
    return attachment(tabular.redcap_zip(uow=uow, actor=actor), "gutwise-redcap.zip", "application/zip")
