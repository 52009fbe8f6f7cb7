"""Tables of the labs step: lab results and the imports they came from (provenance)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gutwise.core.db import Base, JSONDoc, UTCDateTime, utcnow


class LabImport(Base):
    """Where a batch of results came from: file name, format, who imported it, when; and what was left out."""

    __tablename__ = "lab_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(16))
    rows: Mapped[int] = mapped_column(Integer)
    unmapped: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LabResult(Base):
    """One result, kept as the lab reported it (value, unit, the lab's interval) plus the catalogue-unit value."""

    __tablename__ = "lab_results"
    __table_args__ = (Index("ix_lab_results_patient", "patient_id", "analyte", "collected"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    analyte: Mapped[str] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(32))
    canonical_value: Mapped[float | None] = mapped_column(Float)
    ref_low: Mapped[float | None] = mapped_column(Float)
    ref_high: Mapped[float | None] = mapped_column(Float)
    critical_low: Mapped[float | None] = mapped_column(Float)
    critical_high: Mapped[float | None] = mapped_column(Float)
    rcv: Mapped[float | None] = mapped_column(Float)
    collected: Mapped[date] = mapped_column(Date)
    lab: Mapped[str | None] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(16))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("lab_imports.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
