"""Use cases of the learn step: one person's progress (instrument changes and n-of-1 results around the plan's
dated changes) and a clinic's cohort analytics. Reads go through the access rules and are audited.

The cohort computation reads whole tables in a few queries (not one service call per patient): it is the part
that must scale to thousands of patients (``bench/cohort.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import String, func, insert, select, type_coerce

from gutwise import knowledge
from gutwise.accounts import access
from gutwise.accounts.models import Patient
from gutwise.core import audit
from gutwise.core.authz import Actor
from gutwise.core.errors import Forbidden
from gutwise.core.uow import UnitOfWork
from gutwise.diary.models import DiaryDay
from gutwise.labs.models import LabResult
from gutwise.outcomes import cohort as cohort_stats
from gutwise.outcomes.change import ChangeScore, Score, change_score, clinic_sd
from gutwise.outcomes.nof1 import Change, Nof1Result, analyse, analyse_many, plain_words
from gutwise.protocol.models import Adherence, Plan, PlanEvent
from gutwise.protocol.service import ADHERENCE
from gutwise.screening.models import QuestionnaireResponse

# --- plan changes as n-of-1 changes (pure) ---------------------------------------------------------------


@dataclass(frozen=True)
class PlanChange:
    """Everything that changed on one date (items started the same day cannot be told apart)."""

    day: date
    kinds: tuple[tuple[str, str], ...]  # (intervention, start | stop | dose_change)
    label: str
    onset_days: int | None
    reversible: bool

    @property
    def interventions(self) -> list[str]:
        return [i for i, _ in self.kinds]


def plan_changes(events: Iterable[tuple[date, str, str]]) -> list[PlanChange]:
    """Group dated plan events (day, intervention, kind) into one change per date, labelled in plain words."""
    catalogue = knowledge.interventions().by_id()
    by_day: dict[date, list[tuple[str, str]]] = defaultdict(list)
    for day, intervention, kind in events:
        by_day[day].append((intervention, kind))
    out = []
    verbs = {"start": "started", "stop": "stopped", "dose_change": "dose changed"}
    for day in sorted(by_day):
        kinds = tuple(sorted(set(by_day[day])))
        parts = []
        for intervention, kind in kinds:
            name = catalogue[intervention].name if intervention in catalogue else intervention
            parts.append(name if kind == "start" else f"{name} {verbs.get(kind, kind)}")
        onsets = [catalogue[i].onset_days for i, _ in kinds if i in catalogue and catalogue[i].onset_days]
        out.append(PlanChange(day, kinds, " + ".join(parts), max(onsets) if onsets else None,
                              all(catalogue[i].reversible for i, _ in kinds if i in catalogue)))
    return out


def change_adherence(changes: Sequence[PlanChange], statuses: dict[tuple[str, date], str],
                     end: date) -> list[float | None]:
    """Per change: the share of answered checklist days the started items were taken (partly = half), from the
    change to the next one; None when nothing was answered (or only stops changed)."""
    out: list[float | None] = []
    for i, c in enumerate(changes):
        until = changes[i + 1].day if i + 1 < len(changes) else end + timedelta(days=1)
        started = [name for name, kind in c.kinds if kind != "stop"]
        answered = [ADHERENCE[s] for (name, d), s in statuses.items() if name in started and c.day <= d < until]
        out.append(sum(answered) / len(answered) if answered else None)
    return out


# --- one person's progress -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeView:
    change: PlanChange
    result: Any  # nof1.ChangeResult
    words: str


@dataclass(frozen=True)
class Progress:
    patient_id: int
    outcome: str
    diary: list[tuple[date, float | None]]
    crash_days: list[date]
    changes: list[ChangeView]
    nof1: Nof1Result | None
    scores: dict[str, list[Score]]
    change_scores: dict[str, ChangeScore]
    plan_start: date | None
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"patient_id": self.patient_id, "outcome": self.outcome,
                "nof1": None if self.nof1 is None else self.nof1.as_json(),
                "plan_changes": [{"date": c.change.day.isoformat(), "label": c.change.label,
                                  "interventions": c.change.interventions, "onset_days": c.change.onset_days,
                                  "plain_words": c.words} for c in self.changes],
                "instruments": {k: v.as_json() for k, v in self.change_scores.items()},
                "notes": self.notes}


def _clinic_baseline_sds(uow: UnitOfWork) -> dict[str, float | None]:
    """Per instrument, the SD of every patient's first score: an aggregate over at least ``sd_from_clinic_min_n``
    patients, never a record, so it is computed over the whole clinic whoever asks."""
    first = (select(QuestionnaireResponse.patient_id, QuestionnaireResponse.instrument,
                    func.min(QuestionnaireResponse.answered_on).label("first"))
             .where(QuestionnaireResponse.total.is_not(None))
             .group_by(QuestionnaireResponse.patient_id, QuestionnaireResponse.instrument).subquery())
    rows = uow.session.execute(
        select(QuestionnaireResponse.instrument, QuestionnaireResponse.total)
        .join(first, (first.c.patient_id == QuestionnaireResponse.patient_id)
              & (first.c.instrument == QuestionnaireResponse.instrument)
              & (first.c.first == QuestionnaireResponse.answered_on)))
    by_instrument: dict[str, list[float]] = defaultdict(list)
    for instrument, total in rows:
        by_instrument[instrument].append(float(total))
    return {k: clinic_sd(by_instrument.get(k, [])) for k in knowledge.outcomes().instruments}


def _scores(uow: UnitOfWork, patient_ids: Sequence[int] | None, instruments: Iterable[str]) -> \
        dict[int, dict[str, list[Score]]]:
    query = (select(QuestionnaireResponse.patient_id, QuestionnaireResponse.instrument,
                    QuestionnaireResponse.answered_on, QuestionnaireResponse.total)
             .where(QuestionnaireResponse.instrument.in_(list(instruments)), QuestionnaireResponse.total.is_not(None))
             .order_by(QuestionnaireResponse.answered_on, QuestionnaireResponse.id))
    if patient_ids is not None:
        query = query.where(QuestionnaireResponse.patient_id.in_(patient_ids))
    out: dict[int, dict[str, list[Score]]] = defaultdict(lambda: defaultdict(list))
    for pid, instrument, day, total in uow.session.connection().execute(query).all():
        out[pid][instrument].append(Score(day, float(total)))
    return out


def _events(uow: UnitOfWork, patient_ids: Sequence[int] | None) -> dict[int, list[tuple[date, str, str]]]:
    """Dated plan events of approved (or superseded) plans, never of drafts."""
    query = (select(PlanEvent.patient_id, PlanEvent.on_date, PlanEvent.intervention, PlanEvent.kind)
             .join(Plan, Plan.id == PlanEvent.plan_id).where(Plan.status != "draft")
             .order_by(PlanEvent.on_date, PlanEvent.id))
    if patient_ids is not None:
        query = query.where(PlanEvent.patient_id.in_(patient_ids))
    out: dict[int, list[tuple[date, str, str]]] = defaultdict(list)
    for pid, day, intervention, kind in uow.session.connection().execute(query).all():
        out[pid].append((day, intervention, kind))
    return out


def _adherence(uow: UnitOfWork, patient_ids: Sequence[int] | None) -> dict[int, dict[tuple[str, date], str]]:
    query = select(Adherence.patient_id, Adherence.intervention, Adherence.day, Adherence.status)
    if patient_ids is not None:
        query = query.where(Adherence.patient_id.in_(patient_ids))
    out: dict[int, dict[tuple[str, date], str]] = defaultdict(dict)
    for pid, intervention, day, status in uow.session.connection().execute(query).all():
        out[pid][(intervention, day)] = status
    return out


def _nof1_changes(changes: Sequence[PlanChange], adherence: dict[tuple[str, date], str], end: date) -> list[Change]:
    """Plan changes as n-of-1 changes: the knowledge file's default lag and run-in, and each change's adherence."""
    settings = knowledge.outcomes().nof1
    shares = change_adherence(changes, adherence, end)
    return [Change(c.day, c.label, settings.default_lag_days, settings.default_run_in_days, share)
            for c, share in zip(changes, shares, strict=True)]


def _nof1(diary: Sequence[tuple[date, float | None]], changes: Sequence[PlanChange],
          adherence: dict[tuple[str, date], str], *, outcome: str) -> Nof1Result | None:
    if not changes or not diary:
        return None
    return analyse([d for d, _ in diary], [v for _, v in diary], _nof1_changes(changes, adherence, diary[-1][0]),
                   outcome=outcome)


def progress(*, uow: UnitOfWork, actor: Actor, patient_id: int, outcome: str = "fatigue") -> Progress:
    """The patient's diary outcome with the plan's changes, each change's n-of-1 result in plain words, and the
    change on each scheduled instrument with its reliable change index."""
    spec = knowledge.outcomes().daily[outcome]
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        diary_rows = uow.session.execute(select(DiaryDay.day, DiaryDay.fatigue, DiaryDay.crash)
                                         .where(DiaryDay.patient_id == patient_id).order_by(DiaryDay.day)).all()
        events = _events(uow, [patient_id]).get(patient_id, [])
        adherence = _adherence(uow, [patient_id]).get(patient_id, {})
        scores = _scores(uow, [patient_id], knowledge.outcomes().instruments).get(patient_id, {})
        sds = _clinic_baseline_sds(uow)
        for entity in ("diary_day", "plan_event", "adherence", "questionnaire_response"):
            audit.record(uow, actor=actor, action="read", entity=entity, patient_id=patient_id,
                         detail={"use": "progress"})
        uow.commit()
    diary = [(d, None if v is None else float(v)) for d, v, _ in diary_rows]
    changes = plan_changes(events)
    result = _nof1(diary, changes, adherence, outcome=outcome)
    views = []
    notes = []
    if result is not None:
        for c, r in zip(changes, result.changes, strict=True):
            words = plain_words(r, label=c.label, lower_is_better=not spec.higher_is_better)
            if c.onset_days and r.adequate:
                words += (f" This item may take up to {c.onset_days} days to act, so part of its effect may show "
                          "only later.")
            views.append(ChangeView(c, r, words))
    elif not changes:
        notes.append("No plan changes yet: once a plan is approved, each change is analysed here.")
    change_scores = {}
    for instrument, rows in scores.items():
        cs = change_score(instrument, rows, clinic_baseline_sd=sds.get(instrument))
        if cs is not None:
            change_scores[instrument] = cs
    plan_start = min((c.day for c in changes), default=None)
    return Progress(patient_id, outcome, diary, [d for d, _, crash in diary_rows if crash], views, result,
                    dict(scores), change_scores, plan_start, notes)


# --- the clinic's cohort ---------------------------------------------------------------------------------


def _age(p: Patient, on: date) -> float | None:
    if p.birth_date is not None:
        return (on - p.birth_date).days / 365.25
    if p.birth_year is not None:
        return float(on.year - p.birth_year)
    return None


def _lps_baseline(rows: Sequence[tuple[date, float, float | None]]) -> bool | None:
    """At the first LPS collection: any IgA/IgM above the lab's own cut-off (None without cut-offs). A description
    of the result, not a diagnosis: the panel is a research assay and gutwise sets no cut-off of its own."""
    if not rows:
        return None
    first = min(d for d, _, _ in rows)
    judged = [v > cut for d, v, cut in rows if d == first and cut is not None]
    return any(judged) if judged else None


@dataclass(frozen=True)
class _PatientData:
    patient: Patient
    scores: list[Score]
    lps: list[tuple[date, float, float | None]]


def _outcome_row(d: _PatientData, instrument: str, sd: float | None) -> tuple[cohort_stats.PatientOutcome,
                                                                             dict[str, Any]]:
    p = d.patient
    scores = sorted(d.scores, key=lambda s: s.day)
    baseline = scores[0].day if scores else None
    cs = change_score(instrument, scores, clinic_baseline_sd=sd) if len(scores) >= 2 else None
    responder = None if cs is None or cs.status == "cannot tell" else cs.status == "improved"
    days_to_response = None
    if responder and cs is not None and cs.s_diff:
        spec = knowledge.outcomes().instruments[instrument]
        z = knowledge.outcomes().rci.z
        for s in scores[1:]:
            rel = (s.total - scores[0].total) / cs.s_diff
            if (rel if spec.higher_is_better else -rel) > z:
                days_to_response = float((s.day - scores[0].day).days)
                break
    followup = float((scores[-1].day - scores[0].day).days) if len(scores) >= 2 else None
    age = _age(p, baseline) if baseline else None
    years = (baseline - p.illness_onset).days / 365.25 if baseline and p.illness_onset else None
    lps = _lps_baseline(d.lps)
    row = cohort_stats.PatientOutcome(p.id, age, years, lps, responder, days_to_response, followup)
    table = {"patient_id": p.id, "label": p.label, "age": None if age is None else round(age, 1),
             "illness_years": None if years is None else round(years, 1), "lps_above_cutoff": lps,
             "baseline": None if cs is None else cs.baseline.total, "latest": None if cs is None else cs.latest.total,
             "change": None if cs is None else cs.change, "rci": None if cs is None or cs.rci is None
             else round(cs.rci, 2), "status": "not enough ratings" if cs is None else cs.status,
             "remission": None if cs is None else cs.remission, "days_to_response": days_to_response}
    return row, table


def cohort(*, uow: UnitOfWork, actor: Actor, outcome: str = "fatigue", pool: bool = True) -> dict[str, Any]:
    """Responder rate, response by group, logistic model, time to response and pooled n-of-1 effects over the
    patients the actor may see (a clinician: their consenting patients; the local operator: everyone)."""
    if not (actor.is_clinician or actor.is_system):
        raise Forbidden("cohort analytics are for clinicians")
    cfg = knowledge.outcomes().cohort
    instrument = cfg.responder_instrument
    with uow:
        patients = list(uow.session.scalars(select(Patient).where(access.patient_scope(actor)).order_by(Patient.id)))
        ids = [p.id for p in patients]
        scope: list[int] | None = None if actor.is_system else ids
        scores = _scores(uow, scope, [instrument])
        lps: dict[int, list[tuple[date, float, float | None]]] = defaultdict(list)
        lps_query = select(LabResult.patient_id, LabResult.collected, LabResult.value, LabResult.ref_high).where(
            LabResult.analyte.like("lps_%"))
        if scope is not None:
            lps_query = lps_query.where(LabResult.patient_id.in_(scope))
        for pid, day, value, cut in uow.session.connection().execute(lps_query).all():
            lps[pid].append((day, value, cut))
        sd = _clinic_baseline_sds(uow).get(instrument)
        effects: dict[str, list[cohort_stats.Effect]] = defaultdict(list)
        if pool:
            effects = _pooled_inputs(uow, scope, outcome)
        if ids:
            uow.session.execute(insert(audit.AuditEvent), [
                {"actor_user_id": actor.user_id, "actor": actor.label, "action": "read", "entity": "cohort",
                 "patient_id": pid, "detail": {"use": "cohort analytics"}} for pid in ids])
        uow.commit()
    rows, table = [], []
    for p in patients:
        row, line = _outcome_row(_PatientData(p, scores.get(p.id, {}).get(instrument, []), lps.get(p.id, [])),
                                 instrument, sd)
        rows.append(row)
        table.append(line)
    out = cohort_stats.summarise(rows, effects)
    out["responder_instrument"] = instrument
    out["responder_sd"] = {"value": None if sd is None else round(sd, 3),
                           "source": "clinic baseline" if sd is not None else None}
    out["table"] = table
    out["pooled_outcome"] = outcome
    return out


def _pooled_inputs(uow: UnitOfWork, scope: list[int] | None, outcome: str) -> dict[str, list[cohort_stats.Effect]]:
    """Each patient's n-of-1 estimate (and standard error) for every intervention started on its own date.

    The diary rows (millions for a large clinic) are read as plain columns and parsed by numpy in one go: the day
    comes back untyped (an ISO string on SQLite, a date on PostgreSQL) and ``datetime64[D]`` takes either."""
    events = _events(uow, scope)
    if not events:
        return {}
    adherence = _adherence(uow, scope)
    query = (select(DiaryDay.patient_id, type_coerce(DiaryDay.day, String), DiaryDay.fatigue)
             .where(DiaryDay.patient_id.in_(list(events)), DiaryDay.fatigue.is_not(None))
             .order_by(DiaryDay.patient_id, DiaryDay.day))
    rows = uow.session.connection().execute(query).all()
    diaries: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    if rows:
        pid_col, day_col, value_col = zip(*rows, strict=True)
        pids = np.array(pid_col)
        days = np.array(day_col, dtype="datetime64[D]")
        values = np.array(value_col, dtype=float)
        bounds = np.flatnonzero(np.diff(pids)) + 1
        for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, len(pids)], strict=True):
            diaries[int(pids[lo])] = (days[lo:hi], values[lo:hi])
    effects: dict[str, list[cohort_stats.Effect]] = defaultdict(list)
    jobs = []
    for pid, evs in events.items():
        if pid not in diaries or not evs:
            continue
        days_, values_ = diaries[pid]
        changes = plan_changes(evs)
        last = date.fromisoformat(str(days_[-1]))
        jobs.append((pid, changes, days_, values_, _nof1_changes(changes, adherence.get(pid, {}), last)))
    results = analyse_many([(d, v, c) for _, _, d, v, c in jobs], outcome=outcome)
    for (pid, changes, _, _, _), result in zip(jobs, results, strict=True):
        for c, r in zip(changes, result.changes, strict=True):
            if r.adequate and r.effect is not None and r.se and len(c.kinds) == 1 and c.kinds[0][1] == "start":
                effects[c.kinds[0][0]].append(cohort_stats.Effect(pid, r.effect, r.se))
    return dict(effects)
