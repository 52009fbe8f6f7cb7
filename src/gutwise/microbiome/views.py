"""Pages and API routes of the microbiome step: samples, diversity over time, the PCoA, import."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from gutwise import knowledge
from gutwise.accounts import service as accounts_service
from gutwise.core.charts import Series, line_chart, scatter_chart
from gutwise.core.errors import InvalidInput
from gutwise.core.templating import templates
from gutwise.microbiome import service
from gutwise.web.deps import ApiActor, FormSession, PageSession, UoW

pages = APIRouter(include_in_schema=False)
api = APIRouter(tags=["microbiome"])


def _page(request: Request, uow: UoW, session: PageSession, patient_id: int, *,
          errors: list[str] | None = None, imported: int | None = None, status_code: int = 200) -> Response:
    patient = accounts_service.get_patient(uow=uow, actor=session.actor, patient_id=patient_id)
    rows = service.samples(uow=uow, actor=session.actor, patient_id=patient_id)
    ordination = service.ordination(uow=uow, actor=session.actor, patient_id=patient_id)
    diversity_svg = line_chart(
        [Series("Shannon", [(s.collected, s.shannon) for s in rows])],
        title="Shannon diversity over time", y_label="Shannon (ln)",
        desc="; ".join(f"{s.collected.isoformat()}: Shannon {s.shannon:.2f}" for s in rows) or "No samples yet.",
        height=180) if len(rows) >= 2 else None
    pcoa_svg = scatter_chart(
        ordination.points, title="Bray-Curtis PCoA",
        desc=f"This patient's {sum(p[3] for p in ordination.points)} samples (red squares) among "
             f"{ordination.others} other samples you may see (grey dots).",
        x_label=f"PC1 ({ordination.explained[0] * 100:.0f}%)", y_label=f"PC2 ({ordination.explained[1] * 100:.0f}%)",
    ) if ordination.points else None
    return templates.TemplateResponse(request, "microbiome.html", {
        "session": session, "patient": patient, "samples": rows, "ordination": ordination,
        "diversity_svg": diversity_svg, "pcoa_svg": pcoa_svg, "caution": service.caution(),
        "no_chao1": knowledge.microbiome().no_chao1_reason, "errors": errors or [], "imported": imported,
        "today": date.today(),
    }, status_code=status_code)


@pages.get("/patients/{patient_id}/microbiome")
def microbiome_page(patient_id: int, request: Request, uow: UoW, session: PageSession) -> Response:
    return _page(request, uow, session, patient_id)


@pages.post("/patients/{patient_id}/microbiome/import")
async def microbiome_import(patient_id: int, request: Request, uow: UoW, session: FormSession,
                            file: Annotated[UploadFile, File()], collected: Annotated[str, Form()] = "") -> Response:
    from starlette.concurrency import run_in_threadpool

    data = await file.read(service.MAX_TABLE_BYTES + 1)
    name = file.filename or "upload"

    def work() -> Response:
        try:
            on = date.fromisoformat(collected) if collected else date.today()
        except ValueError:
            return _page(request, uow, session, patient_id, errors=["collected: give the date as YYYY-MM-DD"],
                         status_code=422)
        try:
            before = len(service.samples(uow=uow, actor=session.actor, patient_id=patient_id))
            after = service.import_table(uow=uow, actor=session.actor, patient_id=patient_id, data=data,
                                         filename=name, collected=on)
        except InvalidInput as exc:
            return _page(request, uow, session, patient_id, errors=[e.line() for e in exc.errors], status_code=422)
        return _page(request, uow, session, patient_id, imported=len(after) - before)

    return await run_in_threadpool(work)


@api.get("/patients/{patient_id}/microbiome", summary="A patient's microbiome samples: diversity and taxa flags")
def api_microbiome(patient_id: int, uow: UoW, actor: ApiActor) -> list[dict[str, Any]]:
    return [{"id": s.id, "sample": s.sample_id, "collected": s.collected.isoformat(), "kind": s.kind,
             "shannon": s.shannon, "simpson": s.simpson, "observed": s.observed, "chao1": s.chao1,
             "faith_pd": s.faith_pd, "flags": [f for f in s.flags if f["flagged"]]}
            for s in service.samples(uow=uow, actor=actor, patient_id=patient_id)]
