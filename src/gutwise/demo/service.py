"""Load the synthetic demo cohort through the services (so it is validated and audited like real data)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from gutwise.accounts import service as accounts_service
from gutwise.accounts.models import Consent
from gutwise.core.authz import Actor, Role
from gutwise.core.errors import Conflict
from gutwise.core.uow import UnitOfWork
from gutwise.demo.simulate import DEMO_DOSES, DEMO_LAB, SimPatient, microbiome_tsv, simulate_cohort
from gutwise.diary import service as diary_service
from gutwise.diary.schemas import DiaryEntry
from gutwise.labs import service as labs_service
from gutwise.labs.interpret import LabValue
from gutwise.microbiome import service as microbiome_service
from gutwise.protocol import service as protocol_service
from gutwise.screening import service as screening_service

# Demo-only credentials for a synthetic database on 127.0.0.1; printed by ``make run``. Never use in production.
DEMO_LOGINS = (
    ("patient@demo.gutwise.invalid", "demo-patient-pass", Role.patient, "Demo Patient"),
    ("clinician@demo.gutwise.invalid", "demo-clinician-pass", Role.clinician, "Dr Demo Clinician"),
    ("admin@demo.gutwise.invalid", "demo-admin-pass", Role.admin, "Demo Admin"),
)
# Every tenth patient has not yet given the demo clinician consent, to show that consent gates access.
PENDING_EVERY = 10


@dataclass(frozen=True)
class DemoResult:
    patients: int
    diary_days: int
    logins: tuple[tuple[str, str, Role, str], ...]


def load_demo(*, uow: UnitOfWork, n_patients: int, seed: int, end: date | None = None,
              with_questionnaires: bool = True) -> DemoResult:
    """Write the demo accounts, ``n_patients`` synthetic patients, their diaries, baseline screening and
    questionnaires in one transaction."""
    actor = Actor.system("demo")
    end_day = end or date.today()
    cohort = simulate_cohort(n_patients, seed=seed, end=end_day)
    with uow:
        users = {}
        for email, password, role, name in DEMO_LOGINS:
            try:
                users[role] = accounts_service.register_user(
                    uow=uow, actor=actor,
                    data={"email": email, "password": password, "role": role, "display_name": name})
            except Conflict:
                raise Conflict("the demo accounts already exist: this database already holds the demo") from None
        days = 0
        batch: list[diary_service.DayInput] = []
        patient_ids = []
        for sim in cohort:
            patient_id = _write_patient(uow, actor, sim, users[Role.patient].id if sim.index == 1 else None)
            patient_ids.append(patient_id)
            consent = Consent.pending if sim.index % PENDING_EVERY == 0 else Consent.granted
            accounts_service.link_clinician(uow=uow, actor=actor, clinician_id=users[Role.clinician].id,
                                            patient_id=patient_id, consent=consent)
            batch.extend(
                diary_service.DayInput(patient_id, d.day,
                                       DiaryEntry(fatigue=d.fatigue, crash=d.crash, note=d.note))
                for d in sim.days
            )
            if len(batch) >= 50_000:
                days += diary_service.log_days(uow=uow, actor=actor, days=batch, source="demo")
                batch = []
        days += diary_service.log_days(uow=uow, actor=actor, days=batch, source="demo")
        if with_questionnaires:
            responses = []
            for sim, patient_id in zip(cohort, patient_ids, strict=True):
                screening_service.import_intake(uow=uow, actor=actor, patient_id=patient_id, data=sim.intake,
                                                completed_on=sim.days[0].day if sim.days else end_day)
                responses += [screening_service.ResponseInput(patient_id, r.instrument, r.day, r.answers)
                              for r in sim.responses]
            screening_service.import_responses(uow=uow, actor=actor, rows=responses, source="demo")
            for sim, patient_id in zip(cohort, patient_ids, strict=True):
                for n, sample in enumerate(sim.microbiome, start=1):
                    microbiome_service.import_table(
                        uow=uow, actor=actor, patient_id=patient_id, collected=sample.day,
                        filename=f"demo-stool-{sim.index:03d}-{n}.tsv",
                        data=microbiome_tsv(f"P{sim.index:03d}-S{n}", sample.counts))
                labs_service.add_values(uow=uow, actor=actor, patient_id=patient_id, source="demo", values=[
                    LabValue(str(patient_id), lab.analyte, lab.value, lab.unit, lab.day, DEMO_LAB, lab.ref_low,
                             lab.ref_high) for lab in sim.labs])
                if sim.plan is not None:
                    _approve_plan(uow, users[Role.clinician], patient_id, sim)
        uow.commit()
    return DemoResult(patients=len(cohort), diary_days=days, logins=DEMO_LOGINS)


def _write_patient(uow: UnitOfWork, actor: Actor, sim: SimPatient, user_id: int | None) -> int:
    patient = accounts_service.create_patient(
        uow=uow, actor=actor,
        data={"label": sim.label, "sex": sim.sex, "birth_year": sim.birth_year,
              "illness_onset": sim.illness_onset, "user_id": user_id, "synthetic": True},
    )
    return patient.id


def _approve_plan(uow: UnitOfWork, clinician: Any, patient_id: int, sim: SimPatient) -> None:
    """The demo clinician proposes the plan gutwise builds from the stored data, sets the doses the sources leave
    open, and approves it on the simulated start date; the checklist answers follow."""
    assert sim.plan is not None
    # the demo clinician approves for the patients who consented; the others' plans come from the loader itself
    actor = (Actor.system("demo") if sim.index % PENDING_EVERY == 0
             else Actor(clinician.id, Role.clinician, f"user:{clinician.id}"))
    draft = protocol_service.propose_plan(uow=uow, actor=actor, patient_id=patient_id, dietitian_referral=True)
    proposed = [(i.intervention, i.start_day) for i in draft.items]
    keep = dict(sim.plan.items)
    for item in draft.items:
        if item.intervention not in keep:
            protocol_service.remove_item(uow=uow, actor=actor, patient_id=patient_id, item_id=item.id)
        elif item.intervention in DEMO_DOSES:
            amount, times = DEMO_DOSES[item.intervention]
            protocol_service.edit_item(uow=uow, actor=actor, patient_id=patient_id, item_id=item.id,
                                       dose_amount=amount, times_per_day=times, start_day=item.start_day)
    if [p for p in proposed if p[0] in keep] != sim.plan.items:
        raise RuntimeError(f"demo patient {sim.index}: the stored data gave another plan than the simulation")
    protocol_service.approve(uow=uow, actor=actor, patient_id=patient_id, start_date=sim.plan.start)
    protocol_service.import_adherence(uow=uow, actor=actor, patient_id=patient_id, rows=sim.adherence)
