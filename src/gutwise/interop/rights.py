"""The right of access and the right to erasure.

Access: a patient (or their clinician) downloads everything gutwise holds about them: the CSV zip, which includes
the audit trail of their record, and the FHIR bundle (``tabular.patient_zip``).

Erasure: the patient asks; an administrator completes it. Completing deletes the patient record, which removes
every row that belongs to it (all patient data tables reference it with ON DELETE CASCADE), the patient's own
sign-in account, and the audit events about the record; what remains is the request itself (with row counts, no
content) and one audit event saying that an erasure happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select

from gutwise.accounts import access
from gutwise.accounts.models import Patient, User
from gutwise.core import audit
from gutwise.core.authz import Actor
from gutwise.core.db import Base, utcnow
from gutwise.core.errors import Conflict, Forbidden, NotFound
from gutwise.core.uow import UnitOfWork
from gutwise.interop.models import ErasureRequest


@dataclass(frozen=True)
class RequestOut:
    id: int
    patient_id: int
    status: str
    requested_at: datetime
    completed_at: datetime | None
    summary: dict[str, Any]


def _out(r: ErasureRequest) -> RequestOut:
    return RequestOut(r.id, r.patient_id, r.status, r.requested_at, r.completed_at, dict(r.summary))


def request_erasure(*, uow: UnitOfWork, actor: Actor, patient_id: int) -> RequestOut:
    """The patient asks for their data to be erased (an administrator completes it)."""
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        if not (actor.is_patient or actor.is_system):
            raise Forbidden("only the patient can ask for their own record to be erased")
        open_request = uow.session.scalar(select(ErasureRequest).where(ErasureRequest.patient_id == patient_id,
                                                                       ErasureRequest.status == "requested"))
        if open_request is not None:
            uow.commit()
            return _out(open_request)
        row = ErasureRequest(patient_id=patient_id, requested_by=actor.user_id)
        uow.session.add(row)
        uow.session.flush()
        audit.record(uow, actor=actor, action="write", entity="erasure_request", entity_id=row.id,
                     patient_id=patient_id)
        uow.commit()
        return _out(row)


def my_request(*, uow: UnitOfWork, actor: Actor, patient_id: int) -> RequestOut | None:
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        row = uow.session.scalar(select(ErasureRequest).where(ErasureRequest.patient_id == patient_id)
                                 .order_by(ErasureRequest.id.desc()))
        uow.commit()
        return _out(row) if row else None


def list_requests(*, uow: UnitOfWork, actor: Actor) -> list[RequestOut]:
    if not access.may_manage_accounts(actor):
        raise Forbidden("erasure requests are handled by administrators")
    with uow:
        rows = [_out(r) for r in uow.session.scalars(select(ErasureRequest).order_by(ErasureRequest.id.desc()))]
        uow.commit()
        return rows


def _patient_tables() -> list[Any]:
    """Every table with a patient_id column that references patients (the audit trail is handled apart)."""
    out = []
    for table in Base.metadata.sorted_tables:
        col = table.c.get("patient_id")
        if col is not None and any(fk.column.table.name == "patients" for fk in col.foreign_keys):
            out.append(table)
    return out


def complete_erasure(*, uow: UnitOfWork, actor: Actor, request_id: int) -> RequestOut:
    """Erase the patient's record and everything that belongs to it; keep only the fact that it happened."""
    if not access.may_manage_accounts(actor):
        raise Forbidden("erasure requests are handled by administrators")
    with uow:
        req = uow.session.get(ErasureRequest, request_id)
        if req is None:
            raise NotFound("erasure request")
        if req.status == "completed":
            raise Conflict("this erasure was already completed")
        pid = req.patient_id
        patient = uow.session.get(Patient, pid)
        counts: dict[str, int] = {}
        if patient is not None:
            for table in _patient_tables():
                n = uow.session.scalar(select(func.count()).select_from(table).where(table.c.patient_id == pid))
                if n:
                    counts[table.name] = int(n or 0)
            user_id = patient.user_id
            uow.session.execute(delete(Patient).where(Patient.id == pid))  # ON DELETE CASCADE does the rest
            if user_id is not None:
                uow.session.execute(delete(User).where(User.id == user_id))
                counts["user_accounts"] = 1
        n_audit = uow.session.execute(delete(audit.AuditEvent).where(audit.AuditEvent.patient_id == pid))
        counts["audit_events"] = int(getattr(n_audit, "rowcount", 0) or 0)
        req.status, req.completed_by, req.completed_at = "completed", actor.user_id, utcnow()
        req.summary = {"rows_removed": counts}
        audit.record(uow, actor=actor, action="erase", entity="patient", entity_id=pid, patient_id=pid,
                     detail={"request": req.id})
        uow.commit()
        return _out(req)


