"""Pages and API routes of the learn step: a person's progress, n-of-1 experiments, the clinic's cohort."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from gutwise import knowledge
from gutwise.accounts import service as accounts_service
from gutwise.core import charts
from gutwise.core.errors import InvalidInput, NotFound
from gutwise.core.templating import templates
from gutwise.outcomes import experiments, service
from gutwise.web.deps import ApiActor, FormFields, FormSession, PageSession, UoW

pages = APIRouter(include_in_schema=False)
api = APIRouter(tags=["outcomes"])


def _shades(changes: list[service.ChangeView], end: date | None) -> list[charts.Shade]:
    """Every other phase between plan changes shaded, so phases read apart without colour alone."""
    out = []
    for i, c in enumerate(changes):
        if i % 2 == 0:
            until = changes[i + 1].change.day if i + 1 < len(changes) else end
            if until is not None and until > c.change.day:
                out.append(charts.Shade(c.change.day, until, f"phase from {c.change.label}"))
    return out


def progress_charts(p: service.Progress) -> dict[str, str]:
    """SVG charts of the progress page (and of the reports): the diary outcome and each instrument's scores."""
    spec = knowledge.outcomes().daily[p.outcome]
    crash = frozenset(p.crash_days)
    end = p.diary[-1][0] if p.diary else None
    words = (f"{len(p.diary)} diary days, {len(p.crash_days)} of them crash days (triangles); dashed lines mark the "
             f"{len(p.changes)} plan changes, numbered as in the list below; every other phase is shaded.")
    out = {"diary": charts.line_chart([charts.Series(spec.label, p.diary, crash)], title=spec.label, desc=words,
                                      y_label=spec.label, y_min=spec.range[0], y_max=spec.range[1],
                                      markers=[charts.Marker(c.change.day, c.change.label, str(i))
                                               for i, c in enumerate(p.changes, start=1)],
                                      shades=_shades(p.changes, end), height=260)}
    for instrument, rows in p.scores.items():
        if not rows:
            continue
        title = knowledge.instrument(instrument).short_title or instrument
        out[instrument] = charts.line_chart(
            [charts.Series(title, [(s.day, s.total) for s in rows])], title=f"{title} total",
            desc=f"{len(rows)} ratings from {rows[0].day.isoformat()} to {rows[-1].day.isoformat()}.",
            y_label="total", y_min=0, markers=[charts.Marker(c.change.day, "") for c in p.changes[:1]], height=180)
    return out


@pages.get("/patients/{patient_id}/progress")
def progress_page(patient_id: int, request: Request, uow: UoW, session: PageSession) -> Response:
    patient = accounts_service.get_patient(uow=uow, actor=session.actor, patient_id=patient_id)
    p = service.progress(uow=uow, actor=session.actor, patient_id=patient_id)
    return templates.TemplateResponse(request, "progress.html", {
        "session": session, "patient": patient, "p": p, "svg": progress_charts(p),
        "instruments": {i: knowledge.instrument(i) for i in p.scores},
        "defs": knowledge.outcomes(), "experiments": experiments.list_designs(
            uow=uow, actor=session.actor, patient_id=patient_id)})


@pages.get("/my/progress")
def my_progress(uow: UoW, session: PageSession) -> Response:
    patient_id = accounts_service.own_patient_id(uow=uow, actor=session.actor)
    if patient_id is None:
        raise NotFound("progress")
    return RedirectResponse(f"/patients/{patient_id}/progress", status_code=303)


@api.get("/patients/{patient_id}/progress", summary="Instrument changes (RCI) and n-of-1 results of plan changes")
def api_progress(patient_id: int, uow: UoW, actor: ApiActor, outcome: str = "fatigue") -> dict[str, Any]:
    if outcome not in knowledge.outcomes().daily:
        raise InvalidInput.one("outcome", f"unknown outcome {outcome!r}")
    return service.progress(uow=uow, actor=actor, patient_id=patient_id, outcome=outcome).as_json()


# --- the clinic's cohort ---------------------------------------------------------------------------------


def cohort_charts(out: dict[str, Any], intervention: str | None) -> dict[str, str]:
    ors = out["logistic"]["odds_ratios"]
    forest = charts.forest_chart(
        [charts.ForestRow(o["variable"], o["odds_ratio"], o["ci95"][0], o["ci95"][1]) for o in ors],
        title="Odds ratios of response", x_label="odds ratio (log scale; right of 1 = more likely to respond)",
        desc="; ".join(f"{o['variable']}: {o['odds_ratio']} ({o['ci95'][0]} to {o['ci95'][1]})" for o in ors)
        or "No model.", reference=1.0, log_scale=True)
    km = out["time_to_response"]
    curve = charts.step_chart(km["times"], km["survival"], title="Time to response (Kaplan-Meier)",
                              desc=f"{km['n']} patients, {km.get('events', 0)} responses; median "
                                   f"{km['median_days'] or 'not reached'} days.",
                              x_label="days from the first rating", y_label="share not yet responded",
                              end=km["max_followup_days"])
    pooled = out["pooled_effects"]
    names = knowledge.interventions().by_id()
    population = charts.forest_chart(
        [charts.ForestRow(names[name].name if name in names else name, p["population_effect"],
                          *(p["ci95"] or (None, None)), emphasis=True) for name, p in sorted(pooled.items())],
        title="Pooled n-of-1 effects per intervention", reference=0.0,
        x_label=f"change in {out['pooled_outcome']} level (left of 0 = lower)",
        desc=f"Random-effects pooled level change of {out['pooled_outcome']} at each intervention's start.")
    individual = ""
    if intervention in pooled and pooled[intervention]["population_effect"] is not None:
        p = pooled[intervention]
        labels = {r["patient_id"]: r["label"] for r in out["table"]}
        rows = [charts.ForestRow(labels.get(r["patient_id"], str(r["patient_id"])), r["shrunken"],
                                 r["shrunken"] - 1.96 * r["se"] * r["weight_own_data"] ** 0.5,
                                 r["shrunken"] + 1.96 * r["se"] * r["weight_own_data"] ** 0.5)
                for r in p["individual"]]
        rows.append(charts.ForestRow("everyone (pooled)", p["population_effect"], *p["ci95"], emphasis=True))
        name = names[intervention].name if intervention in names else intervention
        individual = charts.forest_chart(rows, title=f"Shrunken individual effects of {name}",
                                         reference=0.0, x_label=f"change in {out['pooled_outcome']} level",
                                         desc=f"{p['k']} patients; between-patient SD {p['tau']}.")
    return {"forest": forest, "km": curve, "pooled": population, "individual": individual}


@pages.get("/cohort")
def cohort_page(request: Request, uow: UoW, session: PageSession, intervention: str | None = None) -> Response:
    out = service.cohort(uow=uow, actor=session.actor)
    pooled = out["pooled_effects"]
    if intervention is None or intervention not in pooled:
        intervention = max(pooled, key=lambda k: pooled[k]["k"], default=None) if "glutamine" not in pooled \
            else "glutamine"
    return templates.TemplateResponse(request, "cohort.html", {
        "session": session, "out": out, "svg": cohort_charts(out, intervention), "intervention": intervention,
        "catalogue": knowledge.interventions().by_id()})


@api.get("/cohort", summary="Cohort analytics over the clinician's consenting patients (observational)")
def api_cohort(uow: UoW, actor: ApiActor) -> dict[str, Any]:
    return service.cohort(uow=uow, actor=actor)


# --- n-of-1 experiments ----------------------------------------------------------------------------------


def _experiment_form(request: Request, uow: UoW, session: PageSession, patient_id: int, *,
                     errors: list[str] | None = None, values: dict[str, str] | None = None,
                     status_code: int = 200) -> Response:
    patient = accounts_service.get_patient(uow=uow, actor=session.actor, patient_id=patient_id)
    catalogue = knowledge.interventions()
    return templates.TemplateResponse(request, "experiment_new.html", {
        "session": session, "patient": patient, "errors": errors or [], "values": values or {},
        "interventions": [i for i in catalogue.interventions if i.plan_item], "designs": experiments.DESIGNS,
        "outcomes": knowledge.outcomes().daily, "tomorrow": date.today() + timedelta(days=1)},
        status_code=status_code)


@pages.get("/patients/{patient_id}/experiments/new")
def experiment_new(patient_id: int, request: Request, uow: UoW, session: PageSession) -> Response:
    return _experiment_form(request, uow, session, patient_id)


@pages.post("/patients/{patient_id}/experiments")
def experiment_create(patient_id: int, request: Request, uow: UoW, session: FormSession,
                      form: FormFields) -> Response:
    values = {k: str(v) for k, v in form.items()}
    accounts_service.get_patient(uow=uow, actor=session.actor, patient_id=patient_id)  # 404 before any detail
    try:
        design = experiments.create_design(uow=uow, actor=session.actor, patient_id=patient_id,
                                           spec=experiments.parse_form(values))
    except InvalidInput as exc:
        return _experiment_form(request, uow, session, patient_id, errors=[e.line() for e in exc.errors],
                                values=values, status_code=422)
    return RedirectResponse(f"/patients/{patient_id}/experiments/{design.id}", status_code=303)


@pages.get("/patients/{patient_id}/experiments/{design_id}")
def experiment_page(patient_id: int, design_id: int, request: Request, uow: UoW, session: PageSession) -> Response:
    patient = accounts_service.get_patient(uow=uow, actor=session.actor, patient_id=patient_id)
    report = experiments.report(uow=uow, actor=session.actor, patient_id=patient_id, design_id=design_id)
    return templates.TemplateResponse(request, "experiment.html", {
        "session": session, "patient": patient, "r": report, "svg": experiments.periods_chart(report)})


@api.get("/patients/{patient_id}/experiments", summary="The patient's n-of-1 experiments (designs)")
def api_experiments(patient_id: int, uow: UoW, actor: ApiActor) -> list[dict[str, Any]]:
    return [d.as_json() for d in experiments.list_designs(uow=uow, actor=actor, patient_id=patient_id)]


@api.get("/patients/{patient_id}/experiments/{design_id}", summary="A CENT-style report of one n-of-1 experiment")
def api_experiment(patient_id: int, design_id: int, uow: UoW, actor: ApiActor) -> dict[str, Any]:
    return experiments.report(uow=uow, actor=actor, patient_id=patient_id, design_id=design_id).as_json()
