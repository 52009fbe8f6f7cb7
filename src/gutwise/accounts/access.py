"""Authorization in one place: which patients' records an actor may read or write.

- a patient: only their own record;
- a clinician: only patients linked to them with consent ``granted``;
- an admin: manages accounts, reads no clinical records;
- the system actor (the local CLI operator): everything.

A refusal raises ``NotFound``, exactly as for a record that does not exist, so ids cannot be probed.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, false, select, true

from gutwise.accounts.models import CareLink, Consent, Patient
from gutwise.core.authz import Actor
from gutwise.core.errors import NotFound
from gutwise.core.uow import UnitOfWork


def patient_scope(actor: Actor) -> ColumnElement[bool]:
    """A SQL condition on ``Patient`` that is true exactly for the patients whose records the actor may see."""
    if actor.is_system:
        return true()
    if actor.is_patient:
        return Patient.user_id == actor.user_id
    if actor.is_clinician:
        return exists(
            select(CareLink.id).where(
                CareLink.patient_id == Patient.id,
                CareLink.clinician_id == actor.user_id,
                CareLink.consent == Consent.granted,
            )
        )
    return false()


def require_patient(uow: UnitOfWork, *, actor: Actor, patient_id: int) -> Patient:
    """The patient, if the actor may see their records; ``NotFound`` otherwise (and if there is none)."""
    patient = uow.session.scalar(select(Patient).where(Patient.id == patient_id, patient_scope(actor)))
    if patient is None:
        raise NotFound("patient")
    return patient


def may_manage_accounts(actor: Actor) -> bool:
    return actor.is_admin
