"""Pages and API routes of the labs step: the lab page with trends, import, manual entry, the catalogue."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import Response

from gutwise import knowledge
from gutwise.accounts import service as accounts_service
from gutwise.core.charts import Series, line_chart
from gutwise.core.errors import InvalidInput
from gutwise.core.templating import templates
from gutwise.labs import service
from gutwise.labs.interpret import ABNORMAL
from gutwise.labs.units import convert
from gutwise.web.deps import ApiActor, FormFields, FormSession, PageSession, UoW

pages = APIRouter(include_in_schema=False)
api = APIRouter(tags=["labs"])

PANEL_ANALYTES = {
    "lps_panel": lambda a: a.category == "lps",
    "permeability": lambda a: a.category == "permeability",
    "inflammation": lambda a: a.category == "inflammation",
    "nice_baseline": lambda a: a.category == "baseline",
}


def trend_charts(overview: service.LabOverview) -> list[dict[str, Any]]:
    catalogue = knowledge.analytes().by_id()
    charts = []
    for analyte_id, results in sorted(overview.by_analyte.items(), key=lambda kv: catalogue[kv[0]].category):
        a = catalogue[analyte_id]
        if a.category == "lps":
            continue  # the LPS panel has its own grid
        unit = a.unit
        points = [(r.value.collected, r.interpretation.canonical_value) for r in results]
        latest = results[-1].interpretation
        band = None
        if latest.interval_source is not None and latest.canonical_value is not None:
            u = results[-1].value.unit
            band = (convert(latest.low, u, unit) if latest.low is not None else None,
                    convert(latest.high, u, unit) if latest.high is not None else None)
        flagged = frozenset(r.value.collected for r in results if r.interpretation.flag in ABNORMAL)
        desc = "; ".join(f"{d.isoformat()}: {v:g} {unit}" for d, v in points if v is not None)
        svg = None
        if len(results) >= 2:  # one value is a table row, not a trend
            svg = line_chart([Series(a.name, points, flagged)], title=f"{a.name} over time", y_label=unit,
                             desc=f"{a.name} in {unit}. {desc}." + (" Shaded: reference interval." if band else ""),
                             band=band, height=180)
        charts.append({"analyte": a, "results": results, "svg": svg})
    return charts


def _lab_page(request: Request, uow: UoW, session: PageSession, patient_id: int, *,
              report: service.ImportReport | None = None, errors: list[str] | None = None,
              status_code: int = 200) -> Response:
    patient = accounts_service.get_patient(uow=uow, actor=session.actor, patient_id=patient_id)
    overview = service.overview(uow=uow, actor=session.actor, patient_id=patient_id)
    catalogue = knowledge.analytes()
    grid = overview.lps_grid()
    return templates.TemplateResponse(request, "labs.html", {
        "session": session, "patient": patient, "overview": overview, "charts": trend_charts(overview),
        "grid": grid, "organisms": [o for o in catalogue.lps_profiles["maes_2007"]
                                    if any(k.endswith(o) for cells in grid.values() for k in cells)],
        "changes": [c for c in overview.changes if not c.analyte.startswith("lps_")],
        "grid_cutoffs": {d: sorted({r.value.ref_high for r in cells.values() if r.value.ref_high is not None})
                         for d, cells in grid.items()},
        "analytes": catalogue.by_id(), "caveats": catalogue.caveats, "panels": catalogue.panels,
        "report": report, "errors": errors or [], "today": date.today(),
    }, status_code=status_code)


@pages.get("/patients/{patient_id}/labs")
def lab_page(patient_id: int, request: Request, uow: UoW, session: PageSession) -> Response:
    return _lab_page(request, uow, session, patient_id)


@pages.post("/patients/{patient_id}/labs/import")
async def lab_import(patient_id: int, request: Request, uow: UoW, session: FormSession,
                     file: Annotated[UploadFile, File()]) -> Response:
    from starlette.concurrency import run_in_threadpool

    raw = await file.read(service.MAX_FILE_BYTES + 1)
    name = file.filename or "upload"

    def work() -> Response:
        try:
            text = raw.decode("utf-8-sig")
            report = service.import_file(uow=uow, actor=session.actor, patient_id=patient_id, text=text,
                                         filename=name)
        except UnicodeDecodeError:
            return _lab_page(request, uow, session, patient_id, errors=[f"{name}: not a UTF-8 text file"],
                             status_code=422)
        except InvalidInput as exc:
            return _lab_page(request, uow, session, patient_id, errors=[e.line() for e in exc.errors],
                             status_code=422)
        return _lab_page(request, uow, session, patient_id, report=report)

    return await run_in_threadpool(work)


def _manual_page(request: Request, uow: UoW, session: PageSession, patient_id: int, panel_id: str, *,
                 values: dict[str, str] | None = None, errors: list[str] | None = None,
                 status_code: int = 200) -> Response:
    patient = accounts_service.get_patient(uow=uow, actor=session.actor, patient_id=patient_id)
    catalogue = knowledge.analytes()
    panel = next((p for p in catalogue.panels if p.id == panel_id), catalogue.panels[0])
    analytes = [a for a in catalogue.analytes if PANEL_ANALYTES[panel.id](a)]
    return templates.TemplateResponse(request, "labs_manual.html", {
        "session": session, "patient": patient, "panel": panel, "panels": catalogue.panels, "analytes": analytes,
        "caveats": catalogue.caveats, "values": values or {}, "errors": errors or [], "today": date.today(),
    }, status_code=status_code)


@pages.get("/patients/{patient_id}/labs/manual")
def lab_manual(patient_id: int, request: Request, uow: UoW, session: PageSession,
               panel: str = "lps_panel") -> Response:
    return _manual_page(request, uow, session, patient_id, panel)


@pages.post("/patients/{patient_id}/labs/manual")
def lab_manual_save(patient_id: int, request: Request, uow: UoW, session: FormSession,
                    form: FormFields) -> Response:
    panel_id = str(form.get("panel", "lps_panel"))
    common = {"collected": str(form.get("collected", "")), "lab": str(form.get("lab", ""))}
    rows = []
    for analyte in knowledge.analytes().analytes:
        value = str(form.get(f"value__{analyte.id}", "")).strip()
        if not value:
            continue
        rows.append({"analyte": analyte.id, "value": value, "unit": str(form.get(f"unit__{analyte.id}", analyte.unit)),
                     "ref_low": str(form.get(f"ref_low__{analyte.id}", "")),
                     "ref_high": str(form.get(f"ref_high__{analyte.id}", "")), **common})
    try:
        report = service.add_panel(uow=uow, actor=session.actor, patient_id=patient_id, rows=rows)
    except InvalidInput as exc:
        return _manual_page(request, uow, session, patient_id, panel_id, values=dict(form),
                            errors=[e.line() for e in exc.errors], status_code=422)
    return _lab_page(request, uow, session, patient_id, report=report)


# --- JSON API --------------------------------------------------------------------------------------------


@api.get("/analytes", summary="The analyte catalogue: units, LOINC codes, default intervals, caveats")
def api_analytes(actor: ApiActor) -> dict[str, Any]:
    return knowledge.analytes().model_dump()


@api.get("/patients/{patient_id}/labs", summary="A patient's lab results, flagged, with LPS panel summaries")
def api_labs(patient_id: int, uow: UoW, actor: ApiActor) -> dict[str, Any]:
    overview = service.overview(uow=uow, actor=actor, patient_id=patient_id)
    analytes = knowledge.analytes().by_id()
    results = [{"id": r.id, "analyte": r.value.analyte, "loinc": analytes[r.value.analyte].loinc,
                "value": r.value.value, "unit": r.value.unit, "flag": r.interpretation.flag,
                "collected": r.value.collected.isoformat(), "lab": r.value.lab,
                "interval": {"low": r.interpretation.low, "high": r.interpretation.high,
                             "source": r.interpretation.interval_source}}
               for rs in overview.by_analyte.values() for r in rs]
    return {"results": sorted(results, key=lambda r: (r["collected"], r["analyte"])),
            "panels": {"lps_panel": [p.as_json() for p in overview.panels]},
            "changes": [c.as_json() for c in overview.changes]}


@api.post("/patients/{patient_id}/labs", status_code=201,
          summary="Import a CSV or FHIR R4 file of results (the request body); all or nothing")
async def api_labs_import(patient_id: int, request: Request, uow: UoW, actor: ApiActor) -> dict[str, Any]:
    from starlette.concurrency import run_in_threadpool

    body = await request.body()
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput.one("body", "is not UTF-8 text") from None
    name = request.headers.get("x-filename", "api upload")
    report = await run_in_threadpool(lambda: service.import_file(uow=uow, actor=actor, patient_id=patient_id,
                                                                 text=text, filename=name))
    return {"import_id": report.import_id, "format": report.format, "rows": report.rows,
            "unmapped": report.unmapped, "resources": report.resources}


@pages.get("/my/labs")
def my_labs(uow: UoW, session: PageSession) -> Response:
    """The patient's own lab page (the nav link)."""
    from fastapi.responses import RedirectResponse

    from gutwise.core.errors import NotFound

    patient_id = accounts_service.own_patient_id(uow=uow, actor=session.actor)
    if patient_id is None:
        raise NotFound("labs")
    return RedirectResponse(f"/patients/{patient_id}/labs", status_code=303)
