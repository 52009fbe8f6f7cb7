"""Use cases of the diary step: log a day (insert or update, never duplicate), log many, list."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Integer, cast, func, select

from gutwise.accounts import access
from gutwise.accounts.models import Patient
from gutwise.core import audit
from gutwise.core.authz import Actor
from gutwise.core.db import upsert_statement, utcnow
from gutwise.core.errors import FieldError, InvalidInput
from gutwise.core.uow import UnitOfWork
from gutwise.core.validation import field_errors, parse
from gutwise.diary.models import DiaryDay
from gutwise.diary.schemas import DiaryDayOut, DiaryEntry

_FIELDS = ["fatigue", "crash", "note", "answers"]
# A diary day may be dated up to one day ahead of the server, for people east of it.
_FUTURE_SLACK = timedelta(days=1)


def _check_day(day: date, *, today: date | None = None, location: str | None = None) -> None:
    if day > (today or date.today()) + _FUTURE_SLACK:
        raise InvalidInput.one("day", "is in the future", location)


def _upsert(uow: UnitOfWork, rows: list[dict[str, Any]]) -> None:
    stmt = upsert_statement(DiaryDay.__table__, dialect=uow.dialect, keys=["patient_id", "day"],
                            update=[*_FIELDS, "updated_at"])
    uow.session.execute(stmt, rows)


def log_day(*, uow: UnitOfWork, actor: Actor, patient_id: int, day: date,
            entry: DiaryEntry | dict[str, Any], adherence: dict[str, str] | None = None) -> DiaryDayOut:
    """Save one day's entry (and the plan checklist, in the same transaction); a second entry for the same date
    updates that day."""
    new = parse(DiaryEntry, entry)
    _check_day(day)
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        if adherence:
            from gutwise.protocol import service as protocol_service

            protocol_service.record_adherence(uow=uow, actor=actor, patient_id=patient_id, day=day,
                                              statuses=adherence)
        now = utcnow()
        _upsert(uow, [{"patient_id": patient_id, "day": day, **new.model_dump(), "created_at": now,
                       "updated_at": now}])
        audit.record(uow, actor=actor, action="write", entity="diary_day", entity_id=day.isoformat(),
                     patient_id=patient_id)
        saved = uow.session.scalar(select(DiaryDay).where(DiaryDay.patient_id == patient_id, DiaryDay.day == day))
        uow.commit()
        return DiaryDayOut.model_validate(saved)


@dataclass(frozen=True)
class DayInput:
    """One row of a bulk write (an import, the demo simulator, a benchmark)."""

    patient_id: int
    day: date
    entry: DiaryEntry | dict[str, Any]


def log_days(*, uow: UnitOfWork, actor: Actor, days: Iterable[DayInput], source: str = "bulk") -> int:
    """Save many days in one transaction: every row is checked first and one bad row rejects them all."""
    rows: list[dict[str, Any]] = []
    errors: list[FieldError] = []
    today = date.today()
    now = utcnow()
    for i, item in enumerate(days, start=1):
        where = f"{source} row {i}"
        try:
            entry = item.entry if isinstance(item.entry, DiaryEntry) else DiaryEntry.model_validate(item.entry)
            _check_day(item.day, today=today, location=where)
        except ValidationError as exc:
            errors.extend(field_errors(exc, where))
            continue
        except InvalidInput as exc:
            errors.extend(exc.errors)
            continue
        rows.append({"patient_id": item.patient_id, "day": item.day, "fatigue": entry.fatigue,
                     "crash": entry.crash, "note": entry.note, "answers": entry.answers,
                     "created_at": now, "updated_at": now})
    if errors:
        raise InvalidInput(errors)
    with uow:
        patients = sorted({r["patient_id"] for r in rows})
        for pid in patients:
            access.require_patient(uow, actor=actor, patient_id=pid)
        _upsert(uow, rows)
        for pid in patients:
            audit.record(uow, actor=actor, action="import", entity="diary_day", patient_id=pid,
                         detail={"source": source, "rows": sum(r["patient_id"] == pid for r in rows)})
        uow.commit()
    return len(rows)


def list_diary(*, uow: UnitOfWork, actor: Actor, patient_id: int, start: date | None = None,
               end: date | None = None) -> list[DiaryDayOut]:
    """The patient's diary days in date order (missing days are simply absent)."""
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        query = select(DiaryDay).where(DiaryDay.patient_id == patient_id).order_by(DiaryDay.day)
        if start is not None:
            query = query.where(DiaryDay.day >= start)
        if end is not None:
            query = query.where(DiaryDay.day <= end)
        out = [DiaryDayOut.model_validate(d) for d in uow.session.scalars(query)]
        audit.record(uow, actor=actor, action="read", entity="diary_day", patient_id=patient_id,
                     detail={"start": start and start.isoformat(), "end": end and end.isoformat(),
                             "rows": len(out)})
        uow.commit()
        return out


def get_day(*, uow: UnitOfWork, actor: Actor, patient_id: int, day: date) -> DiaryDayOut | None:
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        row = uow.session.scalar(select(DiaryDay).where(DiaryDay.patient_id == patient_id, DiaryDay.day == day))
        audit.record(uow, actor=actor, action="read", entity="diary_day", entity_id=day.isoformat(),
                     patient_id=patient_id)
        uow.commit()
        return DiaryDayOut.model_validate(row) if row else None


@dataclass(frozen=True)
class DiarySummary:
    logged: int
    crash_days: int
    mean_fatigue: float | None
    last_day: date | None


def summaries(*, uow: UnitOfWork, actor: Actor, patient_ids: Sequence[int], since: date,
              until: date) -> dict[int, DiarySummary]:
    """Per patient, over [since, until]: days logged, crash days, mean fatigue, last logged day."""
    with uow:
        visible = set(uow.session.scalars(
            select(Patient.id).where(Patient.id.in_(patient_ids), access.patient_scope(actor))))
        rows = uow.session.execute(
            select(
                DiaryDay.patient_id,
                func.count(DiaryDay.id),
                func.sum(cast(DiaryDay.crash, Integer)),
                func.avg(DiaryDay.fatigue),
                func.max(DiaryDay.day),
            )
            .where(DiaryDay.patient_id.in_(visible), DiaryDay.day >= since, DiaryDay.day <= until)
            .group_by(DiaryDay.patient_id)
        )
        out = {pid: DiarySummary(0, 0, None, None) for pid in visible}
        for pid, n, crashes, mean, last in rows:
            out[pid] = DiarySummary(int(n), int(crashes or 0), None if mean is None else round(float(mean), 1),
                                    last)
        for pid in sorted(visible):
            audit.record(uow, actor=actor, action="read", entity="diary_summary", patient_id=pid,
                         detail={"since": since.isoformat(), "until": until.isoformat()})
        uow.commit()
        return out
