"""What a report says, gathered through the services (so the reader's access is checked and audited).

One ``ReportData`` feeds both audiences: the patient report keeps to plain words; the clinician report adds the
criteria table, scores with reliable change, the LPS grid, the n-of-1 results in the CENT layout, medicines and
safety warnings, and where every piece of data came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from gutwise import knowledge
from gutwise.core.authz import Actor
from gutwise.core.errors import Forbidden
from gutwise.core.uow import UnitOfWork

Audience = Literal["patient", "clinician"]


@dataclass
class ReportData:
    audience: Audience
    patient: Any
    generated: datetime
    start: date | None
    end: date | None
    screen: dict[str, Any] | None
    responses: list[Any]
    progress: Any
    progress_svg: dict[str, str]
    experiments: list[Any]
    plan: Any
    adherence: dict[str, list[dict[str, Any]]]
    labs: Any
    lab_charts: list[dict[str, Any]]
    lps_grid: dict[date, dict[str, Any]]
    lps_organisms: list[str]
    microbiome: list[Any]
    microbiome_svg: str | None
    conditions: list[dict[str, Any]]
    medications: list[dict[str, Any]]
    provenance: list[dict[str, Any]]
    diary_days: int
    questions: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.screen or self.responses or self.diary_days or self.labs.by_analyte or self.plan)


def _in(day: date, start: date | None, end: date | None) -> bool:
    return (start is None or day >= start) and (end is None or day <= end)


def gather(*, uow: UnitOfWork, actor: Actor, patient_id: int, audience: Audience = "patient",
           start: date | None = None, end: date | None = None) -> ReportData:
    from gutwise.accounts import service as accounts_service
    from gutwise.core.charts import Series, line_chart
    from gutwise.diary import service as diary_service
    from gutwise.labs import service as labs_service
    from gutwise.labs.views import trend_charts
    from gutwise.microbiome import service as microbiome_service
    from gutwise.outcomes import experiments
    from gutwise.outcomes import service as outcomes_service
    from gutwise.outcomes.views import progress_charts
    from gutwise.protocol import service as protocol_service
    from gutwise.screening import service as screening_service

    if audience == "clinician" and actor.is_patient:
        raise Forbidden("the clinician report is for clinicians; your report is the patient report")
    if start and end and start > end:
        from gutwise.core.errors import InvalidInput

        raise InvalidInput.one("from", f"{start.isoformat()} is after {end.isoformat()}")
    patient = accounts_service.get_patient(uow=uow, actor=actor, patient_id=patient_id)
    latest = screening_service.latest_screen(uow=uow, actor=actor, patient_id=patient_id)
    responses = [r for r in screening_service.list_responses(uow=uow, actor=actor, patient_id=patient_id)
                 if _in(r.answered_on, start, end)]
    progress = outcomes_service.progress(uow=uow, actor=actor, patient_id=patient_id)
    if start or end:
        progress.diary[:] = [(d, v) for d, v in progress.diary if _in(d, start, end)]
        for rows in progress.scores.values():
            rows[:] = [s for s in rows if _in(s.day, start, end)]
        # the analyses use all the data; the report shows the changes made within the period
        progress.changes[:] = [c for c in progress.changes if _in(c.change.day, start, end)]
    designs = experiments.list_designs(uow=uow, actor=actor, patient_id=patient_id)
    exp_reports = [experiments.report(uow=uow, actor=actor, patient_id=patient_id, design_id=d.id) for d in designs]
    plan = protocol_service.approved_plan(uow=uow, actor=actor, patient_id=patient_id)
    adherence = protocol_service.weekly_adherence(uow=uow, actor=actor, patient_id=patient_id) if plan else {}
    labs = labs_service.overview(uow=uow, actor=actor, patient_id=patient_id)
    for key in list(labs.by_analyte):
        labs.by_analyte[key] = [r for r in labs.by_analyte[key] if _in(r.value.collected, start, end)]
        if not labs.by_analyte[key]:
            del labs.by_analyte[key]
    grid = {d: cells for d, cells in labs.lps_grid().items() if _in(d, start, end)}
    profile = knowledge.analytes().lps_profiles["maes_2007"]
    samples = [s for s in microbiome_service.samples(uow=uow, actor=actor, patient_id=patient_id)
               if _in(s.collected, start, end)]
    micro_svg = line_chart([Series("Shannon", [(s.collected, s.shannon) for s in samples])],
                           title="Shannon diversity over time", y_label="Shannon (ln)",
                           desc="; ".join(f"{s.collected.isoformat()}: {s.shannon:.2f}" for s in samples),
                           height=170) if len(samples) >= 2 else None
    extra = _extras(uow=uow, actor=actor, patient_id=patient_id)
    days = diary_service.list_diary(uow=uow, actor=actor, patient_id=patient_id, start=start, end=end)
    data = ReportData(
        audience=audience, patient=patient, generated=datetime.now().astimezone(), start=start, end=end,
        screen=latest.result if latest else None, responses=responses, progress=progress,
        progress_svg=progress_charts(progress), experiments=exp_reports, plan=plan, adherence=adherence,
        labs=labs, lab_charts=trend_charts(labs), lps_grid=grid,
        lps_organisms=[o for o in profile if any(k.endswith(o) for cells in grid.values() for k in cells)],
        microbiome=samples, microbiome_svg=micro_svg, conditions=extra["conditions"],
        medications=extra["medications"], provenance=_provenance(labs, samples, extra["imports"], days, responses),
        diary_days=len(days))
    data.questions = questions(data)
    return data


def _extras(*, uow: UnitOfWork, actor: Actor, patient_id: int) -> dict[str, Any]:
    """Conditions and medicines taken in from other systems, and the FHIR imports that touched this patient."""
    from sqlalchemy import select

    from gutwise.accounts import access
    from gutwise.core import audit
    from gutwise.interop import records
    from gutwise.interop.models import FhirImport

    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        s = uow.session
        # newest first in a report
        conditions = list(reversed(records.conditions(s, patient_id)))
        medications = records.medications(s, patient_id)
        imports = [{"source": i.filename, "format": "FHIR", "when": i.imported_at, "what": ", ".join(
            f"{k} {v}" for k, v in i.resources.items())} for i in s.scalars(select(FhirImport)
                                                                            .order_by(FhirImport.id))
                   if patient_id in (i.patient_ids or [])]
        for entity in ("condition", "medication_statement"):
            audit.record(uow, actor=actor, action="read", entity=entity, patient_id=patient_id,
                         detail={"use": "report"})
        uow.commit()
    return {"conditions": conditions, "medications": medications, "imports": imports}


def _provenance(labs: Any, samples: list[Any], imports: list[dict[str, Any]], days: list[Any],
                responses: list[Any]) -> list[dict[str, Any]]:
    out = [{"what": "Daily diary", "source": "entered in gutwise", "detail": f"{len(days)} days"
            + (f", {days[0].day.isoformat()} to {days[-1].day.isoformat()}" if days else "")}]
    sources: dict[str, int] = {}
    for r in responses:
        sources[r.source] = sources.get(r.source, 0) + 1
    for source, n in sorted(sources.items()):
        out.append({"what": "Questionnaires", "source": source, "detail": f"{n} responses"})
    for i in labs.imports:
        out.append({"what": "Lab results", "source": f"{i['source']} ({i['format']})",
                    "detail": f"{i['rows']} results, imported {i['imported_at']:%Y-%m-%d}"
                    + (f"; {len(i['unmapped'])} codes not in the catalogue" if i["unmapped"] else "")})
    for s in samples:
        out.append({"what": "Microbiome sample", "source": s.source, "detail": f"collected {s.collected.isoformat()}"})
    for i in imports:
        out.append({"what": "FHIR import", "source": i["source"], "detail": f"{i['what']}; imported "
                    f"{i['when']:%Y-%m-%d}"})
    return out


def questions(d: ReportData) -> list[str]:
    """Questions to take to the doctor, each from something in this person's own data."""
    out = []
    if d.screen and (d.screen.get("red_flags") or d.screen.get("alerts")):
        out.append("My screening raised a warning sign. What should be checked first?")
    if d.screen and d.screen.get("checklist"):
        tests = ", ".join(c["label"] for c in d.screen["checklist"][:4])
        out.append(f"Have the usual tests to rule out other causes been done ({tests})?")
    flagged = sorted({r.value.analyte for rows in d.labs.by_analyte.values() for r in rows
                      if r.interpretation.flag in ("low", "high", "critical")
                      and not r.value.analyte.startswith("lps_")})
    if flagged:
        names = ", ".join(knowledge.analytes().by_id()[a].name for a in flagged[:4])
        out.append(f"Some results were outside the lab's range ({names}). What do they mean for me?")
    if d.labs.panels:
        out.append("My LPS antibody panel is a research test. How much should it change what we do?")
    unclear = [c.change.label for c in d.progress.changes if not c.result.adequate]
    if unclear:
        out.append(f"There is not enough data yet to judge {unclear[0]}. How long should I keep it up?")
    harmful = [c.change.label for c in d.progress.changes if c.result.p_harm and c.result.p_harm > 0.5]
    if harmful:
        out.append(f"My diary suggests I may be worse since {harmful[0]}. Should I stop it?")
    if d.plan and any(i.kind in ("supplement", "probiotic") for i in d.plan.items):
        out.append("Do any of my supplements interact with my other medicines?")
    out.append("What would be a sign that I should change or stop the plan?")
    return out
