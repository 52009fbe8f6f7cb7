"""Audit trail: who read or wrote which record, when. Written in the same transaction as the access itself.

``patient_id`` is deliberately not a foreign key: the trail outlives an erased patient.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from gutwise.core.authz import Actor
from gutwise.core.db import Base, JSONDoc, UTCDateTime, utcnow
from gutwise.core.uow import UnitOfWork


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(16))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    patient_id: Mapped[int | None] = mapped_column(Integer, index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)


def record(
    uow: UnitOfWork,
    *,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object = None,
    patient_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add one audit event to the open transaction (it lands or rolls back with the access it records)."""
    uow.session.add(
        AuditEvent(
            actor_user_id=actor.user_id,
            actor=actor.label,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            patient_id=patient_id,
            detail=detail or {},
        )
    )


def events_for_patient(uow: UnitOfWork, *, patient_id: int, limit: int = 200) -> list[AuditEvent]:
    with uow:
        rows = uow.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.patient_id == patient_id)
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
        return list(rows)
