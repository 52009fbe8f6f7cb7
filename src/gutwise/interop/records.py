"""Reading the conditions and medicines taken in from other systems (for exports and reports alike).

The callers check access and write the audit record; these only read rows of one patient.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gutwise.interop.models import Condition, MedicationStatement

CONDITION_FIELDS = ("id", "system", "code", "display", "clinical_status", "onset", "abatement", "recorded", "source")
MEDICATION_FIELDS = ("id", "system", "code", "display", "status", "start", "end", "dosage", "source")


def conditions(session: Session, patient_id: int) -> list[dict[str, Any]]:
    """Oldest onset first."""
    rows = session.scalars(select(Condition).where(Condition.patient_id == patient_id)
                           .order_by(Condition.onset, Condition.id))
    return [{f: getattr(r, f) for f in CONDITION_FIELDS} for r in rows]


def medications(session: Session, patient_id: int) -> list[dict[str, Any]]:
    """Earliest start first."""
    rows = session.scalars(select(MedicationStatement).where(MedicationStatement.patient_id == patient_id)
                           .order_by(MedicationStatement.start, MedicationStatement.id))
    return [{f: getattr(r, f) for f in MEDICATION_FIELDS} for r in rows]
