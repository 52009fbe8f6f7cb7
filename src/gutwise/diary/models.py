"""Tables of the diary step."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, SmallInteger, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gutwise.core.db import Base, JSONDoc, UTCDateTime, utcnow


class DiaryDay(Base):
    """One row per patient per date. A day with no row is missing, never a good day.

    ``answers`` holds the rest of the ``daily`` instrument (symptom ratings, sleep, steps ...).
    """

    __tablename__ = "diary_days"
    __table_args__ = (
        UniqueConstraint("patient_id", "day", name="uq_diary_days_patient_day"),
        CheckConstraint("fatigue IS NULL OR (fatigue >= 0 AND fatigue <= 10)", name="fatigue_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    fatigue: Mapped[int | None] = mapped_column(SmallInteger)
    crash: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    answers: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
