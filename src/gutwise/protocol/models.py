"""Tables of the protocol step: plans (draft, approved, superseded), their items, the dated history of every
start, stop and dose change (the input of the n-of-1 analysis), and daily adherence."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gutwise.core.db import Base, JSONDoc, UTCDateTime, utcnow


class Plan(Base):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | approved | superseded
    context: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    warnings: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    blocked: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    start_date: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PlanItem(Base):
    __tablename__ = "plan_items"
    __table_args__ = (UniqueConstraint("plan_id", "intervention", name="uq_plan_items_plan_intervention"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    intervention: Mapped[str] = mapped_column(String(40))
    dose_amount: Mapped[float | None] = mapped_column(Float)  # per day
    dose_unit: Mapped[str | None] = mapped_column(String(20))
    times_per_day: Mapped[int] = mapped_column(Integer, default=1)
    start_day: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    stopped_on: Mapped[date | None] = mapped_column(Date)


class PlanEvent(Base):
    """A dated change to what the patient takes or does: start, stop, dose_change."""

    __tablename__ = "plan_events"
    __table_args__ = (Index("ix_plan_events_patient", "patient_id", "on_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    intervention: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))
    on_date: Mapped[date] = mapped_column(Date)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    by_user: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Adherence(Base):
    __tablename__ = "adherence"
    __table_args__ = (UniqueConstraint("patient_id", "day", "intervention", name="uq_adherence_day_item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    intervention: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(8))  # taken | partly | skipped
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
