"""Tables of the screening step: questionnaire responses, intakes (resumable), questionnaire schedules."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gutwise.core.db import Base, JSONDoc, UTCDateTime, utcnow


class QuestionnaireResponse(Base):
    """One completed (or partly completed) questionnaire, with its score as computed when it was saved."""

    __tablename__ = "questionnaire_responses"
    __table_args__ = (Index("ix_questionnaire_responses_patient", "patient_id", "instrument", "answered_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    instrument: Mapped[str] = mapped_column(String(32))
    answered_on: Mapped[date] = mapped_column(Date)
    entered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(32), default="web")
    answers: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    total: Mapped[float | None] = mapped_column(Float)
    band: Mapped[str | None] = mapped_column(String(40))
    result: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Intake(Base):
    """A screening intake: saved after every step so that it can be stopped and resumed."""

    __tablename__ = "intakes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="in_progress")
    steps_done: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    data: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class QuestionnaireSchedule(Base):
    """When a patient repeats an instrument: either every N months or at listed months from the start date."""

    __tablename__ = "questionnaire_schedules"
    __table_args__ = (UniqueConstraint("patient_id", "instrument", name="uq_questionnaire_schedules_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    instrument: Mapped[str] = mapped_column(String(32))
    every_months: Mapped[int | None] = mapped_column(Integer)
    at_months: Mapped[list[int] | None] = mapped_column(JSONDoc)
    start_date: Mapped[date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(default=True)
