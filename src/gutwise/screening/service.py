"""Use cases of the screening step: questionnaires, the resumable intake, its result, repeat schedules."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from gutwise import knowledge
from gutwise.accounts import access
from gutwise.core import audit
from gutwise.core.authz import Actor
from gutwise.core.db import utcnow
from gutwise.core.errors import FieldError, Forbidden, InvalidInput, NotFound
from gutwise.core.uow import UnitOfWork
from gutwise.core.validation import field_errors
from gutwise.screening import intake_flow
from gutwise.screening.models import Intake as IntakeRow
from gutwise.screening.models import QuestionnaireResponse, QuestionnaireSchedule
from gutwise.screening.schedule import Occasion, occasions
from gutwise.screening.schemas import Intake
from gutwise.screening.scoring import AnswerError, ScoreResult, score
from gutwise.screening.screen import screen


@dataclass(frozen=True)
class ResponseOut:
    id: int
    instrument: str
    answered_on: date
    total: float | None
    band: str | None
    result: dict[str, Any]
    answers: dict[str, Any]
    source: str

    @classmethod
    def of(cls, r: QuestionnaireResponse) -> ResponseOut:
        return cls(r.id, r.instrument, r.answered_on, r.total, r.band, r.result, r.answers, r.source)


def _instrument(instrument_id: str) -> Any:
    try:
        return knowledge.instrument(instrument_id)
    except KeyError as exc:
        raise InvalidInput.one("instrument", exc.args[0]) from None


def _score(instrument_id: str, answers: Any, location: str | None = None) -> ScoreResult:
    try:
        return score(_instrument(instrument_id), answers)
    except AnswerError as exc:
        raise InvalidInput([FieldError(f"answers.{i}", r, location) for i, r in exc.problems]) from None


def _add_response(uow: UnitOfWork, *, actor: Actor, patient_id: int, instrument_id: str, result: ScoreResult,
                  answers: dict[str, Any], answered_on: date, source: str) -> QuestionnaireResponse:
    row = QuestionnaireResponse(
        patient_id=patient_id, instrument=instrument_id, answered_on=answered_on, entered_by=actor.user_id,
        source=source, answers=answers, total=result.total, band=result.band, result=result.as_json())
    uow.session.add(row)
    uow.flush()
    audit.record(uow, actor=actor, action="write", entity="questionnaire_response", entity_id=row.id,
                 patient_id=patient_id, detail={"instrument": instrument_id})
    return row


def save_response(*, uow: UnitOfWork, actor: Actor, patient_id: int, instrument_id: str, answers: Any,
                  answered_on: date | None = None, source: str = "web") -> ResponseOut:
    """Score and keep one questionnaire. Clinician-rated instruments (FibroFatigue) are entered by clinicians."""
    inst = _instrument(instrument_id)
    result = _score(instrument_id, answers)
    on = answered_on or date.today()
    if on > date.today():
        raise InvalidInput.one("answered_on", "is in the future")
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        if inst.respondent == "clinician" and not (actor.is_clinician or actor.is_system):
            raise Forbidden(f"{inst.short_title} is rated by a clinician")
        row = _add_response(uow, actor=actor, patient_id=patient_id, instrument_id=instrument_id, result=result,
                            answers=_raw(inst, answers), answered_on=on, source=source)
        uow.commit()
        return ResponseOut.of(row)


def _raw(inst: Any, answers: Any) -> dict[str, Any]:
    from gutwise.screening.scoring import validate_answers

    return validate_answers(inst, answers)


def list_responses(*, uow: UnitOfWork, actor: Actor, patient_id: int,
                   instrument_id: str | None = None) -> list[ResponseOut]:
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        q = select(QuestionnaireResponse).where(QuestionnaireResponse.patient_id == patient_id)
        if instrument_id is not None:
            q = q.where(QuestionnaireResponse.instrument == instrument_id)
        rows = [ResponseOut.of(r) for r in uow.session.scalars(
            q.order_by(QuestionnaireResponse.answered_on, QuestionnaireResponse.id))]
        audit.record(uow, actor=actor, action="read", entity="questionnaire_response", patient_id=patient_id,
                     detail={"instrument": instrument_id, "rows": len(rows)})
        uow.commit()
        return rows


def get_response(*, uow: UnitOfWork, actor: Actor, patient_id: int, response_id: int) -> ResponseOut:
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        row = uow.session.get(QuestionnaireResponse, response_id)
        if row is None or row.patient_id != patient_id:
            raise NotFound("questionnaire response")
        audit.record(uow, actor=actor, action="read", entity="questionnaire_response", entity_id=response_id,
                     patient_id=patient_id)
        uow.commit()
        return ResponseOut.of(row)


# --- the intake ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IntakeOut:
    id: int
    status: str
    steps_done: list[str]
    data: dict[str, Any]
    result: dict[str, Any] | None
    completed_at: Any

    @classmethod
    def of(cls, row: IntakeRow) -> IntakeOut:
        return cls(row.id, row.status, list(row.steps_done), copy.deepcopy(row.data), row.result, row.completed_at)

    @property
    def next_step(self) -> intake_flow.Step | None:
        return intake_flow.next_step(self.steps_done)


def _open_intake(uow: UnitOfWork, patient_id: int) -> IntakeRow | None:
    return uow.session.scalar(select(IntakeRow).where(IntakeRow.patient_id == patient_id,
                                                      IntakeRow.status == "in_progress")
                              .order_by(IntakeRow.id.desc()))


def current_intake(*, uow: UnitOfWork, actor: Actor, patient_id: int) -> IntakeOut | None:
    """The intake in progress, if any."""
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        row = _open_intake(uow, patient_id)
        audit.record(uow, actor=actor, action="read", entity="intake", entity_id=row.id if row else None,
                     patient_id=patient_id)
        uow.commit()
        return IntakeOut.of(row) if row else None


def _merge(data: dict[str, Any], step: intake_flow.Step, part: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(data)
    if step.kind == "about":
        out.update(part)
    elif step.kind == "fatigue":
        out["pem_lasts_over_24h"] = part.pop("pem_lasts_over_24h", None)
        out["fatigue"] = part
    elif step.kind == "instrument" and step.instrument == "dsq_sf":
        section_items = _section_items(step)
        dsq = {k: v for k, v in (out.get("dsq_sf") or {}).items() if k not in section_items}
        out["dsq_sf"] = {**dsq, **part}
    elif step.kind == "instrument":
        questionnaires = out.setdefault("questionnaires", {})
        if part:
            questionnaires[step.instrument or ""] = part
        else:  # a skipped optional page files nothing
            questionnaires.pop(step.instrument or "", None)
    elif step.kind == "symptoms":
        symptoms = {k: v for k, v in (out.get("symptoms") or {}).items() if k not in step.symptoms}
        out["symptoms"] = {**symptoms, **part}
    else:
        out[step.kind] = part["ids"]
    return out


def _section_items(step: intake_flow.Step) -> set[str]:
    return {i.id for i in knowledge.instrument("dsq_sf").items if i.section == step.section}


def save_intake_step(*, uow: UnitOfWork, actor: Actor, patient_id: int, step_id: str,
                     part: dict[str, Any]) -> IntakeOut:
    """Save one step of the intake (starting one if none is open); nothing is lost if the person stops here."""
    try:
        step = intake_flow.step(step_id)
    except KeyError:
        raise NotFound("intake step") from None
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        row = _open_intake(uow, patient_id)
        if row is None:
            row = IntakeRow(patient_id=patient_id, status="in_progress", steps_done=[], data={})
            uow.session.add(row)
        merged = _merge(row.data or {}, step, part)
        _validate_intake(merged)
        row.data = merged
        row.steps_done = [*[s for s in row.steps_done if s != step_id], step_id]
        row.updated_at = utcnow()
        uow.flush()
        audit.record(uow, actor=actor, action="write", entity="intake", entity_id=row.id, patient_id=patient_id,
                     detail={"step": step_id})
        uow.commit()
        return IntakeOut.of(row)


def _validate_intake(data: dict[str, Any]) -> Intake:
    from pydantic import ValidationError

    try:
        intake = Intake.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(field_errors(exc)) from None
    for iid, answers in ([("dsq_sf", intake.dsq_sf)] if intake.dsq_sf else []) + list(intake.questionnaires.items()):
        _score(iid, answers)
    return intake


def complete_intake(*, uow: UnitOfWork, actor: Actor, patient_id: int) -> IntakeOut:
    """Screen the intake, keep the result, and file its questionnaires as responses of today."""
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        row = _open_intake(uow, patient_id)
        if row is None:
            raise NotFound("intake")
        intake = _validate_intake(row.data)
        result = screen(intake)
        today = date.today()
        for iid, s in result.scores.items():
            answers = intake.dsq_sf if iid == "dsq_sf" else intake.questionnaires[iid]
            _add_response(uow, actor=actor, patient_id=patient_id, instrument_id=iid, result=s,
                          answers=_raw(knowledge.instrument(iid), answers), answered_on=today, source="intake")
        row.result = result.as_json()
        row.status = "completed"
        row.completed_at = row.updated_at = utcnow()
        audit.record(uow, actor=actor, action="write", entity="intake", entity_id=row.id, patient_id=patient_id,
                     detail={"completed": True, "red_flags": len(result.red_flags), "alerts": len(result.alerts)})
        uow.commit()
        return IntakeOut.of(row)


def latest_screen(*, uow: UnitOfWork, actor: Actor, patient_id: int) -> IntakeOut | None:
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        row = uow.session.scalar(select(IntakeRow).where(IntakeRow.patient_id == patient_id,
                                                         IntakeRow.status == "completed")
                                 .order_by(IntakeRow.completed_at.desc(), IntakeRow.id.desc()))
        audit.record(uow, actor=actor, action="read", entity="screen_result", entity_id=row.id if row else None,
                     patient_id=patient_id)
        uow.commit()
        return IntakeOut.of(row) if row else None


# --- repeat questionnaires -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleRow:
    instrument: str
    title: str
    respondent: str
    every_months: int | None
    at_months: list[int] | None
    start_date: date
    active: bool
    custom: bool
    occasions: list[Occasion]

    @property
    def due_now(self) -> Occasion | None:
        return next((o for o in self.occasions if o.status == "due"), None)


def schedule(*, uow: UnitOfWork, actor: Actor, patient_id: int, today: date | None = None) -> list[ScheduleRow]:
    """Each instrument's repeat schedule (the patient's own, else the defaults) with done, due and upcoming."""
    today = today or date.today()
    defaults = knowledge.schedules()
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        stored = {s.instrument: s for s in uow.session.scalars(
            select(QuestionnaireSchedule).where(QuestionnaireSchedule.patient_id == patient_id))}
        first_intake = uow.session.scalar(select(IntakeRow.completed_at).where(
            IntakeRow.patient_id == patient_id, IntakeRow.status == "completed").order_by(IntakeRow.completed_at))
        start = first_intake.date() if first_intake else today
        answered: dict[str, list[date]] = {}
        for iid, on in uow.session.execute(select(QuestionnaireResponse.instrument, QuestionnaireResponse.answered_on)
                                           .where(QuestionnaireResponse.patient_id == patient_id)):
            answered.setdefault(iid, []).append(on)
        rows = []
        for entry in defaults.defaults:
            mine = stored.get(entry.instrument)
            every = mine.every_months if mine else entry.every_months
            at = mine.at_months if mine else entry.at_months
            begin = mine.start_date if mine else start
            inst = knowledge.instrument(entry.instrument)
            rows.append(ScheduleRow(
                entry.instrument, inst.short_title, inst.respondent, every, at, begin,
                mine.active if mine else True, mine is not None,
                occasions(start=begin, every_months=every, at_months=at, course_months=defaults.course_months,
                          answered=answered.get(entry.instrument, []), today=today)))
        audit.record(uow, actor=actor, action="read", entity="schedule", patient_id=patient_id)
        uow.commit()
        return rows


def set_schedule(*, uow: UnitOfWork, actor: Actor, patient_id: int, instrument_id: str,
                 every_months: int | None = None, at_months: list[int] | None = None,
                 start_date: date | None = None, active: bool = True) -> None:
    """A clinician changes when one instrument is repeated for one patient."""
    from pydantic import ValidationError

    from gutwise.knowledge.schemas import ScheduleEntry

    _instrument(instrument_id)
    try:
        ScheduleEntry(instrument=instrument_id, every_months=every_months, at_months=at_months)
    except ValidationError as exc:
        raise InvalidInput(field_errors(exc)) from None
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        if not (actor.is_clinician or actor.is_system):
            raise Forbidden("the clinician sets the schedule")
        row = uow.session.scalar(select(QuestionnaireSchedule).where(
            QuestionnaireSchedule.patient_id == patient_id, QuestionnaireSchedule.instrument == instrument_id))
        if row is None:
            row = QuestionnaireSchedule(patient_id=patient_id, instrument=instrument_id)
            uow.session.add(row)
        row.every_months, row.at_months = every_months, at_months
        row.start_date = start_date or row.start_date or date.today()
        row.active = active
        uow.flush()
        audit.record(uow, actor=actor, action="write", entity="schedule", entity_id=row.id, patient_id=patient_id,
                     detail={"instrument": instrument_id, "every_months": every_months, "at_months": at_months,
                             "active": active})
        uow.commit()


@dataclass(frozen=True)
class ResponseInput:
    """One questionnaire of a bulk import (a file, the demo simulator)."""

    patient_id: int
    instrument_id: str
    answered_on: date
    answers: Any


def import_responses(*, uow: UnitOfWork, actor: Actor, rows: list[ResponseInput], source: str) -> int:
    """Score and keep many questionnaires in one transaction; one bad row rejects them all, every error listed."""
    from sqlalchemy import insert

    errors: list[FieldError] = []
    values = []
    now = utcnow()
    for n, row in enumerate(rows, start=1):
        where = f"{source} row {n}"
        try:
            inst = _instrument(row.instrument_id)
            result = score(inst, row.answers)
        except InvalidInput as exc:
            errors += [FieldError(e.field, e.reason, where) for e in exc.errors]
            continue
        except AnswerError as exc:
            errors += [FieldError(f"answers.{i}", r, where) for i, r in exc.problems]
            continue
        if inst.respondent == "clinician" and not (actor.is_clinician or actor.is_system):
            errors.append(FieldError("instrument", f"{inst.short_title} is rated by a clinician", where))
            continue
        values.append({"patient_id": row.patient_id, "instrument": row.instrument_id,
                       "answered_on": row.answered_on, "entered_by": actor.user_id, "source": source,
                       "answers": _raw(inst, row.answers), "total": result.total, "band": result.band,
                       "result": result.as_json(), "created_at": now})
    if errors:
        raise InvalidInput(errors)
    with uow:
        patients = sorted({v["patient_id"] for v in values})
        for pid in patients:
            access.require_patient(uow, actor=actor, patient_id=pid)
        if values:
            uow.session.execute(insert(QuestionnaireResponse.__table__), values)  # Core: one batched executemany
        for pid in patients:
            audit.record(uow, actor=actor, action="import", entity="questionnaire_response", patient_id=pid,
                         detail={"source": source, "rows": sum(v["patient_id"] == pid for v in values)})
        uow.commit()
    return len(values)


def import_intake(*, uow: UnitOfWork, actor: Actor, patient_id: int, data: dict[str, Any],
                  completed_on: date) -> IntakeOut:
    """Keep an intake that was completed elsewhere (a file, the demo) with its screening result."""
    intake = _validate_intake(data)
    result = screen(intake)
    from datetime import UTC, datetime, time

    at = datetime.combine(completed_on, time(12), tzinfo=UTC)
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        row = IntakeRow(patient_id=patient_id, status="completed", steps_done=list(intake_flow.STEP_IDS),
                        data=data, result=result.as_json(), started_at=at, updated_at=at, completed_at=at)
        uow.session.add(row)
        uow.flush()
        audit.record(uow, actor=actor, action="import", entity="intake", entity_id=row.id, patient_id=patient_id)
        uow.commit()
        return IntakeOut.of(row)
