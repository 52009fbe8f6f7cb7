"""Tables of the share step: identifiers from other systems, conditions and medicines taken in from FHIR, the
record of each FHIR import (provenance), and erasure requests.

``erasure_requests.patient_id`` is deliberately not a foreign key: the request (and the audit trail) outlive the
patient's data, and say only that an erasure happened.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gutwise.core.db import Base, JSONDoc, UTCDateTime, utcnow


class PatientIdentifier(Base):
    """An identifier of the patient in another system (a FHIR resource id, an MRN): how imports find them again."""

    __tablename__ = "patient_identifiers"
    __table_args__ = (UniqueConstraint("system", "value", name="uq_patient_identifiers_system_value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    system: Mapped[str] = mapped_column(String(255))
    value: Mapped[str] = mapped_column(String(255))


class Condition(Base):
    __tablename__ = "conditions"
    __table_args__ = (Index("ix_conditions_patient", "patient_id", "onset"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    system: Mapped[str | None] = mapped_column(String(255))
    code: Mapped[str | None] = mapped_column(String(64))
    display: Mapped[str] = mapped_column(String(255))
    clinical_status: Mapped[str | None] = mapped_column(String(32))
    onset: Mapped[date | None] = mapped_column(Date)
    abatement: Mapped[date | None] = mapped_column(Date)
    recorded: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(255))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("fhir_imports.id", ondelete="SET NULL"))


class MedicationStatement(Base):
    __tablename__ = "medication_statements"
    __table_args__ = (Index("ix_medication_statements_patient", "patient_id", "start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    system: Mapped[str | None] = mapped_column(String(255))
    code: Mapped[str | None] = mapped_column(String(64))
    display: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(32))
    start: Mapped[date | None] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    dosage: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(255))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("fhir_imports.id", ondelete="SET NULL"))


class FhirImport(Base):
    """One imported file: what it held and what was kept out (the provenance shown in reports)."""

    __tablename__ = "fhir_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    resources: Mapped[dict[str, int]] = mapped_column(JSONDoc, default=dict)
    unmapped: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    patient_ids: Mapped[list[int]] = mapped_column(JSONDoc, default=list)
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ErasureRequest(Base):
    __tablename__ = "erasure_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(Integer, index=True)
    status: Mapped[str] = mapped_column(String(16), default="requested")  # requested | completed
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    summary: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)  # counts of rows removed, no content
