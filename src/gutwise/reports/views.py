"""Report downloads: the patient report for the patient and their clinicians, the clinician report for clinicians."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from fastapi.responses import Response

from gutwise.core.errors import InvalidInput
from gutwise.reports import content, render
from gutwise.web.deps import ApiActor, PageSession, UoW
from gutwise.web.responses import attachment

pages = APIRouter(include_in_schema=False)
api = APIRouter(tags=["reports"])


def _day(raw: str | None, name: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput.one(name, f"{raw!r} is not a date (YYYY-MM-DD)") from None


def _report(uow: UoW, actor: object, patient_id: int, fmt: str, audience: str, page: str, start: str | None,
            end: str | None) -> Response:
    if fmt not in ("pdf", "html"):
        raise InvalidInput.one("format", "use pdf or html")
    if audience not in ("patient", "clinician"):
        raise InvalidInput.one("audience", "use patient or clinician")
    if page not in ("a4", "letter"):
        raise InvalidInput.one("page", "use a4 or letter")
    data = content.gather(uow=uow, actor=actor, patient_id=patient_id,  # type: ignore[arg-type]
                          audience=audience,  # type: ignore[arg-type]
                          start=_day(start, "from"), end=_day(end, "to"))
    name = f"gutwise-{audience}-report-{patient_id}-{date.today().isoformat()}.{fmt}"
    if fmt == "pdf":
        return attachment(render.pdf(data, page=page), name, "application/pdf")  # type: ignore[arg-type]
    return attachment(render.html(data, page=page), name, "text/html; charset=utf-8")  # type: ignore[arg-type]


@pages.get("/patients/{patient_id}/report")
def report_download(patient_id: int, uow: UoW, session: PageSession, format: str = "pdf",
                    audience: str = "patient", page: str = "a4", start: str | None = None,
                    end: str | None = None) -> Response:
    return _report(uow, session.actor, patient_id, format, audience, page, start, end)


@api.get("/patients/{patient_id}/report", summary="A patient or clinician report (PDF or self-contained HTML)")
def api_report(patient_id: int, uow: UoW, actor: ApiActor, format: str = "pdf",
               audience: str = "patient", page: str = "a4", start: str | None = None,
               end: str | None = None) -> Response:
    return _report(uow, actor, patient_id, format, audience, page, start, end)
