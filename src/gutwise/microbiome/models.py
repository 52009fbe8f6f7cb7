"""Tables of the microbiome step: one row per sample with its diversity, flags and (sparse) composition."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gutwise.core.db import Base, JSONDoc, UTCDateTime, utcnow


class MicrobiomeSample(Base):
    __tablename__ = "microbiome_samples"
    __table_args__ = (Index("ix_microbiome_samples_patient", "patient_id", "collected"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    sample_id: Mapped[str] = mapped_column(String(120))
    collected: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    reads: Mapped[float | None] = mapped_column(Float)
    shannon: Mapped[float] = mapped_column(Float)
    simpson: Mapped[float] = mapped_column(Float)
    observed: Mapped[int] = mapped_column(Integer)
    chao1: Mapped[float | None] = mapped_column(Float)
    faith_pd: Mapped[float | None] = mapped_column(Float)
    # relative abundance by taxon key (genus lineage when the table has taxonomy, else the taxon id); zeros omitted
    abundances: Mapped[dict[str, float]] = mapped_column(JSONDoc)
    flags: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
