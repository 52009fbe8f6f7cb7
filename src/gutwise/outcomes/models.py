"""Tables of the learn step: planned n-of-1 experiments, saved before their data come in."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gutwise.core.db import Base, JSONDoc, UTCDateTime, utcnow


class Nof1Design(Base):
    """A pre-specified experiment: design, periods, outcome and minimal important difference (CENT items 4-6)."""

    __tablename__ = "nof1_designs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    intervention: Mapped[str] = mapped_column(String(40))
    design: Mapped[str] = mapped_column(String(16))
    period_days: Mapped[int] = mapped_column(Integer)
    washout_days: Mapped[int] = mapped_column(Integer)
    pairs: Mapped[int] = mapped_column(Integer, default=1)
    seed: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(40))
    mid: Mapped[float] = mapped_column(Float)
    start_date: Mapped[date] = mapped_column(Date)
    periods: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    warnings: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
